/** Operational endpoints: liveness, readiness (trust anchors loaded) and Prometheus metrics. */
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { MetricsExporter } from '../../engine/ports.js';
import type { ResolverEngine } from '../../engine/resolver-engine.js';
import { InvalidClientError } from '../../federation/errors.js';
import { bearerMatches } from '../bearer.js';

/** Registers /healthz, /readyz and /metrics (behind a bearer token when one is configured). */
export function opsRoutes(
  router: Router,
  deps: {
    readonly engine: ResolverEngine;
    readonly metrics: MetricsExporter;
    readonly metricsToken?: string | undefined;
  },
): void {
  router.get('/healthz', function healthz(ctx: Context) {
    ctx.body = { status: 'ok' };
    ctx.set('Cache-Control', 'no-store');
  });

  router.get('/readyz', function readyz(ctx: Context) {
    const { ready, trustAnchors, redis } = deps.engine.readiness();
    ctx.status = ready ? 200 : 503;
    ctx.body = {
      status: ready ? 'ready' : 'no trust anchor configured',
      trust_anchors: trustAnchors,
      redis,
    };
    ctx.set('Cache-Control', 'no-store');
  });

  router.get('/metrics', async function metrics(ctx: Context) {
    const token = deps.metricsToken;
    if (token !== undefined && !bearerMatches(ctx.get('Authorization'), token)) {
      throw new InvalidClientError('/metrics needs the bearer token configured in METRICS_TOKEN', {
        reason: 'unauthorized',
      });
    }
    ctx.body = await deps.metrics.render();
    ctx.set('Content-Type', deps.metrics.contentType);
    ctx.set('Cache-Control', 'no-store');
  });
}
