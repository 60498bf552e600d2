/** The JSON API for applications and the diagnostics that explain a resolution. */
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { FailureDetail } from '../../federation/errors.js';
import { resolutionExpiry, selectEntityTypes } from '../../federation/resolve-response.js';
import type { VerifiedTrustMark } from '../../federation/trust-marks.js';
import type { TrustMarkReport } from '../../infrastructure/trust-mark-service.js';
import { NotFoundError } from '../../federation/errors.js';
import type { ResolutionOutcome } from '../../federation/resolver.js';
import { parseResolveParams, parseTrustMarkTypes, type ResolveParams } from '../params.js';
import { resolveSubject, type RouteDependencies } from './resolution.js';

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

/** Verified marks as the JSON API shows them. */
function verifiedView(marks: readonly VerifiedTrustMark[]) {
  return marks.map((mark) => ({
    trust_mark_type: mark.trust_mark_type,
    iss: mark.iss,
    ...(mark.exp === undefined ? {} : { exp: mark.exp }),
    trust_mark: mark.trust_mark,
  }));
}

/** Every mark of the subject: the verified ones, and the rejected ones with their reason. */
function trustMarksView(report: TrustMarkReport) {
  return {
    verified: verifiedView(report.verified),
    rejected: report.rejected.map((mark) => ({
      ...(mark.trust_mark_type === undefined ? {} : { trust_mark_type: mark.trust_mark_type }),
      ...(mark.iss === undefined || mark.iss === '' ? {} : { iss: mark.iss }),
      failure: errorView(mark.failure),
    })),
  };
}

/** The explain document: every branch, every fetch, every trust mark, the choice and why. */
function explainView(
  params: ResolveParams,
  used: readonly string[],
  explained: { readonly outcome: ResolutionOutcome; readonly trustMarks?: TrustMarkReport },
) {
  const { outcome } = explained;
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
            exp: resolutionExpiry(outcome.chain, explained.trustMarks?.verified ?? []),
            chain_exp: outcome.chain.exp,
            why: trace.chosen?.reason,
          },
          metadata: selectEntityTypes(outcome.chain.metadata, params.entityTypes),
        }
      : { error: errorView(outcome.error.toDetail()) }),
    ...(explained.trustMarks === undefined
      ? {}
      : { trust_marks: trustMarksView(explained.trustMarks) }),
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
    const wantedMarks = parseTrustMarkTypes(ctx.querystring);
    const resolved = await resolveSubject(deps, params);
    const marks = resolved.trustMarks?.verified ?? [];
    // The JSON API can filter subjects: each requested type must be held as a verified mark.
    const missing = wantedMarks.filter(
      (type) => !marks.some((mark) => mark.trust_mark_type === type),
    );
    if (missing.length > 0) {
      throw new NotFoundError(
        `${params.subject} holds no verified trust mark of type ${missing.join(', ')}`,
        {
          reason: 'trust_mark_not_found',
          section: '§8.3.2',
        },
      );
    }
    const { chain } = resolved;
    ctx.body = {
      sub: chain.subject,
      trust_anchor: chain.trustAnchor,
      metadata: selectEntityTypes(chain.metadata, params.entityTypes),
      trust_chain: chain.path,
      trust_marks: verifiedView(marks),
      exp: resolutionExpiry(chain, marks),
      resolved_at: Math.floor(resolved.resolvedAt),
      cached: resolved.cached,
    };
    ctx.set('Cache-Control', 'no-store');
  });

  router.get('/api/v1/explain', async function explain(ctx: Context) {
    const params = parseResolveParams(ctx.querystring, { allowHttp: deps.allowInsecureHttp });
    const used = deps.resolutions
      .configuredAnchors(params.trustAnchors)
      .map((anchor) => anchor.entity_id);
    const explained = await deps.resolutions.explain({
      subject: params.subject,
      trustAnchors: params.trustAnchors,
    });
    ctx.body = explainView(params, used, explained);
    ctx.set('Cache-Control', 'no-store');
  });
}
