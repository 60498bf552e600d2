/**
 * The cache identity of a {@link ResolutionQuery} and what its cached result costs. The query type
 * itself is the core's (federation/types.ts), so every floor speaks of the same thing.
 */
import type { TrustAnchor } from '../federation/types.js';
import type { ResolutionEntry } from './resolution-service.js';

/**
 * The resolution cache key of a subject under the configured anchors of a query. The anchors'
 * order matters (it breaks ties between chains, §10.3); Entity Types do not (a resolution holds
 * every type, and responses select from it); the anchors' version drops results computed with
 * trust anchors that have since been reloaded.
 */
export function resolutionKey(
  anchorsVersion: number,
  subject: string,
  anchors: readonly TrustAnchor[],
): string {
  return JSON.stringify([anchorsVersion, subject, anchors.map((anchor) => anchor.entity_id)]);
}

/**
 * Bytes a cached resolution is charged. A chain holds each statement twice (the compact JWS and
 * its decoded claims, about three times the payload's length in UTF-16 strings and objects) plus
 * the Resolved Metadata; a failure holds its reason only.
 */
export function resolvedEntrySize(key: string, entry: ResolutionEntry): number {
  const overhead = 512 + key.length * 2;
  if (!entry.result.ok) return overhead + JSON.stringify(entry.result.failure).length * 2;
  const { chain } = entry.result;
  let statements = 0;
  for (const statement of chain.statements) statements += statement.jwt.length * 4;
  return overhead + statements + JSON.stringify(chain.metadata).length * 3;
}
