/** Koa middleware: request ids and logging, the error boundary, and JSON answers for routing. */
import { randomUUID } from 'node:crypto';
import type { Context, Next } from 'koa';
import type { Logger } from '../engine/ports.js';
import { FederationError, InvalidRequestError } from '../federation/errors.js';
import { RETRY_AFTER_SECONDS, toErrorResponse } from './error-mapping.js';

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
  if (status === 503) ctx.set('Retry-After', String(RETRY_AFTER_SECONDS));
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
      const allow = ctx.response.get('Allow');
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
