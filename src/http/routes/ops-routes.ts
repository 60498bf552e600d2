/** Operational endpoints: liveness, readiness (trust anchors loaded) and Prometheus metrics. */
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Metrics } from '../../infrastructure/metrics.js';
import type { TrustAnchorStore } from '../../infrastructure/trust-anchor-store.js';

/** Registers /healthz, /readyz and /metrics. */
export function opsRoutes(
  router: Router,
  deps: { readonly anchors: TrustAnchorStore; readonly metrics: Metrics },
): void {
  router.get('/healthz', function healthz(ctx: Context) {
    ctx.body = { status: 'ok' };
    ctx.set('Cache-Control', 'no-store');
  });

  router.get('/readyz', function readyz(ctx: Context) {
    const count = deps.anchors.all().length;
    ctx.status = count > 0 ? 200 : 503;
    ctx.body = { status: count > 0 ? 'ready' : 'no trust anchor configured', trust_anchors: count };
    ctx.set('Cache-Control', 'no-store');
  });

  router.get('/metrics', async function metrics(ctx: Context) {
    ctx.body = await deps.metrics.registry.metrics();
    ctx.set('Content-Type', deps.metrics.registry.contentType);
  });
}
