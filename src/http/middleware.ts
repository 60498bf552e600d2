/**
 * Koa middleware: request ids and logging, the error boundary with JSON answers for routing,
 * response hygiene (security headers, caching on every answer), bounds on what a request may
 * carry, and who the client is.
 */
import { randomUUID } from 'node:crypto';
import type { Context, Next } from 'koa';
import type { Caller } from '../engine/admission.js';
import type { Logger } from '../engine/ports.js';
import { FederationError, InvalidRequestError } from '../federation/errors.js';
import { clientAddress } from './client-address.js';
import { RETRY_AFTER_SECONDS, toErrorResponse } from './error-mapping.js';

/** Longest request target (path and query) accepted, in characters. */
export const MAX_URL_LENGTH = 8192;

/** Largest request body accepted; no endpoint reads one (§8.3.1: GET with query parameters). */
export const MAX_BODY_BYTES = 16 * 1024;

/**
 * Headers on every answer: nothing may be sniffed, framed or referred, and nothing but the
 * explorer's page is HTML (its files set a policy of their own, explorer-routes.ts).
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
};

/** Gives every request an id (echoed in `X-Request-Id`) and logs its completion at debug. */
export function requestLogging(logger: Logger) {
  return async function logRequest(ctx: Context, next: Next): Promise<void> {
    const reqId = randomUUID();
    ctx.state['reqId'] = reqId;
    ctx.set('X-Request-Id', reqId);
    // The child logger is made only when something is logged: the warm path stays cheap.
    if (!logger.isLevelEnabled('debug')) return next();
    const started = performance.now();
    try {
      await next();
    } finally {
      logger.child({ reqId }).debug(
        {
          method: ctx.method,
          path: ctx.path,
          status: ctx.status,
          ms: Math.round(performance.now() - started),
        },
        'request',
      );
    }
  };
}

/** Writes the §8.9 error body for `error` with the status of the mapping table. */
function answerError(ctx: Context, error: unknown, logger: Logger): void {
  const { status, body } = toErrorResponse(error);
  const log = logger.child({ reqId: ctx.state['reqId'] });
  if (
    status >= 500 &&
    !(error instanceof FederationError && error.code === 'temporarily_unavailable')
  ) {
    log.error({ err: error, path: ctx.path }, 'request failed');
  } else {
    log.info(
      { path: ctx.path, error: error instanceof FederationError ? error.toDetail() : body },
      'request rejected',
    );
  }
  ctx.status = status;
  ctx.body = body;
  ctx.set('Cache-Control', 'no-store');
  if (status === 503 || status === 429) {
    const retryAfter = error instanceof FederationError ? error.location.retryAfter : undefined;
    ctx.set('Retry-After', String(retryAfter ?? RETRY_AFTER_SECONDS));
  }
  if (status === 401) ctx.set('WWW-Authenticate', 'Bearer');
}

/**
 * Turns every thrown value into the §8.9 error body, and gives the router's bare answers (no
 * such path, a method the path does not serve) the same JSON form and the `invalid_request` code.
 */
export function errorBoundary(logger: Logger) {
  return async function handleErrors(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
    } catch (error) {
      answerError(ctx, error, logger);
      return;
    }
    if (ctx.body !== undefined && ctx.body !== null) return;
    if (ctx.status === 404) {
      answerError(
        ctx,
        new InvalidRequestError(`there is no endpoint at ${ctx.path}`, {
          reason: 'endpoint_not_found',
        }),
        logger,
      );
    } else if (ctx.status === 405 || ctx.status === 501) {
      const allow = headerText(ctx.response.get('Allow'));
      if (allow === '') ctx.remove('Allow');
      answerError(
        ctx,
        new InvalidRequestError(
          `${ctx.path} does not serve ${ctx.method}${allow === '' ? '' : `; allowed: ${allow}`}`,
          { reason: ctx.status === 405 ? 'method_not_allowed' : 'method_not_implemented' },
        ),
        logger,
      );
    }
  };
}

/**
 * Response hygiene: the security headers on every answer, `Cache-Control: no-store` on any answer
 * that set no caching of its own, and `Connection: close` once the service is shutting down.
 */
export function responseHygiene(lifecycle: { readonly closing: boolean }) {
  return async function hygiene(ctx: Context, next: Next): Promise<void> {
    ctx.set(SECURITY_HEADERS);
    try {
      await next();
    } finally {
      if (headerText(ctx.response.get('Cache-Control')) === '')
        ctx.set('Cache-Control', 'no-store');
      if (lifecycle.closing) ctx.set('Connection', 'close');
    }
  };
}

/** A header value as text (Koa gives `undefined` for a missing one). */
function headerText(value: string | string[] | number | undefined): string {
  if (value === undefined) return '';
  return Array.isArray(value) ? value.join(', ') : String(value);
}

/**
 * Bounds on a request before any routing: a Host header (RFC 9112 §3.2), the length of its
 * target, and no body to speak of. A refused body is read and dropped, not left unread: closing a
 * connection with data still arriving would reset it and lose the answer (the request timeout
 * bounds how long that reading may go on).
 */
export async function requestLimits(ctx: Context, next: Next): Promise<void> {
  if (ctx.req.httpVersion === '1.1' && ctx.req.headers.host === undefined) {
    throw new InvalidRequestError('an HTTP/1.1 request must carry a Host header', {
      reason: 'request_malformed',
    });
  }
  if (ctx.originalUrl.length > MAX_URL_LENGTH) {
    throw new InvalidRequestError(
      `the request target is ${ctx.originalUrl.length} characters, over the limit of ${MAX_URL_LENGTH}`,
      { reason: 'uri_too_long', section: '§8.3.1' },
    );
  }
  const length = Number(ctx.get('Content-Length') || '0');
  if (!Number.isFinite(length) || length > MAX_BODY_BYTES || ctx.get('Transfer-Encoding') !== '') {
    ctx.req.resume();
    throw new InvalidRequestError(
      `request bodies over ${MAX_BODY_BYTES} bytes, or of unknown length, are not accepted`,
      { reason: 'body_too_large' },
    );
  }
  await next();
}

/**
 * The caller of one request. Its address (after trusted proxies) is worked out only when asked
 * for, which only work that costs upstream requests does: an answer from cache never pays for it.
 */
class RequestCaller implements Caller {
  readonly #ctx: Context;
  readonly #trusted: ReadonlySet<string>;
  #client: string | undefined;

  constructor(ctx: Context, trusted: ReadonlySet<string>) {
    this.#ctx = ctx;
    this.#trusted = trusted;
  }

  get client(): string {
    this.#client ??= clientAddress(
      this.#ctx.req.socket.remoteAddress,
      this.#ctx.req.headers['x-forwarded-for'],
      this.#trusted,
    );
    return this.#client;
  }
}

/** Records who the client is (its address, after trusted proxies) for per-client budgets. */
export function clientIdentity(trustedProxies: readonly string[]) {
  const trusted = new Set(trustedProxies);
  return async function identify(ctx: Context, next: Next): Promise<void> {
    ctx.state['caller'] = new RequestCaller(ctx, trusted);
    await next();
  };
}

/** Stands for a request that came in without {@link clientIdentity}. */
const UNKNOWN_CALLER: Caller = { client: 'unknown' };

/** The caller of a request, as {@link clientIdentity} recorded it. */
export function callerOf(ctx: Context): Caller {
  const caller: unknown = ctx.state['caller'];
  return caller instanceof RequestCaller ? caller : UNKNOWN_CALLER;
}
