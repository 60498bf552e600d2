/** One way to show a failure in every report of the JSON API (explain, health, crawl). */
import type { FailureDetail } from '../federation/errors.js';
import { withHint } from './reason-hints.js';

/**
 * A failure as the JSON API shows it: the §8.9 pair plus the data that explains it and the hint
 * how to fix it (docs/reasons.md).
 */
export function failureView(detail: FailureDetail) {
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
    ...withHint(detail.reason),
  };
}
