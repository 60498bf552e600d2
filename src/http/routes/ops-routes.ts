/** Operational endpoints: liveness, readiness (trust anchors loaded) and Prometheus metrics. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { MetricsExporter } from '../../engine/ports.js';
import type { ResolverEngine } from '../../engine/resolver-engine.js';
import { InvalidClientError } from '../../federation/errors.js';

/** True when `header` is `Bearer <token>` (compared in constant time). */
function bearerMatches(header: string, token: string): boolean {
  const hash = (value: string) => createHash('sha256').update(value).digest();
  const given = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? '';
  return timingSafeEqual(hash(given), hash(token)) && given.length > 0;
}

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
    const { ready, trustAnchors } = deps.engine.readiness();
    ctx.status = ready ? 200 : 503;
    ctx.body = {
      status: ready ? 'ready' : 'no trust anchor configured',
      trust_anchors: trustAnchors,
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
