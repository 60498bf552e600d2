/** Ports: what the pure core needs from the outside world, implemented by the infrastructure. */
import type { DecodedEntityStatement, Jwk, JwkSet } from './types.js';

/** Current time. The core never reads the system clock itself. */
export interface Clock {
  /** Seconds since the epoch (may be fractional). */
  now(): number;
}

/** Per-call context of a statement fetch. */
export interface FetchContext {
  /** Aborted when the resolution's deadline passes. */
  readonly signal?: AbortSignal;
  /** Skip cached copies and fetch anew (a refresh before expiry); the result is cached. */
  readonly refresh?: boolean;
}

/** A statement as obtained from its source, with what diagnostics need to know about the fetch. */
export interface FetchedStatement {
  /** The compact JWS as received. */
  readonly jwt: string;
  /** The URL it was (or would have been) fetched from. */
  readonly url: string;
  /** True when served from a cache without an upstream request. */
  readonly cacheHit: boolean;
  /** Time spent obtaining it, in milliseconds. */
  readonly durationMs: number;
}

/**
 * Where Entity Statements come from (§9, §8.1). Implementations fetch raw JWTs and translate every
 * failure into a FederationError with a reason, once: `NotFoundError` when the statement is not
 * there (or not an entity statement), `TemporarilyUnavailableError` when a retry may succeed.
 * They never verify anything.
 */
export interface StatementSource {
  /** The Entity Configuration of `entityId`, from `<entityId>/.well-known/openid-federation`. */
  fetchEntityConfiguration(entityId: string, context: FetchContext): Promise<FetchedStatement>;
  /** The Subordinate Statement about `subject` from an issuer's `federation_fetch_endpoint`. */
  fetchSubordinateStatement(
    fetchEndpoint: string,
    subject: string,
    context: FetchContext,
  ): Promise<FetchedStatement>;
}

/** Signs JWTs with the resolver's own Federation Entity Keys (§8.3.2). */
export interface Signer {
  /** Signs `claims` with the current key; `typ` is set by the caller. */
  sign(claims: Record<string, unknown>, typ: string): Promise<string>;
  /** The public keys to publish (every key, current and rotated-out). */
  publicJwks(): JwkSet;
}

/**
 * Remembers signatures already verified (§10.2: verification results MAY be cached), keyed by
 * the exact JWS and the exact key that verified it, so a changed key never reuses a result.
 */
export interface VerificationCache {
  has(jwt: string, keyFingerprint: string): boolean;
  add(jwt: string, keyFingerprint: string): void;
}

/**
 * Verifies a JWS signature over `signingInput` (`<header>.<payload>` in ASCII) with a public JWK
 * for `alg`, the way an adapter finds fastest (the platform's crypto with imported keys kept, for
 * example). Answers false for a signature that does not verify; throws for a key that cannot be
 * used with `alg` (wrong type or curve, too short). Without one, the core verifies through jose.
 */
export interface SignatureVerifier {
  verify(jwk: Jwk, alg: string, signingInput: string, signature: Uint8Array): boolean;
}

/**
 * Entity Statements already decoded and checked for structure and claims (§3.2; not time, not
 * signature), by their compact JWS, so that the statements of superiors which many resolutions
 * share are decoded once, not once per resolution. What it holds was decoded with one set of
 * decode options: give each resolver its own.
 */
export interface DecodedStatementCache {
  get(jwt: string): DecodedEntityStatement | undefined;
  set(jwt: string, statement: DecodedEntityStatement): void;
}
