/** §9: the path appended to an Entity Identifier to find its Entity Configuration. */
export const WELL_KNOWN_FEDERATION_PATH = '/.well-known/openid-federation';

/** JWT `typ` header values defined by the spec (§1.1, §18.2: explicit typing). */
export const JWT_TYPES = {
  entityStatement: 'entity-statement+jwt',
  trustMark: 'trust-mark+jwt',
  trustMarkDelegation: 'trust-mark-delegation+jwt',
  trustMarkStatusResponse: 'trust-mark-status-response+jwt',
  resolveResponse: 'resolve-response+jwt',
  jwkSet: 'jwk-set+jwt',
} as const;

/** HTTP media types of the federation endpoints (§15). */
export const MEDIA_TYPES = {
  entityStatement: 'application/entity-statement+jwt',
  resolveResponse: 'application/resolve-response+jwt',
  trustChain: 'application/trust-chain+json',
  trustMarkStatusResponse: 'application/trust-mark-status-response+jwt',
  json: 'application/json',
} as const;

/**
 * Asymmetric JWS algorithms accepted by default (§1.1: never `none`; RS256 SHOULD be supported).
 * HMAC algorithms are excluded on purpose: a public JWK Set cannot authenticate an HMAC.
 */
export const DEFAULT_SIGNING_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

/** Algorithms that can never be allowed, whatever the configuration says. */
export const FORBIDDEN_ALGORITHM_PATTERN = /^(none|HS\d+)$/i;

/** JWK members that carry private or symmetric key material (RFC 7518 §6.2.2, §6.3.2, §6.4). */
export const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** The Entity Type that `allowed_entity_types` always keeps (§6.2.3). */
export const FEDERATION_ENTITY = 'federation_entity';

/**
 * Claims this spec defines for Entity Statements (§3.1). `crit` must not list them (§13.4).
 * `trust_chain`/`peer_trust_chain` are header parameters but are listed to keep `crit` honest.
 */
export const SPEC_DEFINED_CLAIMS: ReadonlySet<string> = new Set([
  'iss',
  'sub',
  'iat',
  'exp',
  'jwks',
  'aud',
  'metadata',
  'crit',
  'authority_hints',
  'trust_anchor_hints',
  'trust_marks',
  'trust_mark_issuers',
  'trust_mark_owners',
  'constraints',
  'metadata_policy',
  'metadata_policy_crit',
  'source_endpoint',
  'trust_anchor',
]);

/** §6.1.3.1: standard metadata policy operators, in their fixed order of application. */
export const POLICY_OPERATORS = [
  'value',
  'add',
  'default',
  'one_of',
  'subset_of',
  'superset_of',
  'essential',
] as const;

/** One of the seven standard metadata policy operators. */
export type PolicyOperatorName = (typeof POLICY_OPERATORS)[number];

/** §3.3 [impl] hardening defaults shared by the core's entry points. */
export const CORE_LIMITS = {
  /** Largest compact JWS accepted for one statement, in characters. */
  maxStatementLength: 256 * 1024,
  /** Deepest JSON nesting accepted in a header or claims set. */
  maxJsonDepth: 32,
  /** Longest trust chain accepted (statements, including the Trust Anchor's configuration). */
  maxChainLength: 12,
  /** Most keys accepted in one `jwks` claim. */
  maxJwksKeys: 100,
} as const;
