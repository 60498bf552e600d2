/** The resolve response (§8.3.2): claims of the signed `resolve-response+jwt`. */
import type { Metadata } from './metadata-policy/types.js';
import type { ResolvedTrustChain } from './types.js';

/** Claims of a resolve response before signing. */
export interface ResolveResponseClaims {
  readonly iss: string;
  readonly sub: string;
  readonly iat: number;
  readonly exp: number;
  readonly metadata: Metadata;
  readonly trust_chain: readonly string[];
  readonly [claim: string]: unknown;
}

/**
 * The Resolved Metadata limited to `entityTypes` (§8.3.2); all types when none are requested.
 * A requested type the subject lacks is left out rather than failing the response (§14 item 6).
 */
export function selectEntityTypes(metadata: Metadata, entityTypes: readonly string[]): Metadata {
  if (entityTypes.length === 0) return metadata;
  const selected: Metadata = {};
  for (const entityType of entityTypes) {
    const value = Object.hasOwn(metadata, entityType) ? metadata[entityType] : undefined;
    if (value !== undefined) selected[entityType] = value;
  }
  return selected;
}

/**
 * Builds the claims of a resolve response (§8.3.2): `exp` is the chain's expiry (lowered by the
 * caller for included trust marks), `trust_chain` runs from the subject's Entity Configuration to
 * the Trust Anchor's (§14 item 7: the anchor's configuration is included).
 */
export function buildResolveResponseClaims(input: {
  readonly issuer: string;
  readonly chain: ResolvedTrustChain;
  readonly entityTypes: readonly string[];
  readonly now: number;
}): ResolveResponseClaims {
  const { chain } = input;
  return {
    iss: input.issuer,
    sub: chain.subject,
    iat: Math.floor(input.now),
    exp: chain.exp,
    metadata: selectEntityTypes(chain.metadata, input.entityTypes),
    trust_chain: chain.statements.map((statement) => statement.jwt),
  };
}
