/**
 * Discovery-shaped metadata: the resolved `openid_provider` metadata as an OpenID Connect
 * Discovery document, and `oauth_authorization_server` as RFC 8414 metadata, so software that
 * only speaks discovery can use federation-resolved metadata.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { callerOf } from '../middleware.js';
import { parseResolutionQuery } from '../params.js';
import { maxAge, type RouteDependencies } from './routes.js';

const DOCUMENTS = [
  ['/discovery/openid-configuration', 'openid_provider'],
  ['/discovery/oauth-authorization-server', 'oauth_authorization_server'],
] as const;

/** Longest time a client may keep a discovery document (never past the chain's exp). */
const MAX_DOCUMENT_AGE_SECONDS = 300;

/** Registers the discovery endpoints. */
export function discoveryRoutes(router: Router, deps: RouteDependencies): void {
  for (const [path, entityType] of DOCUMENTS) {
    router.get(path, async function discoveryDocument(ctx: Context) {
      const query = parseResolutionQuery(ctx.querystring, { allowHttp: deps.allowInsecureHttp });
      const document = await deps.engine.entityTypeMetadata(query, entityType, callerOf(ctx));
      ctx.body = document.value;
      const age = maxAge(document.exp, deps.clock.now(), MAX_DOCUMENT_AGE_SECONDS);
      ctx.set('Cache-Control', `public, max-age=${age}`);
    });
  }
}
