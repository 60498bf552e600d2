/** The JSON API's view of a resolved subject (`/api/v1/resolve`), as data. */
import { resolutionExpiry, selectEntityTypes } from '../federation/resolve-response.js';
import type { ResolutionQuery } from '../federation/types.js';
import { toleratedView, verifiedTrustMarksView } from './explain-report.js';
import type { ServedResolution } from './resolution-service.js';

/** The body of `/api/v1/resolve` for `resolution`, limited to the query's Entity Types. */
export function resolutionReport(query: ResolutionQuery, resolution: ServedResolution) {
  const { chain } = resolution;
  const marks = resolution.trustMarks?.verified ?? [];
  return {
    sub: chain.subject,
    trust_anchor: chain.trustAnchor,
    metadata: selectEntityTypes(chain.metadata, query.entityTypes ?? []),
    trust_chain: chain.path,
    trust_marks: verifiedTrustMarksView(marks),
    exp: resolutionExpiry(chain, marks),
    resolved_at: Math.floor(resolution.resolvedAt),
    cached: resolution.cached,
    // Deviations from the Final this resolution was accepted with (docs/tolerances.md).
    tolerated: toleratedView(chain.tolerated),
  };
}

/** The resolution report's type. */
export type ResolutionReport = ReturnType<typeof resolutionReport>;
