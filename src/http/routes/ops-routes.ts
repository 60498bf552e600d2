/** Operational endpoints: liveness, readiness (trust anchors loaded) and Prometheus metrics. */
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { MetricsExporter } from '../../engine/ports.js';
import type { ResolverEngine } from '../../engine/resolver-engine.js';

/** Registers /healthz, /readyz and /metrics. */
export function opsRoutes(
  router: Router,
  deps: { readonly engine: ResolverEngine; readonly metrics: MetricsExporter },
): void {
  router.get('/healthz', function healthz(ctx: Context) {
    ctx.body = { status: 'ok' };
    ctx.set('Cache-Control', 'no-store');
  });

  router.get('/readyz', function readyz(ctx: Context) {
    const { ready, trustAnchors } = deps.engine.readiness();
    ctx.status = ready ? 200 : 503;
    ctx.body = {
      status: ready ? 'ready' : 'no trust anchor configured',
      trust_anchors: trustAnchors,
    };
    ctx.set('Cache-Control', 'no-store');
  });

  router.get('/metrics', async function metrics(ctx: Context) {
    ctx.body = await deps.metrics.render();
    ctx.set('Content-Type', deps.metrics.contentType);
    ctx.set('Cache-Control', 'no-store');
  });
}
