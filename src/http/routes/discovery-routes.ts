/**
 * Discovery-shaped metadata: the resolved `openid_provider` metadata as an OpenID Connect
 * Discovery document, and `oauth_authorization_server` as RFC 8414 metadata, so software that
 * only speaks discovery can use federation-resolved metadata.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { NotFoundError } from '../../federation/errors.js';
import { parseResolveParams } from '../params.js';
import { resolveSubject, type RouteDependencies } from './resolution.js';

const DOCUMENTS = [
  ['/discovery/openid-configuration', 'openid_provider'],
  ['/discovery/oauth-authorization-server', 'oauth_authorization_server'],
] as const;

/** Registers the discovery endpoints. */
export function discoveryRoutes(router: Router, deps: RouteDependencies): void {
  for (const [path, entityType] of DOCUMENTS) {
    router.get(path, async function discoveryDocument(ctx: Context) {
      const params = parseResolveParams(ctx.querystring, { allowHttp: deps.allowInsecureHttp });
      const { chain } = await resolveSubject(deps, params);
      const metadata = Object.hasOwn(chain.metadata, entityType)
        ? chain.metadata[entityType]
        : undefined;
      if (metadata === undefined) {
        throw new NotFoundError(
          `${chain.subject} has no ${entityType} metadata in its resolved trust chain`,
          {
            reason: 'entity_type_not_found',
            entityType,
          },
        );
      }
      ctx.body = metadata;
      const age = Math.max(0, Math.min(300, Math.floor(chain.exp - deps.clock.now())));
      ctx.set('Cache-Control', `public, max-age=${age}`);
    });
  }
}
