/**
 * The cache identity of a {@link ResolutionQuery}, what its cached result keeps and what that
 * costs. The query type itself is the core's (federation/types.ts), so every floor speaks of the
 * same thing.
 */
import type {
  DecodedEntityStatement,
  EntityStatementClaims,
  ResolvedTrustChain,
  TrustAnchor,
} from '../federation/types.js';
import type { ResolutionEntry } from './resolution-service.js';

/**
 * The claims a cached chain still needs, by position: every statement keeps its identity, time
 * and keys; the subject's configuration its trust marks; the anchor's configuration whom it
 * trusts for marks. Everything else (metadata already resolved, policies applied, extension
 * claims) is in the compact JWS, which every statement keeps.
 */
function retainedClaims(claims: EntityStatementClaims, position: 'subject' | 'anchor' | 'middle') {
  const { iss, sub, iat, exp, jwks } = claims;
  return {
    iss,
    sub,
    iat,
    exp,
    jwks,
    ...(position === 'subject' && claims.trust_marks !== undefined
      ? { trust_marks: claims.trust_marks }
      : {}),
    ...(position === 'anchor' && claims.trust_mark_issuers !== undefined
      ? { trust_mark_issuers: claims.trust_mark_issuers }
      : {}),
    ...(position === 'anchor' && claims.trust_mark_owners !== undefined
      ? { trust_mark_owners: claims.trust_mark_owners }
      : {}),
  };
}

/**
 * What a cached resolution keeps of a validated chain: the chain as it was, with each decoded
 * statement reduced to what is still read (the raw JWT suffices for the rest), so a large
 * statement is held once, as its JWS, not twice.
 */
export function retainedChain(chain: ResolvedTrustChain): ResolvedTrustChain {
  const last = chain.statements.length - 1;
  const statements = chain.statements.map((statement, index): DecodedEntityStatement => ({
    jwt: statement.jwt,
    header: statement.header,
    kind: statement.kind,
    // Where it came from, for reports of what expires (the health report).
    ...(statement.source === undefined ? {} : { source: statement.source }),
    claims: retainedClaims(
      statement.claims,
      index === 0 ? 'subject' : index === last ? 'anchor' : 'middle',
    ),
  }));
  return { ...chain, statements };
}

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
 * Bytes a cached resolution is charged, an upper bound of what it retains: each statement's
 * compact JWS (shared with the statement cache, but charged here too) and its retained claims,
 * the Resolved Metadata as objects, and the trust mark report evaluated later; a failure holds its
 * reason only.
 */
export function resolvedEntrySize(key: string, entry: ResolutionEntry): number {
  const overhead = 512 + key.length * 2;
  if (!entry.result.ok) return overhead + JSON.stringify(entry.result.failure).length * 2;
  const { chain } = entry.result;
  let statements = 0;
  for (const statement of chain.statements) {
    statements += statement.jwt.length + JSON.stringify(statement.claims).length * 3;
  }
  return overhead + statements + JSON.stringify(chain.metadata).length * 3;
}
