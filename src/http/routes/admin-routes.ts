/**
 * The admin API, for operators only: `POST /admin/cache/purge` forgets what every replica has
 * cached about one entity (or everything). It exists only when ADMIN_TOKEN is configured, and
 * answers only `Authorization: Bearer <ADMIN_TOKEN>` (compared in constant time).
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { ResolverEngine } from '../../engine/resolver-engine.js';
import { isEntityIdentifier } from '../../federation/entity-id.js';
import { InvalidClientError, InvalidRequestError } from '../../federation/errors.js';
import { bearerMatches } from '../bearer.js';
import { bodyText } from '../body.js';

/** The `sub` of a purge request, from a JSON or a form body; undefined purges everything. */
async function purgeSubject(ctx: Context, allowHttp: boolean): Promise<string | undefined> {
  const text = await bodyText(ctx);
  const type = (ctx.get('Content-Type').split(';')[0] ?? '').trim().toLowerCase();
  let sub: unknown;
  if (text.trim() === '') {
    sub = undefined;
  } else if (type === 'application/json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new InvalidRequestError('the body is not JSON', { reason: 'parameter_invalid' });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new InvalidRequestError('the body must be a JSON object', {
        reason: 'parameter_invalid',
      });
    }
    sub = (parsed as Record<string, unknown>)['sub'];
  } else if (type === 'application/x-www-form-urlencoded') {
    const values = new URLSearchParams(text).getAll('sub');
    if (values.length > 1) {
      throw new InvalidRequestError('"sub" may be given once', {
        reason: 'parameter_repeated',
        requestParameter: 'sub',
      });
    }
    sub = values[0];
  } else {
    throw new InvalidRequestError(
      'the body must be application/json or application/x-www-form-urlencoded',
      { reason: 'parameter_invalid' },
    );
  }
  if (sub === undefined) return undefined;
  if (!isEntityIdentifier(sub, { allowHttp })) {
    throw new InvalidRequestError('"sub" must be an Entity Identifier', {
      reason: 'parameter_invalid',
      requestParameter: 'sub',
    });
  }
  return sub;
}

/** Registers the admin API when `adminToken` is set; without it, its paths do not exist. */
export function adminRoutes(
  router: Router,
  deps: {
    readonly engine: ResolverEngine;
    readonly adminToken?: string | undefined;
    readonly allowInsecureHttp: boolean;
  },
): void {
  const token = deps.adminToken;
  if (token === undefined) return;
  router.post('/admin/cache/purge', async function purge(ctx: Context) {
    if (!bearerMatches(ctx.get('Authorization'), token)) {
      ctx.req.resume();
      throw new InvalidClientError('the admin API needs the bearer token set in ADMIN_TOKEN', {
        reason: 'unauthorized',
      });
    }
    const entity = await purgeSubject(ctx, deps.allowInsecureHttp);
    ctx.body = { purged: await deps.engine.purge(entity) };
    ctx.set('Cache-Control', 'no-store');
  });
}
