/** The resolve response (§8.3.2): claims of the signed `resolve-response+jwt`. */
import type { Metadata } from './metadata-policy/types.js';
import type { VerifiedTrustMark } from './trust-marks.js';
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
 * A requested type the subject lacks is left out rather than failing the response (docs/decisions.md).
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

/** §8.3.2: a response is good until the chain expires or an included trust mark does. */
export function resolutionExpiry(
  chain: ResolvedTrustChain,
  trustMarks: readonly VerifiedTrustMark[],
): number {
  return Math.min(
    chain.exp,
    ...trustMarks.flatMap((mark) => (mark.exp === undefined ? [] : [mark.exp])),
  );
}

/**
 * Builds the claims of a resolve response (§8.3.2): `exp` is the minimum of the chain's expiry and
 * of every included trust mark's; `trust_chain` runs from the subject's Entity Configuration to
 * the Trust Anchor's (the anchor's configuration is included, docs/decisions.md); `trust_marks` holds
 * verified marks only, and is left out when there are none.
 */
export function buildResolveResponseClaims(input: {
  readonly issuer: string;
  readonly chain: ResolvedTrustChain;
  readonly entityTypes: readonly string[];
  readonly now: number;
  readonly trustMarks?: readonly VerifiedTrustMark[];
}): ResolveResponseClaims {
  const { chain } = input;
  const marks = input.trustMarks ?? [];
  return {
    iss: input.issuer,
    sub: chain.subject,
    iat: Math.floor(input.now),
    exp: resolutionExpiry(chain, marks),
    metadata: selectEntityTypes(chain.metadata, input.entityTypes),
    trust_chain: chain.statements.map((statement) => statement.jwt),
    ...(marks.length === 0
      ? {}
      : {
          trust_marks: marks.map((mark) => ({
            trust_mark_type: mark.trust_mark_type,
            trust_mark: mark.trust_mark,
          })),
        }),
  };
}
