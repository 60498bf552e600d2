/**
 * A whole test federation on one loopback HTTP server: every entity of a {@link Topology} under
 * its own path prefix, with the endpoints of federation-endpoints.ts. Faults, latency, key
 * rotation, trust mark statuses and request counting are controlled by the test at run time.
 */
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type ServerResponse,
} from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { baseUrl } from './entity-urls.js';
import {
  MAX_REQUEST_BODY_BYTES,
  errorReply,
  routeOf,
  type Reply,
  type RequestBody,
  type Route,
} from './federation-endpoints.js';
import {
  createFederationModel,
  prepareTopology,
  type FederationControls,
} from './federation-model.js';
import type { RequestLogEntry } from './request-log.js';
import type { Topology } from './topology.js';

/** Options of {@link startTestbed}. */
export interface TestbedOptions {
  /** Interface to listen on; default `127.0.0.1` (loopback only). */
  readonly host?: string;
  /** The testbed's clock in seconds since the epoch; default `Date.now() / 1000`. */
  readonly now?: () => number;
  /** Milliseconds added before every response (benchmarks); default 0. */
  readonly latencyMs?: number;
  /** Most request log entries kept (counters stay exact); default 10000. */
  readonly maxLogEntries?: number;
}

/** A running test federation on loopback. */
export interface Testbed extends FederationControls {
  /** Base URL of the server, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Sets the latency added before every response, in milliseconds. */
  setLatency(ms: number): void;
  /**
   * Hosts an application under the entity `name`, such as an OpenID Provider whose issuer is the
   * entity's identifier `<url>/<name>`; `undefined` unmounts it. Every request to `/<name>` or
   * below it goes to `listener`, except the federation endpoints the testbed serves for the
   * entity (its Entity Configuration, and fetch, list or status when it has them). As when an
   * application is mounted at a path prefix in connect or express, `request.url` is the path
   * below `/<name>` (at least `/`) with the query, and `request.originalUrl` the path as
   * received. Requests are logged with kind `application` and the status the listener answered,
   * once it has answered; the latency applies to them too. The listener's connections close
   * with the testbed.
   */
  mount(name: string, listener: RequestListener | undefined): void;
  /** Stops the server and closes every connection; idempotent. */
  close(): Promise<void>;
}

/**
 * Reads a request body up to {@link MAX_REQUEST_BODY_BYTES}; a larger body is drained and
 * reported as `text: undefined`, so memory stays bounded.
 */
async function readBody(request: IncomingMessage): Promise<RequestBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += bytes.length;
    if (size <= MAX_REQUEST_BODY_BYTES) chunks.push(bytes);
  }
  const contentType = request.headers['content-type'];
  return {
    contentType,
    text: size > MAX_REQUEST_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8'),
  };
}

/** The route of a request; a target that is no URL at all names no endpoint. */
function routeOfRequest(request: IncomingMessage): Route {
  const base = 'http://testbed.invalid';
  try {
    return routeOf(new URL(request.url ?? '/', base));
  } catch {
    return { kind: 'unknown', entity: '', url: new URL(`${base}/`) };
  }
}

function assertLatency(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) throw new Error('testbed: latency must be a number ≥ 0');
  return ms;
}

/**
 * Starts a test federation for `topology` on one HTTP server (port 0 on `host`). Throws a clear
 * Error for an invalid topology before opening any port. Close it with {@link Testbed.close}.
 */
export async function startTestbed(
  topology: Topology,
  options: TestbedOptions = {},
): Promise<Testbed> {
  const prepared = await prepareTopology(topology);
  const host = options.host ?? '127.0.0.1';
  const now = options.now ?? (() => Date.now() / 1000);
  let latencyMs = assertLatency(options.latencyMs ?? 0);

  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') {
    server.close();
    throw new Error('testbed: the server has no TCP address');
  }
  const { endpoints, requests, controls } = createFederationModel(
    prepared,
    baseUrl(host, address.port),
    { now, maxLogEntries: options.maxLogEntries },
  );
  const shutdown = new AbortController();
  const applications = new Map<string, RequestListener>();

  /** Waits the latency plus `extraMs`; false when the testbed closed meanwhile. */
  async function waitBeforeAnswering(extraMs: number): Promise<boolean> {
    const wait = latencyMs + extraMs;
    if (wait > 0) {
      try {
        await sleep(wait, undefined, { signal: shutdown.signal });
      } catch {
        return false;
      }
    }
    return !shutdown.signal.aborted;
  }

  /** Hands a request to the application mounted under `route.entity`, and logs its answer. */
  async function delegate(
    listener: RequestListener,
    route: Route,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> {
    const at = Date.now();
    const path = request.url ?? '';
    if (!(await waitBeforeAnswering(0))) {
      response.destroy();
      return;
    }
    response.once('finish', () => {
      requests.record({
        method: request.method ?? 'GET',
        path,
        kind: 'application',
        entity: route.entity,
        status: response.statusCode,
        at,
      });
    });
    const below = route.url.pathname.slice(route.entity.length + 1);
    Object.assign(request, {
      originalUrl: path,
      url: `${below === '' ? '/' : below}${route.url.search}`,
    });
    try {
      // A listener may be async (Koa's is); a failure it does not answer itself is a 500.
      await listener(request, response);
    } catch {
      if (response.headersSent) response.destroy();
      else response.writeHead(500).end();
    }
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const target = routeOfRequest(request);
    const application = applications.get(target.entity);
    // The application answers, and owns its errors, for every path the testbed does not serve.
    if (application !== undefined && !endpoints.serves(target)) {
      return delegate(application, target, request, response);
    }
    const at = Date.now();
    const method = request.method ?? 'GET';
    let answer: Reply;
    let markSubject: string | undefined;
    try {
      const body =
        target.kind === 'status' && method === 'POST' ? await readBody(request) : undefined;
      const answered = await endpoints.answer(method, target, body);
      answer = answered.reply;
      markSubject = answered.subjectId;
    } catch (error) {
      // A bug in the testbed, not a fault: say so in the body, the test will show it.
      answer = errorReply(500, 'server_error', `testbed failure: ${String(error)}`);
    }
    if (!(await waitBeforeAnswering(answer.delayMs)) || answer.noAnswer === true) {
      response.destroy();
      return;
    }
    const sub =
      target.kind === 'fetch' ? target.url.searchParams.get('sub') : (markSubject ?? null);
    const entry: RequestLogEntry = {
      method,
      path: request.url ?? '',
      kind: target.kind,
      entity: target.entity,
      status: answer.status,
      at,
      ...(sub === null ? {} : { subject: sub }),
    };
    requests.record(entry);
    try {
      response.writeHead(answer.status, answer.headers);
      response.end(answer.body);
    } catch {
      // Headers Node refuses (validated at setFaults, so a bug): never crash the test process.
      response.destroy();
    }
  }

  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    void handle(request, response);
  });

  let closing: Promise<void> | undefined;
  return {
    ...controls,
    setLatency: (ms) => {
      latencyMs = assertLatency(ms);
    },
    mount: (name, listener) => {
      controls.entityId(name);
      if (listener === undefined) applications.delete(name);
      else applications.set(name, listener);
    },
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        shutdown.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
