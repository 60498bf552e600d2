/** The spec's endpoints: the resolver's Entity Configuration (§9) and /resolve (§8.3). */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { MEDIA_TYPES, WELL_KNOWN_FEDERATION_PATH } from '../../federation/constants.js';
import { callerOf } from '../middleware.js';
import { parseResolutionQuery } from '../params.js';
import { maxAge, type RouteDependencies } from './routes.js';

/** Longest time a client may keep a resolve response (never past its exp). */
const MAX_RESPONSE_AGE_SECONDS = 300;

/** Registers the federation endpoints. */
export function federationRoutes(router: Router, deps: RouteDependencies): void {
  router.get(WELL_KNOWN_FEDERATION_PATH, async function entityConfiguration(ctx: Context) {
    ctx.body = await deps.engine.entityConfiguration();
    ctx.set('Content-Type', MEDIA_TYPES.entityStatement);
    ctx.set('Cache-Control', 'public, max-age=3600');
  });

  router.get('/resolve', async function resolve(ctx: Context) {
    const query = parseResolutionQuery(ctx.querystring, { allowHttp: deps.allowInsecureHttp });
    const response = await deps.engine.resolveResponse(query, callerOf(ctx));
    ctx.body = response.value;
    ctx.set('Content-Type', MEDIA_TYPES.resolveResponse);
    const age = maxAge(response.exp, deps.clock.now(), MAX_RESPONSE_AGE_SECONDS);
    ctx.set('Cache-Control', `private, max-age=${age}`);
  });
}
