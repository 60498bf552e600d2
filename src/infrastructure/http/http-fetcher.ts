/**
 * The outbound HTTP client of the resolver (docs/architecture.md): every request has one deadline
 * (connect, headers and body), an incrementally enforced byte cap, an explicit `Accept`, our
 * `User-Agent`, an exact status and media-type check, no redirects, `https` only unless
 * configured, and the address guard unless configured. It returns raw strings and never
 * interprets a body (§8.9 error bodies are unsigned, so they are never even read).
 *
 * Fair and honest under load and failure:
 *
 * - At most `maxSockets` requests per origin (scheme, host and port) are in flight at a time; the
 *   others wait in a first-come-first-served queue of at most `maxQueuedPerOrigin` requests, for
 *   at most `queueTimeoutMs` and never past the caller's AbortSignal. A request's own `timeoutMs`
 *   starts when it leaves the queue, so waiting for a connection never eats into its deadline.
 *   The keep-alive agents have the same per-origin limit, so they never queue requests themselves.
 * - An upstream's `Retry-After` (RFC 9110 §10.2.3) on a 429 or 5xx becomes `retryAfter` in the
 *   error's location: whole seconds, at least 0, at most 300.
 * - A per-origin circuit breaker (circuit-breaker.ts) counts consecutive transient failures
 *   (timeouts, failed connections, 429 and 5xx; not the caller's own deadline, not a queue
 *   timeout, not a permanent refusal) and, past `breaker.failureThreshold`, refuses requests to
 *   that origin without connecting for `breaker.openMs` or the upstream's longer Retry-After.
 *   Then one probe at a time goes through; its success closes the circuit.
 *
 * Failures become core errors here, once, with the foreign error as `cause`:
 *
 * | condition                                                                 | error                                  | reason                     |
 * | ------------------------------------------------------------------------- | -------------------------------------- | -------------------------- |
 * | scheme other than https (or http when allowed)                            | NotFoundError                          | `scheme_not_allowed`       |
 * | unparsable URL, credentials or a fragment in the URL                      | NotFoundError                          | `address_not_allowed`      |
 * | host is or resolves to a forbidden address                                | NotFoundError                          | `address_not_allowed`      |
 * | 3xx (never followed)                                                      | NotFoundError (+ status)               | `redirect_refused`         |
 * | 404, 410                                                                  | NotFoundError (+ status)               | `statement_unavailable`    |
 * | 429, 5xx (+ `retryAfter` from a valid Retry-After header)                 | TemporarilyUnavailableError (+ status) | `upstream_status`          |
 * | any other status but 200                                                  | NotFoundError (+ status)               | `upstream_status`          |
 * | other media type, or a Content-Encoding                                   | NotFoundError                          | `content_type_invalid`     |
 * | body (or declared Content-Length) above the cap                           | NotFoundError                          | `response_too_large`       |
 * | body not valid UTF-8                                                      | NotFoundError                          | `statement_unavailable`    |
 * | TLS certificate rejected                                                  | NotFoundError                          | `tls_certificate_rejected` |
 * | response not valid HTTP, host name does not exist (NXDOMAIN)              | NotFoundError                          | `statement_unavailable`    |
 * | refused/reset connection, other DNS and socket errors                     | TemporarilyUnavailableError            | `statement_unavailable`    |
 * | our timeout (counted from when the request left the queue)                | TemporarilyUnavailableError            | `upstream_timeout`         |
 * | all the origin's connections busy for `queueTimeoutMs`, or its queue full | TemporarilyUnavailableError            | `upstream_queue_timeout`   |
 * | the origin's circuit is open (+ `retryAfter`, at least 1)                 | TemporarilyUnavailableError            | `circuit_open`             |
 * | the caller's AbortSignal, while queued or in flight                       | TemporarilyUnavailableError            | `deadline_exceeded`        |
 * | the fetcher was closed, while queued or in flight                         | TemporarilyUnavailableError            | `statement_unavailable`    |
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  NotFoundError,
  ServerError,
  TemporarilyUnavailableError,
  type FederationError,
} from '../../federation/errors.js';
import {
  AddressNotAllowedError,
  createGuardedLookup,
  isForbiddenAddress,
  watchSocketAddress,
  type AddressResolver,
} from './address-guard.js';
import {
  CircuitBreaker,
  MAX_RETRY_AFTER_SECONDS,
  type CircuitChangeListener,
  type CircuitOutcome,
  type CircuitPermit,
  type CircuitState,
} from './circuit-breaker.js';

/** Configuration of an HttpFetcher. */
export interface HttpFetcherOptions {
  /** Sent as `User-Agent`, for example `federation-resolver/0.1.0`. */
  readonly userAgent: string;
  /** Deadline of one request in milliseconds: connect, headers and the whole body. */
  readonly timeoutMs: number;
  /** Largest accepted response body in bytes, enforced while reading. */
  readonly maxResponseBytes: number;
  /** Allow `http:` URLs (tests and demos only). */
  readonly allowInsecureHttp: boolean;
  /** Allow loopback, private, link-local, ULA, CGNAT and metadata addresses (tests and demos only). */
  readonly allowPrivateNetwork: boolean;
  /**
   * Most requests in flight, and connections, per origin (default 16); further requests wait in
   * the fetcher's queue for that origin.
   */
  readonly maxSockets?: number;
  /** Longest wait in an origin's queue for a free connection, in milliseconds (default 5000). */
  readonly queueTimeoutMs?: number;
  /** Most requests waiting per origin (default 1024); beyond, requests fail at once. */
  readonly maxQueuedPerOrigin?: number;
  /**
   * The per-origin circuit breaker (default: on, 5 consecutive transient failures open a
   * circuit for 30000 ms); `now` is its monotonic clock in milliseconds (tests). `false` disables.
   */
  readonly breaker?:
    | {
        readonly failureThreshold?: number;
        readonly openMs?: number;
        readonly now?: () => number;
      }
    | false;
  /** Observer of circuit state changes (metrics, logs). */
  readonly onCircuitChange?: CircuitChangeListener;
  /** Resolves host names for the address guard (default: the system resolver, `dns.lookup`). */
  readonly resolveAddress?: AddressResolver;
}

/** Per-request settings of an HttpFetcher call. */
export interface HttpRequestInit {
  /** Sent as `Accept`. */
  readonly accept: string;
  /** The only media type accepted in the response (case-insensitive, parameters ignored). */
  readonly expectedContentType: string;
  /** Aborts the request (the caller's overall deadline). */
  readonly signal?: AbortSignal;
}

/** A successful (200, expected media type) response. */
export interface HttpResponse {
  /** The URL requested (no redirect is ever followed). */
  readonly url: string;
  /** Always 200. */
  readonly status: number;
  /** The `Content-Type` header as received, parameters included. */
  readonly contentType: string;
  /** The body decoded as UTF-8. */
  readonly body: string;
  /** Time from the call to the end of the body, in milliseconds (queueing included). */
  readonly durationMs: number;
}

/** Default of `maxSockets`: concurrent requests and connections per origin. */
export const DEFAULT_MAX_SOCKETS = 16;

/** Default of `queueTimeoutMs`: longest wait for a free connection to an origin. */
export const DEFAULT_QUEUE_TIMEOUT_MS = 5_000;

/** Default of `maxQueuedPerOrigin`: most requests waiting for one origin. */
export const DEFAULT_MAX_QUEUED_PER_ORIGIN = 1024;

/** Reasons of transient errors that say nothing about the upstream's health. */
const NOT_UPSTREAM_FAILURES: ReadonlySet<string> = new Set([
  'deadline_exceeded',
  'upstream_queue_timeout',
  'circuit_open',
]);

/**
 * Idle keep-alive sockets close after this long, so idle connections to the many origins of a
 * federation do not pile up; short because a server closing an idle socket just as we reuse it
 * costs a retry. Servers announcing a shorter `Keep-Alive: timeout` are honoured by Node.
 */
const IDLE_SOCKET_TIMEOUT_MS = 4_000;

/**
 * Bodies of refused responses up to this size are drained (never kept) so that the connection can
 * be reused; larger or unknown-and-growing ones cost the connection instead.
 */
const DRAIN_LIMIT_BYTES = 16 * 1024;

/** Longest unparsable URL echoed into an error location. */
const MAX_LOCATION_URL_LENGTH = 2048;

const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded';

/** Strict UTF-8: a body with invalid byte sequences is refused, not repaired. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Codes of TLS certificate rejections: retrying does not help, so they are `not_found`. */
const TLS_CERTIFICATE_CODES: ReadonlySet<string> = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REJECTED',
  'CERT_REVOKED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'ERR_TLS_CERT_ALTNAME_FORMAT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
]);

/** Socket errors that mean a reused keep-alive connection had been closed by the server. */
const STALE_CONNECTION_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE']);

/** Marker for "the reused connection was stale; send again on a fresh one". */
const STALE_CONNECTION = Symbol('stale connection');

type Location = { readonly url: string };

/** What one exchange sends and expects. */
interface OutboundRequest {
  readonly method: 'GET' | 'POST';
  readonly url: URL;
  readonly location: Location;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
  readonly expectedMediaType: string;
}

/** The parts of a response the exchange produces; the caller adds url and duration. */
interface ReceivedResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** Fetches upstream documents over HTTP(S) with the limits described above. */
export class HttpFetcher {
  readonly #userAgent: string;
  readonly #timeoutMs: number;
  readonly #maxResponseBytes: number;
  readonly #allowInsecureHttp: boolean;
  readonly #guarded: boolean;
  readonly #httpAgent: http.Agent;
  readonly #httpsAgent: https.Agent;
  readonly #slots: OriginSlots;
  readonly #breaker: CircuitBreaker | undefined;
  /** Deadlines of the requests in flight (bounded by the callers' concurrency), for close(). */
  readonly #inFlight = new Set<Deadline>();
  #closed = false;

  constructor(options: HttpFetcherOptions) {
    validateOptions(options);
    this.#userAgent = options.userAgent;
    this.#timeoutMs = options.timeoutMs;
    this.#maxResponseBytes = options.maxResponseBytes;
    this.#allowInsecureHttp = options.allowInsecureHttp;
    this.#guarded = !options.allowPrivateNetwork;
    const maxSockets = options.maxSockets ?? DEFAULT_MAX_SOCKETS;
    const agentOptions: http.AgentOptions = {
      keepAlive: true,
      maxSockets,
      // More idle sockets than active ones per origin would never be used.
      maxFreeSockets: maxSockets,
      timeout: IDLE_SOCKET_TIMEOUT_MS,
      scheduling: 'lifo',
      // The guard resolves names itself so that the address checked is the address connected to.
      ...(this.#guarded ? { lookup: createGuardedLookup(options.resolveAddress) } : {}),
    };
    this.#httpAgent = new http.Agent(agentOptions);
    this.#httpsAgent = new https.Agent(agentOptions);
    this.#slots = new OriginSlots(
      maxSockets,
      options.queueTimeoutMs ?? DEFAULT_QUEUE_TIMEOUT_MS,
      options.maxQueuedPerOrigin ?? DEFAULT_MAX_QUEUED_PER_ORIGIN,
    );
    const { breaker, onCircuitChange } = options;
    this.#breaker =
      breaker === false
        ? undefined
        : new CircuitBreaker({
            ...(breaker?.failureThreshold === undefined
              ? {}
              : { failureThreshold: breaker.failureThreshold }),
            ...(breaker?.openMs === undefined ? {} : { openMs: breaker.openMs }),
            ...(breaker?.now === undefined ? {} : { now: breaker.now }),
            ...(onCircuitChange === undefined ? {} : { onChange: onCircuitChange }),
          });
  }

  /**
   * The circuit state of the origin of `originOrUrl` (for example `https://op.example`); always
   * `closed` when the breaker is disabled.
   */
  circuitState(originOrUrl: string): CircuitState {
    return this.#breaker?.state(originOf(originOrUrl)) ?? 'closed';
  }

  /** Origins with requests in flight or queued (bounded by them: idle origins are forgotten). */
  get busyOrigins(): number {
    return this.#slots.size;
  }

  /** GET `url`, requiring status 200 and exactly `expectedContentType` (media type compared case-insensitively, parameters such as charset ignored). */
  get(url: string, init: HttpRequestInit): Promise<HttpResponse> {
    return this.#send('GET', url, undefined, init);
  }

  /** POST an application/x-www-form-urlencoded body, same checks. */
  postForm(
    url: string,
    form: Readonly<Record<string, string>>,
    init: HttpRequestInit,
  ): Promise<HttpResponse> {
    return this.#send('POST', url, new URLSearchParams(form).toString(), init);
  }

  /** Destroys the keep-alive agents, aborts the requests in flight and rejects the queued ones. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#slots.rejectAll(closedError);
    for (const deadline of this.#inFlight) deadline.abort(closedError(deadline.location));
    this.#httpAgent.destroy();
    this.#httpsAgent.destroy();
  }

  async #send(
    method: 'GET' | 'POST',
    rawUrl: string,
    body: string | undefined,
    init: HttpRequestInit,
  ): Promise<HttpResponse> {
    const started = performance.now();
    const url = this.#checkUrl(rawUrl);
    const location: Location = { url: url.href };
    if (this.#closed) throw closedError(location);
    const { signal } = init;
    if (signal?.aborted === true) throw callerAbortedError(signal, location);
    const origin = url.origin;
    let permit = this.#admit(origin, location);
    let slot: Slot;
    try {
      slot = await this.#slots.acquire(origin, signal, location);
    } catch (error) {
      this.#record(permit, { kind: 'neutral' });
      throw error;
    }
    try {
      if (this.#closed) {
        this.#record(permit, { kind: 'neutral' });
        throw closedError(location);
      }
      // The circuit may have opened while this request waited: ask again, unless it is the probe.
      if (slot.waited && permit !== undefined && permit.probeOf === undefined) {
        permit = this.#admit(origin, location);
      }
      return await this.#sendAdmitted(method, url, body, init, started, permit);
    } finally {
      slot.release();
    }
  }

  /** The breaker's leave for one request to `origin`, or the circuit_open error. */
  #admit(origin: string, location: Location): CircuitPermit | undefined {
    if (this.#breaker === undefined) return undefined;
    const admission = this.#breaker.admit(origin);
    if (admission.admitted) return admission.permit;
    throw new TemporarilyUnavailableError(
      `the circuit to ${origin} is open after repeated upstream failures`,
      { reason: 'circuit_open', ...location, retryAfter: admission.retryAfterSeconds },
    );
  }

  #record(permit: CircuitPermit | undefined, outcome: CircuitOutcome): void {
    if (permit !== undefined) this.#breaker?.record(permit, outcome);
  }

  /** What a failed request says about its origin's health. */
  #outcomeOf(error: unknown): CircuitOutcome {
    if (
      this.#closed ||
      !(error instanceof TemporarilyUnavailableError) ||
      NOT_UPSTREAM_FAILURES.has(error.reason)
    ) {
      return { kind: 'neutral' };
    }
    const { retryAfter } = error.location;
    return retryAfter === undefined
      ? { kind: 'failure' }
      : { kind: 'failure', retryAfterSeconds: retryAfter };
  }

  /** Sends a request that holds one of its origin's slots, under its own deadline. */
  async #sendAdmitted(
    method: 'GET' | 'POST',
    url: URL,
    body: string | undefined,
    init: HttpRequestInit,
    started: number,
    permit: CircuitPermit | undefined,
  ): Promise<HttpResponse> {
    const location: Location = { url: url.href };
    const request: OutboundRequest = {
      method,
      url,
      location,
      headers: {
        accept: init.accept,
        'user-agent': this.#userAgent,
        ...(body === undefined
          ? {}
          : { 'content-type': FORM_MEDIA_TYPE, 'content-length': String(Buffer.byteLength(body)) }),
      },
      body,
      expectedMediaType: mediaType(init.expectedContentType),
    };
    const deadline = new Deadline(this.#timeoutMs, init.signal, location);
    this.#inFlight.add(deadline);
    try {
      // One retry, for GET only and within the same deadline, when a reused keep-alive connection
      // turns out to have been closed by the server before it answered.
      for (let attempt = 1; ; attempt += 1) {
        const outcome = await this.#exchange(request, deadline, method === 'GET' && attempt === 1);
        if (outcome !== STALE_CONNECTION) {
          this.#record(permit, { kind: 'success' });
          return { url: url.href, ...outcome, durationMs: performance.now() - started };
        }
      }
    } catch (error) {
      this.#record(permit, this.#outcomeOf(error));
      throw error;
    } finally {
      deadline.dispose();
      this.#inFlight.delete(deadline);
    }
  }

  /** Parses and checks a URL before any connection is made. */
  #checkUrl(rawUrl: string): URL {
    let url: URL;
    try {
      url = new URL(rawUrl);
    } catch (error) {
      throw new NotFoundError('the upstream URL is not a valid URL', {
        reason: 'address_not_allowed',
        url: rawUrl.slice(0, MAX_LOCATION_URL_LENGTH),
        cause: error,
      });
    }
    const location: Location = { url: withoutCredentials(url) };
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.#allowInsecureHttp)) {
      throw new NotFoundError('the upstream URL scheme is not allowed', {
        reason: 'scheme_not_allowed',
        ...location,
      });
    }
    if (url.username !== '' || url.password !== '') {
      throw new NotFoundError('the upstream URL must not carry credentials', {
        reason: 'address_not_allowed',
        ...location,
      });
    }
    // §8.1: a fetch endpoint has no fragment. Refused rather than stripped: a fragment means the
    // URL was not built the way the spec says, and any '#' in the raw string starts one.
    if (rawUrl.includes('#')) {
      throw new NotFoundError('the upstream URL must not have a fragment', {
        reason: 'address_not_allowed',
        ...location,
      });
    }
    // Node connects to IP literals without calling `lookup`, so they are checked here.
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    if (this.#guarded && isIP(host) !== 0 && isForbiddenAddress(host)) {
      throw new NotFoundError('the upstream address is not allowed', {
        reason: 'address_not_allowed',
        ...location,
        cause: new AddressNotAllowedError(host),
      });
    }
    return url;
  }

  /** One request/response exchange on one connection. */
  #exchange(
    request: OutboundRequest,
    deadline: Deadline,
    mayRetry: boolean,
  ): Promise<ReceivedResponse | typeof STALE_CONNECTION> {
    const { location } = request;
    const maxBytes = this.#maxResponseBytes;
    const guarded = this.#guarded;
    const transport = request.url.protocol === 'https:' ? https : http;
    const agent = request.url.protocol === 'https:' ? this.#httpsAgent : this.#httpAgent;

    return new Promise((resolve, reject) => {
      const { signal } = deadline;
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      let settled = false;
      let response: http.IncomingMessage | undefined;
      /** Decided from the status line or headers while a small refused body drains. */
      let refusal: FederationError | undefined;

      const finish = (): boolean => {
        if (settled) return false;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        return true;
      };
      /** Rejects and tears the connection down (it may be mid-body or untrustworthy). */
      const fail = (error: unknown): void => {
        if (!finish()) return;
        response?.destroy();
        req.destroy();
        reject(error);
      };
      const onAbort = (): void => fail(refusal ?? signal.reason);

      const req = transport.request(request.url, {
        method: request.method,
        agent,
        headers: request.headers,
      });
      signal.addEventListener('abort', onAbort, { once: true });

      req.on('socket', (socket) => {
        if (!guarded) return;
        watchSocketAddress(socket, (error) => fail(translateNetworkError(error, location)));
      });
      req.on('error', (error) => {
        if (settled) return;
        if (mayRetry && response === undefined && req.reusedSocket && isStaleConnection(error)) {
          finish();
          req.destroy();
          resolve(STALE_CONNECTION);
          return;
        }
        fail(refusal ?? translateNetworkError(error, location));
      });
      req.on('close', () => {
        // Once a response exists its own end/error/close events decide (its body may still be
        // buffered when the request closes).
        if (response !== undefined || settled) return;
        fail(
          new TemporarilyUnavailableError('the upstream connection closed before an answer', {
            reason: 'statement_unavailable',
            ...location,
          }),
        );
      });

      req.on('response', (res) => {
        response = res;
        const status = res.statusCode ?? 0;
        refusal =
          checkStatus(status, res.headers['retry-after'], location) ??
          checkRepresentation(res, request, location);
        const declared = contentLength(res);
        if (refusal !== undefined) {
          const drainLimit = Math.min(DRAIN_LIMIT_BYTES, maxBytes);
          if (declared !== undefined && declared > drainLimit) {
            fail(refusal);
            return;
          }
          let drained = 0;
          res.on('data', (chunk: Buffer) => {
            drained += chunk.length;
            if (drained > drainLimit) fail(refusal);
          });
          res.on('end', () => {
            // The connection goes back to the pool; nothing of the body was kept.
            if (finish()) reject(refusal);
          });
        } else {
          if (declared !== undefined && declared > maxBytes) {
            fail(tooLarge(location));
            return;
          }
          const chunks: Buffer[] = [];
          let received = 0;
          res.on('data', (chunk: Buffer) => {
            if (settled) return;
            received += chunk.length;
            if (received > maxBytes) {
              fail(tooLarge(location));
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => {
            if (settled) return;
            let body: string;
            try {
              body = UTF8.decode(Buffer.concat(chunks, received));
            } catch (error) {
              fail(
                new NotFoundError('the upstream body is not valid UTF-8', {
                  reason: 'statement_unavailable',
                  ...location,
                  cause: error,
                }),
              );
              return;
            }
            if (!finish()) return;
            resolve({ status, contentType: headerValue(res.headers['content-type']), body });
          });
        }
        res.on('error', (error) => fail(refusal ?? translateNetworkError(error, location)));
        res.on('close', () => {
          // Closing after the body was delivered is the normal end: build no error for it.
          if (settled) return;
          fail(
            refusal ??
              new TemporarilyUnavailableError('the upstream closed the connection mid-body', {
                reason: 'statement_unavailable',
                ...location,
              }),
          );
        });
      });

      req.end(request.body);
    });
  }
}

/**
 * One request's deadline: a single timer and the caller's signal folded into one AbortSignal
 * whose reason is already the core error to report. dispose() must run when the request ends.
 */
class Deadline {
  readonly location: Location;
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;
  readonly #callerSignal: AbortSignal | undefined;

  constructor(timeoutMs: number, callerSignal: AbortSignal | undefined, location: Location) {
    this.location = location;
    this.#callerSignal = callerSignal;
    this.#timer = setTimeout(() => {
      this.abort(
        new TemporarilyUnavailableError(`the upstream did not answer within ${timeoutMs} ms`, {
          reason: 'upstream_timeout',
          ...location,
        }),
      );
    }, timeoutMs);
    if (callerSignal !== undefined) {
      if (callerSignal.aborted) this.#onCallerAbort();
      else callerSignal.addEventListener('abort', this.#onCallerAbort, { once: true });
    }
  }

  /** Aborted with the core error to report. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Aborts with `error` unless already aborted (the first cause wins). */
  abort(error: FederationError): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(error);
  }

  /** Clears the timer and the listener on the caller's signal. */
  dispose(): void {
    clearTimeout(this.#timer);
    this.#callerSignal?.removeEventListener('abort', this.#onCallerAbort);
  }

  readonly #onCallerAbort = (): void => {
    if (this.#callerSignal !== undefined) {
      this.abort(callerAbortedError(this.#callerSignal, this.location));
    }
  };
}

/** One of an origin's slots, held from admission to the end of the request. */
interface Slot {
  /** The request waited in the queue before it got the slot. */
  readonly waited: boolean;
  /** Frees the slot for the next request in line (idempotent). */
  release(): void;
}

/** A request waiting for a slot. */
interface Waiter {
  readonly location: Location;
  /** Hands it a slot (already counted as active). */
  grant(): void;
  /** Gives up waiting with `error`. */
  fail(error: FederationError): void;
}

/** The requests of one origin: how many are in flight, and who waits, first come first served. */
interface OriginQueue {
  active: number;
  /** In arrival order (a Set keeps insertion order and removes a waiter that gives up in O(1)). */
  readonly waiting: Set<Waiter>;
}

/**
 * A FIFO semaphore per origin with a bounded, timed wait. Origins with nothing in flight and
 * nothing waiting are forgotten, so the map is bounded by the requests in progress.
 */
class OriginSlots {
  readonly #limit: number;
  readonly #queueTimeoutMs: number;
  readonly #maxQueued: number;
  readonly #origins = new Map<string, OriginQueue>();

  constructor(limit: number, queueTimeoutMs: number, maxQueued: number) {
    this.#limit = limit;
    this.#queueTimeoutMs = queueTimeoutMs;
    this.#maxQueued = maxQueued;
  }

  /** A slot of `origin`, at once or after waiting; rejects with the core error to report. */
  acquire(
    origin: string,
    signal: AbortSignal | undefined,
    location: Location,
  ): Slot | Promise<Slot> {
    let queue = this.#origins.get(origin);
    if (queue === undefined) {
      queue = { active: 0, waiting: new Set() };
      this.#origins.set(origin, queue);
    }
    if (queue.active < this.#limit && queue.waiting.size === 0) {
      queue.active += 1;
      return this.#slot(origin, queue, false);
    }
    if (queue.waiting.size >= this.#maxQueued) {
      throw new TemporarilyUnavailableError(
        `the upstream's connections were all busy (${this.#limit} in use, ${queue.waiting.size} requests waiting)`,
        { reason: 'upstream_queue_timeout', ...location },
      );
    }
    const waiting = queue;
    return new Promise<Slot>((resolve, reject) => {
      let settled = false;
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        return true;
      };
      const waiter: Waiter = {
        location,
        grant: () => {
          if (settle()) resolve(this.#slot(origin, waiting, true));
        },
        fail: (error) => {
          if (!settle()) return;
          waiting.waiting.delete(waiter);
          this.#forgetIfIdle(origin, waiting);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        waiter.fail(
          new TemporarilyUnavailableError(
            `the upstream's connections were all busy for ${this.#queueTimeoutMs} ms`,
            { reason: 'upstream_queue_timeout', ...location },
          ),
        );
      }, this.#queueTimeoutMs);
      const onAbort = (): void => {
        if (signal !== undefined) waiter.fail(callerAbortedError(signal, location));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      waiting.waiting.add(waiter);
    });
  }

  /** Origins with requests in flight or waiting. */
  get size(): number {
    return this.#origins.size;
  }

  /** Rejects every waiting request (close()). */
  rejectAll(errorFor: (location: Location) => FederationError): void {
    for (const queue of [...this.#origins.values()]) {
      for (const waiter of [...queue.waiting]) waiter.fail(errorFor(waiter.location));
    }
  }

  #slot(origin: string, queue: OriginQueue, waited: boolean): Slot {
    let released = false;
    return {
      waited,
      release: () => {
        if (released) return;
        released = true;
        queue.active -= 1;
        this.#handOn(origin, queue);
      },
    };
  }

  /** Gives free slots to the first waiters in line, then forgets the origin if it is idle. */
  #handOn(origin: string, queue: OriginQueue): void {
    while (queue.active < this.#limit) {
      const first = queue.waiting.values().next();
      if (first.done === true) break;
      queue.waiting.delete(first.value);
      queue.active += 1;
      first.value.grant();
    }
    this.#forgetIfIdle(origin, queue);
  }

  #forgetIfIdle(origin: string, queue: OriginQueue): void {
    if (queue.active === 0 && queue.waiting.size === 0 && this.#origins.get(origin) === queue) {
      this.#origins.delete(origin);
    }
  }
}

function closedError(location: Location): TemporarilyUnavailableError {
  return new TemporarilyUnavailableError('the HTTP fetcher was closed', {
    reason: 'statement_unavailable',
    ...location,
  });
}

function callerAbortedError(signal: AbortSignal, location: Location): TemporarilyUnavailableError {
  return new TemporarilyUnavailableError('the request was aborted by its deadline', {
    reason: 'deadline_exceeded',
    ...location,
    cause: signal.reason,
  });
}

/** The origin of a URL (scheme, host and port), or the string itself when it is not a URL. */
function originOf(originOrUrl: string): string {
  try {
    return new URL(originOrUrl).origin;
  } catch {
    return originOrUrl;
  }
}

function validateOptions(options: HttpFetcherOptions): void {
  const invalid = (message: string): ServerError =>
    new ServerError(`HTTP fetcher configuration: ${message}`, { reason: 'configuration_invalid' });
  if (options.userAgent === '' || /[^\t\x20-\x7e]/.test(options.userAgent)) {
    throw invalid('userAgent must be a non-empty printable ASCII string');
  }
  if (!Number.isSafeInteger(options.timeoutMs) || options.timeoutMs <= 0) {
    throw invalid('timeoutMs must be a positive integer');
  }
  if (!Number.isSafeInteger(options.maxResponseBytes) || options.maxResponseBytes <= 0) {
    throw invalid('maxResponseBytes must be a positive integer');
  }
  const positive: ReadonlyArray<readonly [string, number | undefined]> = [
    ['maxSockets', options.maxSockets],
    ['queueTimeoutMs', options.queueTimeoutMs],
    ['maxQueuedPerOrigin', options.maxQueuedPerOrigin],
    [
      'breaker.failureThreshold',
      options.breaker === false ? undefined : options.breaker?.failureThreshold,
    ],
    ['breaker.openMs', options.breaker === false ? undefined : options.breaker?.openMs],
  ];
  for (const [name, value] of positive) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value <= 0)) {
      throw invalid(`${name} must be a positive integer`);
    }
  }
  const { breaker, onCircuitChange } = options;
  if (breaker !== undefined && breaker !== false && typeof breaker !== 'object') {
    throw invalid('breaker must be an object or false');
  }
  if (breaker && breaker.now !== undefined && typeof breaker.now !== 'function') {
    throw invalid('breaker.now must be a function');
  }
  if (onCircuitChange !== undefined && typeof onCircuitChange !== 'function') {
    throw invalid('onCircuitChange must be a function');
  }
}

/** The error for a status other than 200, or undefined for 200. */
function checkStatus(
  status: number,
  retryAfterHeader: string | undefined,
  location: Location,
): FederationError | undefined {
  if (status === 200) return undefined;
  const where = { ...location, status };
  if (status >= 300 && status < 400) {
    // Redirects are never followed: the target could be internal, or http (§18.1; SECURITY.md).
    return new NotFoundError(`the upstream redirected (HTTP ${status}); not followed`, {
      reason: 'redirect_refused',
      ...where,
    });
  }
  if (status === 404 || status === 410) {
    return new NotFoundError(`the upstream has no such document (HTTP ${status})`, {
      reason: 'statement_unavailable',
      ...where,
    });
  }
  if (status === 429 || (status >= 500 && status < 600)) {
    const retryAfter = parseRetryAfter(retryAfterHeader);
    return new TemporarilyUnavailableError(`the upstream is unavailable (HTTP ${status})`, {
      reason: 'upstream_status',
      ...where,
      ...(retryAfter === undefined ? {} : { retryAfter }),
    });
  }
  return new NotFoundError(`the upstream answered HTTP ${status}`, {
    reason: 'upstream_status',
    ...where,
  });
}

/** The error for a media type other than the expected one or an encoded body, if any. */
function checkRepresentation(
  res: http.IncomingMessage,
  request: OutboundRequest,
  location: Location,
): FederationError | undefined {
  if (mediaType(headerValue(res.headers['content-type'])) !== request.expectedMediaType) {
    return new NotFoundError('the upstream answered with an unexpected content type', {
      reason: 'content_type_invalid',
      ...location,
    });
  }
  // We never send Accept-Encoding, so an encoded body is one we cannot read as the JWT it claims.
  const encoding = headerValue(res.headers['content-encoding']).trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity') {
    return new NotFoundError('the upstream answered with an unrequested content encoding', {
      reason: 'content_type_invalid',
      ...location,
    });
  }
  return undefined;
}

function tooLarge(location: Location): NotFoundError {
  return new NotFoundError('the upstream response exceeds the size limit', {
    reason: 'response_too_large',
    ...location,
  });
}

const DAY = 'Mon|Tue|Wed|Thu|Fri|Sat|Sun';
const LONG_DAY = 'Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday';
const MONTH_NAMES = [
  'Jan',
  'Feb',
  'Mar',
  'Apr',
  'May',
  'Jun',
  'Jul',
  'Aug',
  'Sep',
  'Oct',
  'Nov',
  'Dec',
] as const;
const MONTH = MONTH_NAMES.join('|');
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
/** RFC 9110 §5.6.7: `Sun, 06 Nov 1994 08:49:37 GMT` (the preferred form). */
const IMF_FIXDATE = new RegExp(`^(${DAY}), (\\d{2}) (${MONTH}) (\\d{4}) ${TIME} GMT$`);
/** RFC 9110 §5.6.7, obsolete: `Sunday, 06-Nov-94 08:49:37 GMT`. */
const RFC850_DATE = new RegExp(`^(${LONG_DAY}), (\\d{2})-(${MONTH})-(\\d{2}) ${TIME} GMT$`);
/** RFC 9110 §5.6.7, obsolete: `Sun Nov  6 08:49:37 1994` (ANSI C's asctime()). */
const ASCTIME_DATE = new RegExp(`^(${DAY}) (${MONTH}) ( \\d|\\d{2}) ${TIME} (\\d{4})$`);

/**
 * The seconds to wait given by a `Retry-After` value (RFC 9110 §10.2.3): delta-seconds or an
 * HTTP-date (any of the three forms of §5.6.7, which a recipient must accept), as a whole number
 * of seconds from `nowMs` (wall clock, ms since the epoch), at least 0 and at most 300.
 * Undefined when absent or invalid.
 */
export function parseRetryAfter(
  value: string | undefined,
  nowMs: number = Date.now(),
): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Math.min(Number(text), MAX_RETRY_AFTER_SECONDS);
  const at = parseHttpDate(text, nowMs);
  if (at === undefined) return undefined;
  return Math.min(Math.max(0, Math.ceil((at - nowMs) / 1000)), MAX_RETRY_AFTER_SECONDS);
}

/** An HTTP-date (RFC 9110 §5.6.7) in ms since the epoch, or undefined when invalid. */
function parseHttpDate(text: string, nowMs: number): number | undefined {
  // Each form's fields as [day, month, year, hours, minutes, seconds]; the day name is redundant.
  let fields: readonly string[];
  let year: number;
  const imf = IMF_FIXDATE.exec(text);
  const rfc850 = imf === null ? RFC850_DATE.exec(text) : null;
  const asctime = imf === null && rfc850 === null ? ASCTIME_DATE.exec(text) : null;
  if (imf !== null) {
    fields = imf.slice(2);
    year = Number(fields[2]);
  } else if (rfc850 !== null) {
    fields = rfc850.slice(2);
    // §5.6.7: a two-digit year more than 50 years in the future is the most recent past year
    // with the same last two digits.
    const nowYear = new Date(nowMs).getUTCFullYear();
    year = Math.floor(nowYear / 100) * 100 + Number(fields[2]);
    if (year > nowYear + 50) year -= 100;
  } else if (asctime !== null) {
    const [, , month = '', day = '', hh = '', mm = '', ss = '', y = ''] = asctime;
    fields = [day.trim(), month, y, hh, mm, ss];
    year = Number(y);
  } else {
    return undefined;
  }
  const [day = '', month = '', , hh = '', mm = '', ss = ''] = fields;
  const monthIndex = MONTH_NAMES.indexOf(month as (typeof MONTH_NAMES)[number]);
  const dayOfMonth = Number(day);
  const [hours, minutes, seconds] = [Number(hh), Number(mm), Number(ss)];
  // Seconds up to 60 allow a leap second (§5.6.7).
  if (hours > 23 || minutes > 59 || seconds > 60) return undefined;
  const midnight = Date.UTC(year, monthIndex, dayOfMonth);
  const date = new Date(midnight);
  // Date.UTC rolls an impossible day (31 Feb, day 0) into another month; such a date is invalid.
  if (date.getUTCMonth() !== monthIndex || date.getUTCDate() !== dayOfMonth) return undefined;
  return midnight + ((hours * 60 + minutes) * 60 + seconds) * 1000;
}

/** Translates a socket, DNS, TLS or parser error; the original becomes the `cause`. */
function translateNetworkError(error: unknown, location: Location): FederationError {
  if (error instanceof AddressNotAllowedError) {
    return new NotFoundError('the upstream host resolves to an address that is not allowed', {
      reason: 'address_not_allowed',
      ...location,
      cause: error,
    });
  }
  const code = errorCode(error);
  const suffix = code === undefined ? '' : ` (${code})`;
  if (code !== undefined && TLS_CERTIFICATE_CODES.has(code)) {
    return new NotFoundError(`the upstream TLS certificate was rejected${suffix}`, {
      reason: 'tls_certificate_rejected',
      ...location,
      cause: error,
    });
  }
  // llhttp's codes: the peer does not speak valid HTTP/1.1, or exceeds the header size limit.
  // A host name that does not exist is as absent as a 404.
  if (code !== undefined && (code.startsWith('HPE_') || code === 'ENOTFOUND')) {
    return new NotFoundError(`the upstream response is not valid HTTP${suffix}`, {
      reason: 'statement_unavailable',
      ...location,
      cause: error,
    });
  }
  return new TemporarilyUnavailableError(`the upstream connection failed${suffix}`, {
    reason: 'statement_unavailable',
    ...location,
    cause: error,
  });
}

function isStaleConnection(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && STALE_CONNECTION_CODES.has(code);
}

/** A Node error code, only when it looks like one (it goes into a message). */
function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const { code } = error;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{0,63}$/.test(code) ? code : undefined;
}

/** The media type of a Content-Type value: lower case, without parameters. */
function mediaType(contentType: string): string {
  return (contentType.split(';', 1)[0] ?? '').trim().toLowerCase();
}

function headerValue(value: string | string[] | undefined): string {
  if (Array.isArray(value)) return value.join(', ');
  return value ?? '';
}

/** The declared Content-Length, or undefined when absent or not a plain decimal number. */
function contentLength(res: http.IncomingMessage): number | undefined {
  const value = res.headers['content-length'];
  if (value === undefined || !/^\d{1,15}$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

/** The URL for error locations: credentials are never echoed. */
function withoutCredentials(url: URL): string {
  if (url.username === '' && url.password === '') return url.href;
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  return copy.href;
}
