/** Readonly domain types of the federation core. Wire claims keep their spec names. */
import type { Metadata, MetadataPolicy } from './metadata-policy/types.js';
import type { LocatedToleranceUse, ToleranceUse } from './tolerances.js';

/** A public JSON Web Key as found in a `jwks` claim; `kid` is required (§1.1). */
export interface Jwk {
  readonly kty: string;
  readonly kid: string;
  readonly alg?: string;
  readonly use?: string;
  readonly [member: string]: unknown;
}

/** A JWK Set (`jwks` claim, pinned Trust Anchor keys). */
export interface JwkSet {
  readonly keys: readonly Jwk[];
}

/** The protected header of an Entity Statement after checks (§3.2 steps 2, 3, 11). */
export interface EntityStatementHeader {
  readonly typ: string;
  readonly alg: string;
  readonly kid: string;
  readonly [parameter: string]: unknown;
}

/** `naming_constraints` (§6.2.2). */
export interface NamingConstraints {
  readonly permitted?: readonly string[];
  readonly excluded?: readonly string[];
}

/** `constraints` of a Subordinate Statement (§6.2); unknown members are ignored. */
export interface Constraints {
  readonly max_path_length?: number;
  readonly naming_constraints?: NamingConstraints;
  readonly allowed_entity_types?: readonly string[];
}

/** One entry of the `trust_marks` claim (§3.1.2). */
export interface TrustMarkEntry {
  readonly trust_mark_type: string;
  readonly trust_mark: string;
}

/** One entry of `trust_mark_owners` (§3.1.2). */
export interface TrustMarkOwner {
  readonly sub: string;
  readonly jwks: JwkSet;
  readonly [member: string]: unknown;
}

/** The claims set of an Entity Statement after structural checks (§3.1, §3.2). */
export interface EntityStatementClaims {
  readonly iss: string;
  readonly sub: string;
  readonly iat: number;
  readonly exp: number;
  readonly jwks: JwkSet;
  readonly metadata?: Metadata;
  readonly crit?: readonly string[];
  readonly authority_hints?: readonly string[];
  readonly trust_anchor_hints?: readonly string[];
  /** Raw entries; each is checked when its mark is verified (trust-marks.ts). */
  readonly trust_marks?: readonly unknown[];
  readonly trust_mark_issuers?: { readonly [trustMarkType: string]: readonly string[] };
  readonly trust_mark_owners?: { readonly [trustMarkType: string]: TrustMarkOwner };
  readonly constraints?: Constraints;
  readonly metadata_policy?: MetadataPolicy;
  readonly metadata_policy_crit?: readonly string[];
  readonly source_endpoint?: string;
  readonly [claim: string]: unknown;
}

/** `entity_configuration` when `iss == sub`, otherwise `subordinate_statement` (§3.2 step 6). */
export type EntityStatementKind = 'entity_configuration' | 'subordinate_statement';

/** A structurally valid, not yet verified Entity Statement. */
export interface DecodedEntityStatement {
  /** The compact JWS exactly as received. */
  readonly jwt: string;
  readonly header: EntityStatementHeader;
  readonly claims: EntityStatementClaims;
  readonly kind: EntityStatementKind;
  /** The URL it was obtained from, when it was fetched (what a cache must forget if it is bad). */
  readonly source?: string;
  /** Deviations it was accepted with (tolerances.ts); absent when it follows the Final. */
  readonly tolerated?: readonly ToleranceUse[];
}

/** A configured Trust Anchor: its Entity Identifier and its pinned (out-of-band) keys (§10, §11.3). */
export interface TrustAnchor {
  readonly entity_id: string;
  readonly jwks: JwkSet;
}

/** A validated trust chain (§4): statements from the subject's configuration up to the anchor. */
export interface TrustChain {
  /** ES[0..i] as validated; the last is the anchor's configuration unless it was omitted. */
  readonly statements: readonly DecodedEntityStatement[];
  /** The subject's Entity Identifier (`ES[0].sub`). */
  readonly subject: string;
  /** The Trust Anchor's Entity Identifier. */
  readonly trustAnchor: string;
  /** Entity Identifiers from the subject up to the Trust Anchor. */
  readonly path: readonly string[];
  /** §10.4: the smallest `exp` of all statements in the chain. */
  readonly exp: number;
  /** Deviations its statements were accepted with, by chain index; absent when none. */
  readonly tolerated?: readonly LocatedToleranceUse[];
}

/** A validated chain together with the subject's Resolved Metadata (§6.1.4). */
export interface ResolvedTrustChain extends TrustChain {
  readonly metadata: Metadata;
}

/**
 * What is asked of a resolution (§8.3.1): the subject, the Trust Anchors in the caller's order of
 * preference, and the Entity Types wanted. One type on every floor, from the HTTP parameters
 * through the engine to discovery.
 */
export interface ResolutionQuery {
  readonly subject: string;
  readonly trustAnchors: readonly string[];
  /** Entity Types whose metadata is wanted; empty or absent means every type. */
  readonly entityTypes?: readonly string[];
}
