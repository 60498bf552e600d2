/**
 * The federation as a whole, from the crawl (CRAWL=on): the Entity Collection endpoint (the
 * Entity Collection extension, `GET /collection`) and the federation health report
 * (`GET /api/v1/federation`). Both answer from memory, never with an upstream request.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { COLLECTION_UI_CLAIMS, ENTITY_CLAIMS } from '../../engine/federation-view.js';
import { parseCollectionQuery, parseHealthQuery } from '../params.js';
import type { RouteDependencies } from './routes.js';

/** Registers /collection and /api/v1/federation when the service crawls. */
export function collectionRoutes(
  router: Router,
  deps: RouteDependencies & { readonly collectionMaxLimit: number },
): void {
  if (!deps.engine.crawls) return;
  router.get('/collection', function collection(ctx: Context) {
    const { trustAnchor, ...query } = parseCollectionQuery(ctx.querystring, {
      allowHttp: deps.allowInsecureHttp,
      maxLimit: deps.collectionMaxLimit,
      entityClaims: ENTITY_CLAIMS,
      uiClaims: COLLECTION_UI_CLAIMS,
    });
    ctx.body = deps.engine.collection(trustAnchor, query);
    // Informational and unsigned (the extension's security considerations): kept briefly.
    ctx.set('Cache-Control', 'public, max-age=60');
  });
  router.get('/api/v1/federation', function federation(ctx: Context) {
    const { trustAnchor, horizonSeconds } = parseHealthQuery(ctx.querystring, {
      allowHttp: deps.allowInsecureHttp,
    });
    ctx.body = deps.engine.federationHealth(trustAnchor, horizonSeconds, deps.clock.now());
    ctx.set('Cache-Control', 'no-store');
  });
}
