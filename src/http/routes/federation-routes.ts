/** The spec's endpoints: the resolver's Entity Configuration (§9) and /resolve (§8.3). */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { MEDIA_TYPES, WELL_KNOWN_FEDERATION_PATH } from '../../federation/constants.js';
import { parseResolveParams } from '../params.js';
import { resolutionExpiry } from '../../federation/resolve-response.js';
import { resolveSubject, type RouteDependencies } from './resolution.js';

/** Longest time a client may keep a resolve response (never past its exp). */
const MAX_RESPONSE_AGE_SECONDS = 300;

/** Registers the federation endpoints. */
export function federationRoutes(router: Router, deps: RouteDependencies): void {
  router.get(WELL_KNOWN_FEDERATION_PATH, async function entityConfiguration(ctx: Context) {
    ctx.body = await deps.responses.entityConfiguration();
    ctx.set('Content-Type', MEDIA_TYPES.entityStatement);
    ctx.set('Cache-Control', 'public, max-age=3600');
  });

  router.get('/resolve', async function resolve(ctx: Context) {
    const params = parseResolveParams(ctx.querystring, { allowHttp: deps.allowInsecureHttp });
    const resolved = await resolveSubject(deps, params);
    ctx.body = await deps.responses.resolveResponse(resolved, params.entityTypes);
    ctx.set('Content-Type', MEDIA_TYPES.resolveResponse);
    const exp = resolutionExpiry(resolved.chain, resolved.trustMarks?.verified ?? []);
    const age = Math.max(0, Math.min(MAX_RESPONSE_AGE_SECONDS, Math.floor(exp - deps.clock.now())));
    ctx.set('Cache-Control', `private, max-age=${age}`);
  });
}
