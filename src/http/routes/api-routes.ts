/** The JSON API for applications and the diagnostics that explain a resolution. */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { callerOf } from '../middleware.js';
import { parseResolutionQuery, parseTrustMarkTypes } from '../params.js';
import type { RouteDependencies } from './routes.js';

/** Registers /api/v1/resolve, /api/v1/explain and /api/v1/trust-anchors. */
export function apiRoutes(router: Router, deps: RouteDependencies): void {
  router.get('/api/v1/resolve', async function resolveJson(ctx: Context) {
    const query = parseResolutionQuery(ctx.querystring, { allowHttp: deps.allowInsecureHttp });
    // The JSON API can filter subjects: each requested type must be held as a verified mark.
    ctx.body = await deps.engine.resolution(
      query,
      parseTrustMarkTypes(ctx.querystring),
      callerOf(ctx),
    );
    ctx.set('Cache-Control', 'no-store');
  });

  router.get('/api/v1/explain', async function explain(ctx: Context) {
    const query = parseResolutionQuery(ctx.querystring, { allowHttp: deps.allowInsecureHttp });
    ctx.body = await deps.engine.explain(query, callerOf(ctx));
    ctx.set('Cache-Control', 'no-store');
  });

  // What a client may ask for: the anchors to name in trust_anchor, and whether the
  // federation-wide endpoints (/collection, /api/v1/federation) exist.
  router.get('/api/v1/trust-anchors', function trustAnchors(ctx: Context) {
    ctx.body = { trust_anchors: deps.engine.trustAnchorIds(), crawl: deps.engine.crawls };
    ctx.set('Cache-Control', 'no-store');
  });
}
