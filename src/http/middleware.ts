/** Koa middleware: request ids and logging, the error boundary, and the JSON 404. */
import { randomUUID } from 'node:crypto';
import type { Context, Next } from 'koa';
import { FederationError } from '../federation/errors.js';
import type { Logger } from '../infrastructure/logger.js';
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

/** Turns every thrown value into the §8.9 error body with the status of the mapping table. */
export function errorBoundary(logger: Logger) {
  return async function handleErrors(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
    } catch (error) {
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
  };
}

/** A JSON 404 for unknown paths, in the §8.9 format. */
export async function notFound(ctx: Context, next: Next): Promise<void> {
  await next();
  if (ctx.status === 404 && ctx.body === undefined) {
    ctx.status = 404;
    ctx.body = { error: 'not_found', error_description: 'no such endpoint' };
  }
}
