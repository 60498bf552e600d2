/** The JSON API for applications and the diagnostics that explain a resolution. */
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { FailureDetail } from '../../federation/errors.js';
import { selectEntityTypes } from '../../federation/resolve-response.js';
import type { ResolutionOutcome } from '../../federation/resolver.js';
import { parseResolveParams, type ResolveParams } from '../params.js';
import type { RouteDependencies } from './resolution.js';

/** The §8.9-style error of a failed resolution, with the data that explains it. */
function errorView(detail: FailureDetail) {
  return {
    error: detail.code,
    error_description: detail.message,
    reason: detail.reason,
    ...(detail.section === undefined ? {} : { section: detail.section }),
    ...(detail.statementIndex === undefined ? {} : { statement_index: detail.statementIndex }),
    ...(detail.iss === undefined ? {} : { iss: detail.iss }),
    ...(detail.sub === undefined ? {} : { sub: detail.sub }),
    ...(detail.url === undefined ? {} : { url: detail.url }),
    ...(detail.status === undefined ? {} : { status: detail.status }),
    ...(detail.claim === undefined ? {} : { claim: detail.claim }),
    ...(detail.entityType === undefined ? {} : { entity_type: detail.entityType }),
    ...(detail.parameter === undefined ? {} : { parameter: detail.parameter }),
    ...(detail.operator === undefined ? {} : { operator: detail.operator }),
  };
}

/** The explain document: every branch, every fetch, the choice and why. */
function explainView(params: ResolveParams, used: readonly string[], outcome: ResolutionOutcome) {
  const { trace } = outcome;
  return {
    sub: params.subject,
    trust_anchors: {
      requested: params.trustAnchors,
      used,
      not_configured: params.trustAnchors.filter((anchor) => !used.includes(anchor)),
    },
    outcome: outcome.ok ? 'resolved' : 'failed',
    ...(outcome.ok
      ? {
          chosen: {
            trust_chain: outcome.chain.path,
            trust_anchor: outcome.chain.trustAnchor,
            exp: outcome.chain.exp,
            why: trace.chosen?.reason,
          },
          metadata: selectEntityTypes(outcome.chain.metadata, params.entityTypes),
        }
      : { error: errorView(outcome.error.toDetail()) }),
    branches: trace.branches.map((branch) => ({
      path: branch.path,
      status: branch.status,
      ...(branch.exp === undefined ? {} : { exp: branch.exp }),
      ...(branch.failure === undefined ? {} : { failure: errorView(branch.failure) }),
    })),
    fetches: trace.fetches.map((fetch) => ({
      kind: fetch.kind,
      iss: fetch.issuer,
      sub: fetch.subject,
      url: fetch.url,
      ...(fetch.status === undefined ? {} : { status: fetch.status }),
      cache_hit: fetch.cacheHit,
      duration_ms: Math.round(fetch.durationMs * 100) / 100,
      ...(fetch.error === undefined ? {} : { error: errorView(fetch.error) }),
    })),
  };
}

/** Registers /api/v1/resolve and /api/v1/explain. */
export function apiRoutes(router: Router, deps: RouteDependencies): void {
  router.get('/api/v1/resolve', async function resolveJson(ctx: Context) {
    const params = parseResolveParams(ctx.querystring, { allowHttp: deps.allowInsecureHttp });
    const served = await deps.resolutions.resolve({
      subject: params.subject,
      trustAnchors: params.trustAnchors,
    });
    if (!served.outcome.ok) throw served.outcome.error;
    const { chain } = served.outcome;
    ctx.body = {
      sub: chain.subject,
      trust_anchor: chain.trustAnchor,
      metadata: selectEntityTypes(chain.metadata, params.entityTypes),
      trust_chain: chain.path,
      exp: chain.exp,
      resolved_at: Math.floor(served.resolvedAt),
      cached: served.cached,
    };
    ctx.set('Cache-Control', 'no-store');
  });

  router.get('/api/v1/explain', async function explain(ctx: Context) {
    const params = parseResolveParams(ctx.querystring, { allowHttp: deps.allowInsecureHttp });
    const used = deps.resolutions
      .configuredAnchors(params.trustAnchors)
      .map((anchor) => anchor.entity_id);
    const outcome = await deps.resolutions.explain({
      subject: params.subject,
      trustAnchors: params.trustAnchors,
    });
    ctx.body = explainView(params, used, outcome);
    ctx.set('Cache-Control', 'no-store');
  });
}
