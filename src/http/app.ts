/** createApp: the Koa application with every endpoint, built from the engine and its ports. */
import Router from '@koa/router';
import Koa from 'koa';
import type { Logger, MetricsExporter } from '../engine/ports.js';
import {
  clientIdentity,
  errorBoundary,
  requestLimits,
  requestLogging,
  responseHygiene,
} from './middleware.js';
import { adminRoutes } from './routes/admin-routes.js';
import { apiRoutes } from './routes/api-routes.js';
import { collectionRoutes } from './routes/collection-routes.js';
import { discoveryRoutes } from './routes/discovery-routes.js';
import { explorerRoutes, type ExplorerAsset } from './routes/explorer-routes.js';
import { federationRoutes } from './routes/federation-routes.js';
import { opsRoutes } from './routes/ops-routes.js';
import type { RouteDependencies } from './routes/routes.js';

/** Everything the HTTP layer needs. */
export interface AppDependencies extends RouteDependencies {
  readonly metrics: MetricsExporter;
  readonly logger: Logger;
  /** Proxies whose X-Forwarded-For names the client. */
  readonly trustedProxies?: readonly string[];
  /** When set, /metrics requires it as a bearer token. */
  readonly metricsToken?: string | undefined;
  /** When set, the admin API exists and requires it as a bearer token. */
  readonly adminToken?: string | undefined;
  /** Largest page of /collection. */
  readonly collectionMaxLimit?: number;
  /** The explorer's files (EXPLORER=on); without them there is no /explorer and no `/`. */
  readonly explorer?: readonly ExplorerAsset[] | undefined;
  /** Whether the service is shutting down (answers then close their connection). */
  readonly lifecycle?: { readonly closing: boolean };
}

/** Builds the Koa application. */
export function createApp(deps: AppDependencies): Koa {
  const app = new Koa();
  // Errors are answered by the boundary and logged there; Koa's own printer stays quiet.
  app.silent = true;
  const router = new Router();
  federationRoutes(router, deps);
  apiRoutes(router, deps);
  discoveryRoutes(router, deps);
  opsRoutes(router, deps);
  adminRoutes(router, deps);
  collectionRoutes(router, { ...deps, collectionMaxLimit: deps.collectionMaxLimit ?? 1000 });
  explorerRoutes(router, deps.explorer);
  app.use(requestLogging(deps.logger));
  app.use(responseHygiene(deps.lifecycle ?? { closing: false }));
  app.use(errorBoundary(deps.logger));
  app.use(requestLimits);
  app.use(clientIdentity(deps.trustedProxies ?? []));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
