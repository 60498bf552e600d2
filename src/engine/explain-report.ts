/**
 * Reports as data, in the wire names the JSON API serves: the explanation of one resolution
 * (every anchor, branch, fetch and trust mark, the choice and why) and the views of failures and
 * trust marks it is made of. Front doors serialise these; they build no report of their own.
 */
import type { LocatedToleranceUse } from '../federation/tolerances.js';
import { resolutionExpiry, selectEntityTypes } from '../federation/resolve-response.js';
import type { VerifiedTrustMark } from '../federation/trust-marks.js';
import type { ResolutionQuery } from '../federation/types.js';
import { failureView } from './failure-view.js';
import { expiriesOf, expiryView } from './federation-view.js';
import type { ExplainedResolution } from './resolution-service.js';
import type { TrustMarkReport } from './trust-mark-service.js';

/**
 * Most characters of received statements (`fetches[].statement`) one explain report repeats; a
 * statement beyond them is marked `statement_omitted`. The chosen chain's own statements are
 * always there (at most MAX_CHAIN_DEPTH + 2 of them).
 */
export const EXPLAIN_STATEMENT_CHARS = 1024 * 1024;

/** Tolerance uses as the JSON API shows them (docs/tolerances.md). */
export function toleratedView(uses: readonly LocatedToleranceUse[] | undefined) {
  return (uses ?? []).map((use) => ({
    tolerance: use.tolerance,
    section: use.section,
    statement_index: use.statementIndex,
    ...(use.url === undefined ? {} : { url: use.url }),
    claim: use.claim,
    message: use.message,
  }));
}

/** Verified marks as the JSON API shows them. */
export function verifiedTrustMarksView(marks: readonly VerifiedTrustMark[]) {
  return marks.map((mark) => ({
    trust_mark_type: mark.trust_mark_type,
    iss: mark.iss,
    ...(mark.exp === undefined ? {} : { exp: mark.exp }),
    trust_mark: mark.trust_mark,
  }));
}

/** Every mark of the subject: the verified ones, and the rejected ones with their reason. */
export function trustMarksView(report: TrustMarkReport) {
  return {
    verified: verifiedTrustMarksView(report.verified),
    rejected: report.rejected.map((mark) => ({
      ...(mark.trust_mark_type === undefined ? {} : { trust_mark_type: mark.trust_mark_type }),
      ...(mark.iss === undefined || mark.iss === '' ? {} : { iss: mark.iss }),
      failure: failureView(mark.failure),
    })),
  };
}

/** The explain document of `/api/v1/explain`. */
export function explainReport(query: ResolutionQuery, explained: ExplainedResolution) {
  const { outcome, trustAnchorsUsed: used } = explained;
  const { trace } = outcome;
  // The statements received, within a budget: a resolution may fetch up to
  // MAX_FETCHES_PER_RESOLUTION statements of MAX_RESPONSE_BYTES each, and a report that repeated
  // them all would turn one request into megabytes of answer.
  let statementChars = 0;
  const received = (jwt: string | undefined) => {
    if (jwt === undefined) return {};
    if (statementChars + jwt.length > EXPLAIN_STATEMENT_CHARS) return { statement_omitted: true };
    statementChars += jwt.length;
    return { statement: jwt };
  };
  return {
    sub: query.subject,
    trust_anchors: {
      requested: query.trustAnchors,
      used,
      not_configured: query.trustAnchors.filter((anchor) => !used.includes(anchor)),
    },
    outcome: outcome.ok ? 'resolved' : 'failed',
    ...(outcome.ok
      ? {
          chosen: {
            trust_chain: outcome.chain.path,
            // The validated chain itself (§4), subject's Entity Configuration first.
            trust_chain_statements: outcome.chain.statements.map((statement) => statement.jwt),
            trust_anchor: outcome.chain.trustAnchor,
            exp: resolutionExpiry(outcome.chain, explained.trustMarks?.verified ?? []),
            chain_exp: outcome.chain.exp,
            why: trace.chosen?.reason,
            // What the chain depends on, each with its own exp: the statements and the marks.
            expiries: expiriesOf(outcome.chain, explained.trustMarks?.verified ?? []).map(
              expiryView,
            ),
          },
          tolerated: toleratedView(outcome.chain.tolerated),
          metadata: selectEntityTypes(outcome.chain.metadata, query.entityTypes ?? []),
        }
      : { error: failureView(outcome.error.toDetail()) }),
    ...(explained.trustMarks === undefined
      ? {}
      : { trust_marks: trustMarksView(explained.trustMarks) }),
    branches: trace.branches.map((branch) => ({
      path: branch.path,
      status: branch.status,
      ...(branch.exp === undefined ? {} : { exp: branch.exp }),
      ...(branch.failure === undefined ? {} : { failure: failureView(branch.failure) }),
      ...(branch.tolerated === undefined ? {} : { tolerated: toleratedView(branch.tolerated) }),
    })),
    fetches: trace.fetches.map((fetch) => ({
      kind: fetch.kind,
      iss: fetch.issuer,
      sub: fetch.subject,
      url: fetch.url,
      ...(fetch.status === undefined ? {} : { status: fetch.status }),
      cache_hit: fetch.cacheHit,
      duration_ms: Math.round(fetch.durationMs * 100) / 100,
      // What was received, valid or not, so a reader can see what a failing statement says.
      ...received(fetch.jwt),
      ...(fetch.error === undefined ? {} : { error: failureView(fetch.error) }),
    })),
  };
}

/** The explain document's type. */
export type ExplainReport = ReturnType<typeof explainReport>;
