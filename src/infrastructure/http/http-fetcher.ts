/**
 * The outbound HTTP client of the resolver (docs/architecture.md): every request has one deadline
 * (connect, headers and body), an incrementally enforced byte cap, an explicit `Accept`, our
 * `User-Agent`, an exact status and media-type check, no redirects, `https` only unless
 * configured, and the address guard unless configured. It returns raw strings and never
 * interprets a body (§8.9 error bodies are unsigned, so they are never even read).
 *
 * Failures become core errors here, once, with the foreign error as `cause`:
 *
 * | condition                                                   | error                       | reason                  |
 * | ----------------------------------------------------------- | --------------------------- | ----------------------- |
 * | scheme other than https (or http when allowed)              | NotFoundError               | `scheme_not_allowed`    |
 * | unparsable URL, credentials or a fragment in the URL        | NotFoundError               | `address_not_allowed`   |
 * | host is or resolves to a forbidden address                  | NotFoundError               | `address_not_allowed`   |
 * | 3xx (never followed)                                        | NotFoundError (+ status)    | `redirect_refused`      |
 * | 404, 410                                                    | NotFoundError (+ status)    | `statement_unavailable` |
 * | 429, 5xx                                                    | TemporarilyUnavailableError | `upstream_status`       |
 * | any other status but 200                                    | NotFoundError (+ status)    | `upstream_status`       |
 * | other media type, or a Content-Encoding                     | NotFoundError               | `content_type_invalid`  |
 * | body (or declared Content-Length) above the cap             | NotFoundError               | `response_too_large`    |
 * | body not valid UTF-8                                        | NotFoundError               | `statement_unavailable` |
 * | TLS certificate rejected                                    | NotFoundError               | `tls_certificate_rejected` |
 * | response not valid HTTP, host name does not exist (NXDOMAIN) | NotFoundError              | `statement_unavailable` |
 * | refused/reset connection, other DNS and socket errors       | TemporarilyUnavailableError | `statement_unavailable` |
 * | our timeout                                                 | TemporarilyUnavailableError | `upstream_timeout`      |
 * | the caller's AbortSignal                                    | TemporarilyUnavailableError | `deadline_exceeded`     |
 * | the fetcher was closed                                      | TemporarilyUnavailableError | `statement_unavailable` |
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
  /** Most concurrent connections per origin (default 16); further requests wait for one. */
  readonly maxSockets?: number;
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
  /** Time from the call to the end of the body, in milliseconds. */
  readonly durationMs: number;
}

/** Default of `maxSockets`: concurrent connections per origin. */
export const DEFAULT_MAX_SOCKETS = 16;

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

  /** Destroys the keep-alive agents and aborts the requests in flight. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const deadline of this.#inFlight) {
      deadline.abort(
        new TemporarilyUnavailableError('the HTTP fetcher was closed', {
          reason: 'statement_unavailable',
          ...deadline.location,
        }),
      );
    }
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
    if (this.#closed) {
      throw new TemporarilyUnavailableError('the HTTP fetcher is closed', {
        reason: 'statement_unavailable',
        ...location,
      });
    }
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
          return { url: url.href, ...outcome, durationMs: performance.now() - started };
        }
      }
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
        refusal = checkStatus(status, location) ?? checkRepresentation(res, request, location);
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
    this.abort(
      new TemporarilyUnavailableError('the request was aborted by its deadline', {
        reason: 'deadline_exceeded',
        ...this.location,
        cause: this.#callerSignal?.reason,
      }),
    );
  };
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
  const { maxSockets } = options;
  if (maxSockets !== undefined && (!Number.isSafeInteger(maxSockets) || maxSockets <= 0)) {
    throw invalid('maxSockets must be a positive integer');
  }
}

/** The error for a status other than 200, or undefined for 200. */
function checkStatus(status: number, location: Location): FederationError | undefined {
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
    return new TemporarilyUnavailableError(`the upstream is unavailable (HTTP ${status})`, {
      reason: 'upstream_status',
      ...where,
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
