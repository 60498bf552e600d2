/**
 * A whole test federation on one loopback HTTP server: every entity of a {@link Topology} under
 * its own path prefix, with its Entity Configuration (§9), and, for entities with subordinates,
 * a fetch endpoint (§8.1) and a list endpoint (§8.2), and, for trust mark issuers, a Trust Mark
 * Status endpoint (§8.4). Faults, latency, key rotation, trust mark statuses and request counting
 * are controlled by the test at run time.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { FEDERATION_ENTITY, MEDIA_TYPES } from '../federation/constants.js';
import type { TrustAnchor } from '../federation/types.js';
import { baseUrl, createEntityUrls, ENDPOINT_PATHS, type EntityUrls } from './entity-urls.js';
import { KeyRing } from './key-ring.js';
import {
  MemoryRequestLog,
  type RequestLog,
  type RequestLogEntry,
  type TestbedRequestKind,
} from './request-log.js';
import {
  StatementStore,
  type SignedStatement,
  type TrustMarkStatusAnswer,
} from './statement-store.js';
import type {
  FaultTarget,
  StatementFaults,
  Topology,
  TrustMarkFaults,
  TrustMarkStatus,
  TrustMarkStatusFaults,
} from './topology.js';
import { DEFAULT_ENTITY_ALG, indexTopology } from './topology-index.js';

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

/** Options of {@link Testbed.rotateKey}. */
export interface RotateKeyOptions {
  /** Keep the previous keys in the entity's published JWK Set (§11.2 rollover). Default false. */
  readonly keepOld?: boolean;
}

/** A running test federation. */
export interface Testbed {
  /** Base URL of the server, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Entity Identifier of the entity `name`: `<url>/<name>`. */
  entityId(name: string): string;
  /** `name` as a configured Trust Anchor: its identifier and its currently published keys. */
  trustAnchor(name: string): TrustAnchor;
  /** JSON text of a `trust-anchors/*.json` file for `name`: `{ entity_id, jwks: { keys } }`. */
  trustAnchorFile(name: string): string;
  /**
   * The Entity Configuration `name` serves, signature faults included (also when it does not
   * publish it). Response faults (`status`, `body`, `redirectTo`, …) do not apply here.
   */
  entityConfiguration(name: string): Promise<string>;
  /** The Subordinate Statement `issuer` serves about `subject` (as for entityConfiguration). */
  subordinateStatement(issuer: string, subject: string): Promise<string>;
  /** Replaces the faults of one statement; `undefined` clears them. Takes effect at once. */
  setFaults(target: FaultTarget, faults: StatementFaults | undefined): void;
  /** Sets the latency added before every response, in milliseconds. */
  setLatency(ms: number): void;
  /**
   * Gives `name` a new signing key; its statements, those about it, and the configurations that
   * carry trust marks or delegations it signed or its keys as a trust mark owner are signed again.
   */
  rotateKey(name: string, options?: RotateKeyOptions): Promise<void>;
  /**
   * The trust mark JWT that `holder`'s Entity Configuration carries for the mark of `type` (as
   * written in the topology, or with its placeholders filled), faults included.
   */
  trustMark(holder: string, type: string): Promise<string>;
  /** Replaces the faults of one trust mark (`undefined` clears them); its holder is re-signed. */
  setTrustMarkFaults(holder: string, type: string, faults: TrustMarkFaults | undefined): void;
  /**
   * Sets what the issuer's Trust Mark Status endpoint answers about one mark (§8.4): a status
   * value, or `{ http }` for an HTTP error; `faults` replace those of its status responses.
   */
  setTrustMarkStatus(
    holder: string,
    type: string,
    status: TrustMarkStatus,
    faults?: TrustMarkStatusFaults,
  ): void;
  /** Drops every signed statement, so the next requests get a fresh `iat`/`exp`. */
  reissue(): void;
  /** What the server was asked. */
  readonly requests: RequestLog;
  /** Stops the server and closes every connection; idempotent. */
  close(): Promise<void>;
}

/** One response, decided before it is written. */
interface Reply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  readonly delayMs: number;
}

/** What a request asks for. */
interface Route {
  readonly kind: TestbedRequestKind;
  readonly entity: string;
  readonly url: URL;
}

/** A reply, and the trust mark subject a status request asked about (for the request log). */
interface Answered {
  readonly reply: Reply;
  readonly subjectId?: string;
}

/** The form body of a status request, read before answering (§8.4.1). */
interface RequestBody {
  /** `Content-Type` as received, or `undefined`. */
  readonly contentType: string | undefined;
  /** The body text, or `undefined` when it exceeded {@link MAX_REQUEST_BODY_BYTES}. */
  readonly text: string | undefined;
}

/** Largest request body the status endpoint reads; more is answered 413. */
const MAX_REQUEST_BODY_BYTES = 64 * 1024;

/** §8.4.1: the media type of a Trust Mark Status request. */
const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded';

/** §8.9: the `error` code that goes with an HTTP status in an error response. */
function errorCodeFor(status: number): string {
  if (status === 401) return 'invalid_client';
  if (status === 404) return 'not_found';
  if (status === 503) return 'temporarily_unavailable';
  return status >= 500 ? 'server_error' : 'invalid_request';
}

function reply(
  status: number,
  contentType: string | undefined,
  body: Buffer | string,
  delayMs = 0,
  extraHeaders: Record<string, string> = {},
): Reply {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const headers: Record<string, string> = {
    ...extraHeaders,
    'content-length': String(bytes.length),
  };
  // An empty content type (a fault) means no Content-Type header at all.
  if (contentType !== undefined && contentType !== '') headers['content-type'] = contentType;
  return { status, headers, body: bytes, delayMs };
}

/** Optional parts of an error reply. */
interface ErrorReplyOptions {
  readonly contentType?: string;
  readonly delayMs?: number;
  readonly headers?: Record<string, string>;
}

/** §8.9: a JSON error body with `error` and `error_description`. */
function errorReply(
  status: number,
  error: string,
  description: string,
  options: ErrorReplyOptions = {},
): Reply {
  return reply(
    status,
    options.contentType ?? MEDIA_TYPES.json,
    JSON.stringify({ error, error_description: description }),
    options.delayMs,
    options.headers,
  );
}

/** The reply for a statement with its faults: redirect, error status, fixed body, or the JWS. */
async function statementReply(
  faults: StatementFaults | undefined,
  signed: () => Promise<SignedStatement>,
): Promise<Reply> {
  const delayMs = faults?.delayMs ?? 0;
  const status = faults?.status;
  if (faults?.redirectTo !== undefined) {
    const redirectStatus = status !== undefined && status >= 300 && status < 400 ? status : 302;
    return reply(redirectStatus, faults.contentType, '', delayMs, { location: faults.redirectTo });
  }
  const isError = status !== undefined && status >= 400;
  const defaultType = isError ? MEDIA_TYPES.json : MEDIA_TYPES.entityStatement;
  const contentType = faults?.contentType ?? defaultType;
  if (faults?.body !== undefined) return reply(status ?? 200, contentType, faults.body, delayMs);
  if (isError) {
    const description = `the testbed was told to answer ${status}`;
    return errorReply(status, errorCodeFor(status), description, { contentType, delayMs });
  }
  return reply(status ?? 200, contentType, (await signed()).body, delayMs);
}

/** The reply to a status request about a mark the store knows, or does not. */
function statusReply(answer: TrustMarkStatusAnswer): Answered {
  if (answer.kind === 'unknown') {
    // §8.4.2: a mark the issuer does not know or did not issue gets 404.
    return { reply: errorReply(404, 'not_found', 'this issuer did not issue this trust mark') };
  }
  const { delayMs, subjectId } = answer;
  if (answer.kind === 'error') {
    const description = `the testbed was told to answer ${answer.status}`;
    return {
      reply: errorReply(answer.status, errorCodeFor(answer.status), description, { delayMs }),
      subjectId,
    };
  }
  return { reply: reply(200, MEDIA_TYPES.trustMarkStatusResponse, answer.jwt, delayMs), subjectId };
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

/** Splits `/<entity>/<endpoint path>` into the entity name and the kind of endpoint. */
function route(request: IncomingMessage): Route {
  const url = new URL(request.url ?? '/', 'http://testbed.invalid');
  const path = url.pathname;
  const slash = path.indexOf('/', 1);
  const entity = slash === -1 ? path.slice(1) : path.slice(1, slash);
  const rest = slash === -1 ? '' : path.slice(slash);
  const kind: TestbedRequestKind =
    rest === ENDPOINT_PATHS.configuration
      ? 'configuration'
      : rest === ENDPOINT_PATHS.fetch
        ? 'fetch'
        : rest === ENDPOINT_PATHS.list
          ? 'list'
          : rest === ENDPOINT_PATHS.status
            ? 'status'
            : 'unknown';
  return { kind, entity, url };
}

/** Serves the endpoints of a testbed; knows nothing about sockets. */
class FederationEndpoints {
  readonly #store: StatementStore;
  readonly #urls: EntityUrls;
  readonly #names = new Map<string, string>();

  constructor(store: StatementStore, urls: EntityUrls, names: Iterable<string>) {
    this.#store = store;
    this.#urls = urls;
    for (const name of names) this.#names.set(urls.entityId(name), name);
  }

  /** The reply to one request; `body` is read only for status requests. */
  async answer(method: string, route: Route, body: RequestBody | undefined): Promise<Answered> {
    if (route.kind === 'status') return this.#status(method, route.entity, body);
    return { reply: await this.#federationEndpoint(method, route) };
  }

  /** The reply to a request for a statement or a list (§9, §8.1, §8.2). */
  async #federationEndpoint(method: string, { kind, entity, url }: Route): Promise<Reply> {
    if (method !== 'GET' && method !== 'HEAD') {
      // §8.8: POST is for client authentication, which the testbed does not offer.
      return errorReply(405, 'invalid_request', `method ${method} is not supported`, {
        headers: { allow: 'GET, HEAD' },
      });
    }
    if (kind === 'unknown' || !this.#isEntity(entity)) {
      return errorReply(404, 'not_found', 'no federation endpoint at this path');
    }
    if (kind === 'configuration') return this.#configuration(entity);
    // §9 (digest §9): only entities with subordinates have fetch and list endpoints.
    if (this.#store.subordinatesOf(entity).length === 0) {
      return errorReply(404, 'not_found', `${this.#urls.entityId(entity)} has no subordinates`);
    }
    return kind === 'fetch' ? this.#fetch(entity, url) : this.#list(entity, url);
  }

  #isEntity(name: string): boolean {
    return this.#names.has(this.#urls.entityId(name));
  }

  /**
   * §8.4: `POST <status endpoint>` with the form parameter `trust_mark`. Answers 200 with a
   * signed status response, 404 for a mark this issuer did not issue, or the HTTP error the test
   * asked for. Also returns the mark's subject, for the request log.
   */
  async #status(method: string, issuer: string, body: RequestBody | undefined): Promise<Answered> {
    if (!this.#isEntity(issuer) || !this.#store.issuesTrustMarks(issuer)) {
      return { reply: errorReply(404, 'not_found', 'no federation endpoint at this path') };
    }
    if (method !== 'POST' || body === undefined) {
      // §8.4.1: the status request is always a POST.
      return {
        reply: errorReply(405, 'invalid_request', `method ${method} is not supported`, {
          headers: { allow: 'POST' },
        }),
      };
    }
    if (body.text === undefined) {
      return { reply: errorReply(413, 'invalid_request', 'the request body is too large') };
    }
    const mediaType = body.contentType?.split(';')[0]?.trim().toLowerCase();
    if (mediaType !== FORM_MEDIA_TYPE) {
      return {
        reply: errorReply(400, 'invalid_request', `the request must be ${FORM_MEDIA_TYPE}`),
      };
    }
    const marks = new URLSearchParams(body.text).getAll('trust_mark');
    const [trustMark] = marks;
    if (trustMark === undefined || trustMark === '') {
      return {
        reply: errorReply(
          400,
          'invalid_request',
          'Required request parameter [trust_mark] was missing.',
        ),
      };
    }
    if (marks.length > 1) {
      return {
        reply: errorReply(400, 'invalid_request', 'the parameter [trust_mark] must be given once'),
      };
    }
    return statusReply(await this.#store.trustMarkStatus(issuer, trustMark));
  }

  #configuration(name: string): Promise<Reply> {
    if (this.#store.entity(name).publishConfiguration === false) {
      return Promise.resolve(
        errorReply(404, 'not_found', `${this.#urls.entityId(name)} publishes no configuration`),
      );
    }
    return statementReply(this.#store.faults({ entity: name }), () =>
      this.#store.entityConfiguration(name),
    );
  }

  /** §8.1: `GET <fetch>?sub=<id>`; unknown parameters (also the legacy `iss`) are ignored. */
  #fetch(issuer: string, url: URL): Promise<Reply> | Reply {
    const subs = url.searchParams.getAll('sub');
    const [sub] = subs;
    if (sub === undefined || sub === '') {
      // TV-15: the spec's own example of this error.
      return errorReply(400, 'invalid_request', 'Required request parameter [sub] was missing.');
    }
    if (subs.length > 1) {
      return errorReply(400, 'invalid_request', 'the parameter [sub] must be given once');
    }
    // §8.1.1: a statement about the issuer itself is its Entity Configuration, not fetched here.
    if (sub === this.#urls.entityId(issuer)) {
      return errorReply(400, 'invalid_request', 'sub is the issuer itself');
    }
    const subject = this.#names.get(sub);
    if (subject === undefined || !this.#store.isSubordinate(issuer, subject)) {
      return errorReply(404, 'not_found', `${sub} is not a subordinate of this issuer`);
    }
    return statementReply(this.#store.faults({ issuer, subject }), () =>
      this.#store.subordinateStatement(issuer, subject),
    );
  }

  /** §8.2: the identifiers of the Immediate Subordinates, optionally filtered. */
  #list(issuer: string, url: URL): Reply {
    const { searchParams } = url;
    // §8.2.1: filters the responder does not support MUST get unsupported_parameter.
    for (const parameter of ['trust_marked', 'trust_mark_type']) {
      if (searchParams.has(parameter)) {
        return errorReply(400, 'unsupported_parameter', `${parameter} is not supported`);
      }
    }
    const intermediate = searchParams.get('intermediate');
    if (intermediate !== null && intermediate !== 'true' && intermediate !== 'false') {
      return errorReply(400, 'invalid_request', 'intermediate must be true or false');
    }
    const types = searchParams.getAll('entity_type');
    const subjects = this.#store.subordinatesOf(issuer).filter((name) => {
      const isIntermediate = this.#store.subordinatesOf(name).length > 0;
      if (intermediate === 'true' && !isIntermediate) return false;
      if (types.length === 0) return true;
      const own = Object.keys(this.#store.entity(name).metadata ?? {});
      const entityTypes = new Set(isIntermediate ? [...own, FEDERATION_ENTITY] : own);
      // Digest §14 item 9: several entity_type values select the union.
      return types.some((type) => entityTypes.has(type));
    });
    const ids = subjects.map((name) => this.#urls.entityId(name));
    return reply(200, MEDIA_TYPES.json, JSON.stringify(ids));
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
  const index = indexTopology(topology);
  const host = options.host ?? '127.0.0.1';
  const now = options.now ?? (() => Date.now() / 1000);
  let latencyMs = assertLatency(options.latencyMs ?? 0);
  const keys = await KeyRing.create(
    [...index.entities.values()].map((entity) => ({
      name: entity.name,
      alg: entity.alg ?? DEFAULT_ENTITY_ALG,
    })),
  );

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
  const urls = createEntityUrls(baseUrl(host, address.port));
  const store = new StatementStore(index, keys, urls, now);
  const endpoints = new FederationEndpoints(store, urls, index.entities.keys());
  const requests = new MemoryRequestLog(
    (nameOrId) => (index.entities.has(nameOrId) ? urls.entityId(nameOrId) : nameOrId),
    options.maxLogEntries,
  );
  const shutdown = new AbortController();

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const at = Date.now();
    const method = request.method ?? 'GET';
    let target: Route = { kind: 'unknown', entity: '', url: new URL('http://testbed.invalid/') };
    let answer: Reply;
    let markSubject: string | undefined;
    try {
      target = route(request);
      const body =
        target.kind === 'status' && method === 'POST' ? await readBody(request) : undefined;
      const answered = await endpoints.answer(method, target, body);
      answer = answered.reply;
      markSubject = answered.subjectId;
    } catch (error) {
      // A bug in the testbed, not a fault: say so in the body, the test will show it.
      answer = errorReply(500, 'server_error', `testbed failure: ${String(error)}`);
    }
    const wait = latencyMs + answer.delayMs;
    if (wait > 0) {
      try {
        await sleep(wait, undefined, { signal: shutdown.signal });
      } catch {
        response.destroy();
        return;
      }
    }
    if (shutdown.signal.aborted) {
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
  const entityName = (name: string): string => {
    store.entity(name);
    return name;
  };

  const trustAnchor = (name: string): TrustAnchor => ({
    entity_id: urls.entityId(entityName(name)),
    jwks: keys.publicJwks(name),
  });

  return {
    url: urls.url,
    entityId: (name) => urls.entityId(entityName(name)),
    trustAnchor,
    trustAnchorFile: (name) => `${JSON.stringify(trustAnchor(name), null, 2)}\n`,
    entityConfiguration: async (name) => (await store.entityConfiguration(name)).jwt,
    subordinateStatement: async (issuer, subject) =>
      (await store.subordinateStatement(issuer, subject)).jwt,
    setFaults: (target, faults) => store.setFaults(target, faults),
    setLatency: (ms) => {
      latencyMs = assertLatency(ms);
    },
    rotateKey: async (name, rotateOptions = {}) => {
      await keys.rotate(entityName(name), rotateOptions.keepOld === true);
      store.invalidateEntity(name);
    },
    trustMark: (holder, type) => store.trustMark(holder, type),
    setTrustMarkFaults: (holder, type, faults) => store.setTrustMarkFaults(holder, type, faults),
    setTrustMarkStatus: (holder, type, status, faults) =>
      store.setTrustMarkStatus(holder, type, status, faults),
    reissue: () => store.clear(),
    requests,
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
