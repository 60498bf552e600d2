/**
 * HTTP clients of the hostile suite. The service tells clients apart by their address, and every
 * address of 127.0.0.0/8 is loopback on Linux, so a request sent from `127.0.M.N` acts as one
 * more client. `fetch` cannot choose its source address, hence node:http here, and raw sockets for
 * requests that no HTTP client library would send.
 */
import assert from 'node:assert/strict';
import { request, type Agent, type IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';

/** A response read completely. */
export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** Options of {@link get}. */
export interface GetOptions {
  /** Source address of the connection, e.g. `127.0.3.7`; default the system's choice. */
  readonly from?: string;
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Keep-alive agent of one simulated client; default a fresh connection per request. */
  readonly agent?: Agent;
  /** Fails the request after this long (a bound, never a speed claim); default 30 s. */
  readonly timeoutMs?: number;
}

/** GET (or `method`) `url` from the address `from`; resolves with status, headers and body. */
export function get(url: string, options: GetOptions = {}): Promise<Answer> {
  const target = new URL(url);
  return new Promise<Answer>((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
        agent: options.agent ?? false,
        ...(options.from === undefined ? {} : { localAddress: options.from }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(options.timeoutMs ?? 30_000, () =>
      req.destroy(new Error(`no answer within ${options.timeoutMs ?? 30_000} ms: ${url}`)),
    );
    req.on('error', reject);
    req.end();
  });
}

/**
 * The source address of simulated client number `index` (0-based): 127.0.M.N with N from 2 to
 * 254 and M from 1, so up to 253 × 254 distinct clients, none of them 127.0.0.1.
 */
export function clientAddress(index: number): string {
  const m = 1 + Math.floor(index / 253);
  const n = 2 + (index % 253);
  if (m > 254) throw new Error(`client ${index}: out of addresses`);
  return `127.0.${m}.${n}`;
}

/** The query string of a resolve request for `sub` under `trustAnchor`. */
export function resolveQuery(sub: string, trustAnchor: string): string {
  return `sub=${encodeURIComponent(sub)}&trust_anchor=${encodeURIComponent(trustAnchor)}`;
}

/** Runs `task` over `items` with at most `concurrency` at a time; results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < items.length; index = next++) {
      results[index] = await task(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

/** The headers every answer of the service carries (§8.9 answers included). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
};

/** Asserts the security headers and a Cache-Control header on `answer`. */
export function assertHygiene(answer: Answer, what: string): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    assert.equal(answer.headers[name], value, `${what}: ${name}`);
  }
  const cacheControl = answer.headers['cache-control'];
  assert.ok(
    typeof cacheControl === 'string' && cacheControl.length > 0,
    `${what}: Cache-Control is missing`,
  );
}

/** The §8.9 error body of `answer`, asserted to be JSON with both members as strings. */
export function errorBody(
  answer: Answer,
  what: string,
): { error: string; error_description: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.body);
  } catch {
    assert.fail(`${what}: the body is not JSON: ${answer.status} ${answer.body.slice(0, 200)}`);
  }
  assert.ok(typeof parsed === 'object' && parsed !== null, `${what}: the body is not an object`);
  const { error, error_description: description } = parsed as Record<string, unknown>;
  assert.equal(typeof error, 'string', `${what}: error ${answer.body.slice(0, 200)}`);
  assert.equal(typeof description, 'string', `${what}: error_description`);
  assert.ok((description as string).length > 0, `${what}: error_description is empty`);
  return { error: error as string, error_description: description as string };
}

/** Asserts status, §8.9 error code and hygiene of an error answer; returns the body. */
export function assertError(
  answer: Answer,
  status: number,
  error: string,
  what: string,
): { error: string; error_description: string } {
  assert.equal(answer.status, status, `${what}: ${answer.status} ${answer.body.slice(0, 300)}`);
  const body = errorBody(answer, what);
  assert.equal(body.error, error, `${what}: ${answer.body.slice(0, 300)}`);
  assertHygiene(answer, what);
  return body;
}

/** A raw exchange: what the server wrote until it closed (or `timeoutMs` passed). */
export interface RawExchange extends Answer {
  /** How the connection ended: closed by the server, reset, or still open at the bound. */
  readonly ended: 'closed' | 'reset' | 'timeout';
  /** Everything received, as latin1 text. */
  readonly raw: string;
}

/** Options of {@link rawRequest}. */
export interface RawOptions {
  readonly from?: string;
  /** Give up after this long; default 10 s. */
  readonly timeoutMs?: number;
  /** Written after `head`, in chunks of 64 KiB, while the answer is read. */
  readonly body?: Buffer;
  /** The request is a HEAD: the answer has no body whatever its Content-Length says. */
  readonly head?: boolean;
}

/** Opens a connection to `port` on 127.0.0.1, from `from` when given. */
function open(port: number, from: string | undefined): Socket {
  return connect({
    host: '127.0.0.1',
    port,
    ...(from === undefined ? {} : { localAddress: from }),
  });
}

/**
 * Reads the answer on `socket` until it is complete or the server closes (or `timeoutMs`), then
 * destroys the socket. `send` writes the request once the socket is connected; it is told when
 * the exchange has ended.
 */
function exchange(
  socket: Socket,
  options: { readonly timeoutMs: number; readonly head?: boolean | undefined },
  send: (ended: () => boolean) => void,
): Promise<RawExchange> {
  return new Promise<RawExchange>((resolve) => {
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (ended: RawExchange['ended']): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...parseResponse(Buffer.concat(chunks).toString('latin1'), options.head), ended });
    };
    const timer = setTimeout(() => finish('timeout'), options.timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      // A complete answer is enough; the server may keep the connection open.
      const parsed = parseResponse(Buffer.concat(chunks).toString('latin1'), options.head);
      if (parsed.complete) finish('closed');
    });
    socket.on('end', () => finish('closed'));
    socket.on('error', (error: NodeJS.ErrnoException) =>
      finish(error.code === 'ECONNRESET' || error.code === 'EPIPE' ? 'reset' : 'closed'),
    );
    if (socket.connecting) socket.once('connect', () => send(() => done));
    else send(() => done);
  });
}

/**
 * Opens a connection to `port` on 127.0.0.1, writes `head` (any bytes, valid HTTP or not), then
 * `body`, and reads until the server closes. The answer is parsed as an HTTP/1.1 response with a
 * Content-Length body; the first final (non-1xx) response counts.
 */
export function rawRequest(
  port: number,
  head: string | Buffer,
  options: RawOptions = {},
): Promise<RawExchange> {
  const socket = open(port, options.from);
  return exchange(
    socket,
    { timeoutMs: options.timeoutMs ?? 10_000, head: options.head },
    (ended) => {
      socket.write(head);
      const body = options.body;
      if (body === undefined) return;
      let offset = 0;
      const pump = (): void => {
        while (offset < body.length && !ended()) {
          const chunk = body.subarray(offset, offset + 64 * 1024);
          offset += chunk.length;
          if (!socket.write(chunk)) {
            socket.once('drain', pump);
            return;
          }
        }
      };
      pump();
    },
  );
}

/** Parses the first final response of `text` (latin1); `head`: the answer to a HEAD. */
function parseResponse(
  text: string,
  head = false,
): Answer & { readonly raw: string; readonly complete: boolean } {
  let rest = text;
  for (;;) {
    const headEnd = rest.indexOf('\r\n\r\n');
    if (headEnd === -1) return { status: 0, headers: {}, body: '', raw: text, complete: false };
    const lines = rest.slice(0, headEnd).split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? '0');
    const headers: IncomingHttpHeaders = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0)
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const after = rest.slice(headEnd + 4);
    if (status >= 100 && status < 200) {
      rest = after;
      continue;
    }
    const bodiless = head || status === 204 || status === 304;
    const length = bodiless ? 0 : Number(headers['content-length'] ?? 'NaN');
    const complete = Number.isFinite(length) && Buffer.byteLength(after, 'latin1') >= length;
    const body = Buffer.from(
      Number.isFinite(length) ? after.slice(0, length) : after,
      'latin1',
    ).toString('utf8');
    return { status, headers, body, raw: text, complete };
  }
}

/** Resolves after `ms` (used only between polls and as pacing, never as a measurement). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Milliseconds since `start` (performance.now()). */
export function since(start: number): number {
  return Math.round(performance.now() - start);
}

/** Bytes as MiB with one decimal. */
export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * Opens one connection per request in `heads` from `from`, waits until every one is connected,
 * then writes all requests in one go, so that they reach the server together; resolves with the
 * answers in order.
 */
export async function rawBurst(
  port: number,
  heads: readonly string[],
  options: { readonly from?: string; readonly timeoutMs?: number } = {},
): Promise<RawExchange[]> {
  const sockets = await Promise.all(
    heads.map(
      () =>
        new Promise<Socket>((resolve, reject) => {
          const socket = open(port, options.from);
          socket.once('connect', () => resolve(socket));
          socket.once('error', reject);
        }),
    ),
  );
  return Promise.all(
    sockets.map((socket, index) =>
      exchange(socket, { timeoutMs: options.timeoutMs ?? 30_000 }, () =>
        socket.write(heads[index] ?? ''),
      ),
    ),
  );
}
