/**
 * Entity Statements (§3): decode without trust, check the time window, verify the signature.
 * Decoding and verification are separate steps so that cheap structural checks run first.
 */
import { compactVerify, errors as joseErrors } from 'jose';
import { assertEntityStatementClaims, type ClaimOptions } from './claims.js';
import {
  CORE_LIMITS,
  DEFAULT_SIGNING_ALGORITHMS,
  FORBIDDEN_ALGORITHM_PATTERN,
  JWT_TYPES,
} from './constants.js';
import { FederationError, InvalidTrustChainError } from './errors.js';
import {
  exceedsJsonDepth,
  getOwn,
  isNonEmptyString,
  isPlainObject,
  type JsonObject,
} from './json.js';
import { KeyImportCache, keyFingerprint } from './key-cache.js';
import type { VerificationCache } from './ports.js';
import type { DecodedEntityStatement, EntityStatementHeader, Jwk, JwkSet } from './types.js';

/** Options for decoding an Entity Statement. */
export interface DecodeOptions extends ClaimOptions {
  /** Accepted `alg` values; default {@link DEFAULT_SIGNING_ALGORITHMS}. `none` and HMAC never. */
  readonly allowedAlgorithms?: readonly string[];
  /** Largest compact JWS accepted, in characters. */
  readonly maxStatementLength?: number;
}

/** Options for the time-window check. */
export interface TimeOptions {
  /** Current time in seconds since the epoch. */
  readonly now: number;
  /** Clock-skew leeway in seconds applied to `iat` and `exp` (§3.2 steps 7, 8). Default 60. */
  readonly clockSkew?: number;
}

/** Default clock-skew leeway, in seconds. */
export const DEFAULT_CLOCK_SKEW = 60;

/** JWS header parameters that MUST NOT appear on an Entity Statement (§4.3, §4.4). */
const FORBIDDEN_HEADER_PARAMETERS = ['trust_chain', 'peer_trust_chain'] as const;

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Strict UTF-8: a statement with invalid byte sequences is malformed, not repaired. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Checks a list of signing algorithms for use in the allow-list: asymmetric only, never `none` or
 * HMAC (§1.1). Throws on a forbidden entry so that a bad configuration fails at boot.
 */
export function assertSigningAlgorithms(algorithms: readonly string[]): readonly string[] {
  if (algorithms.length === 0) {
    throw new InvalidTrustChainError('the signing algorithm allow-list is empty', {
      reason: 'configuration_invalid',
      section: '§1.1',
    });
  }
  for (const alg of algorithms) {
    if (FORBIDDEN_ALGORITHM_PATTERN.test(alg)) {
      throw new InvalidTrustChainError(`the algorithm "${alg}" can never be accepted`, {
        reason: 'configuration_invalid',
        section: '§1.1',
      });
    }
  }
  return algorithms;
}

function malformed(message: string): InvalidTrustChainError {
  return new InvalidTrustChainError(message, { reason: 'statement_malformed', section: '§1.1' });
}

function decodeJsonPart(part: string, what: string): JsonObject {
  if (!BASE64URL.test(part)) throw malformed(`the JWS ${what} is not base64url`);
  let parsed: unknown;
  try {
    const text = UTF8.decode(Buffer.from(part, 'base64url'));
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new InvalidTrustChainError(`the JWS ${what} is not UTF-8 JSON`, {
      reason: 'statement_malformed',
      section: '§1.1',
      cause,
    });
  }
  if (!isPlainObject(parsed)) throw malformed(`the JWS ${what} is not a JSON object`);
  if (exceedsJsonDepth(parsed, CORE_LIMITS.maxJsonDepth)) {
    throw malformed(`the JWS ${what} nests deeper than ${CORE_LIMITS.maxJsonDepth} levels`);
  }
  return parsed;
}

/** §3.2 steps 1–3, 11 (kid presence), §4.3: narrows the protected header. */
function assertHeader(header: JsonObject, options: DecodeOptions): EntityStatementHeader {
  const typ = getOwn(header, 'typ');
  if (typ !== JWT_TYPES.entityStatement) {
    throw new InvalidTrustChainError(
      typ === undefined
        ? `the "typ" header is missing; it must be "${JWT_TYPES.entityStatement}"`
        : `the "typ" header is ${JSON.stringify(typ)}; it must be "${JWT_TYPES.entityStatement}"`,
      { reason: 'typ_invalid', claim: 'typ', section: '§3.2' },
    );
  }
  const alg = getOwn(header, 'alg');
  const allowed = options.allowedAlgorithms ?? DEFAULT_SIGNING_ALGORITHMS;
  if (typeof alg !== 'string' || FORBIDDEN_ALGORITHM_PATTERN.test(alg) || !allowed.includes(alg)) {
    throw new InvalidTrustChainError(`the algorithm ${JSON.stringify(alg)} is not accepted`, {
      reason: 'alg_not_allowed',
      claim: 'alg',
      section: '§3.2',
    });
  }
  const kid = getOwn(header, 'kid');
  if (!isNonEmptyString(kid)) {
    throw new InvalidTrustChainError(
      'the "kid" header is required and must be a non-empty string',
      {
        reason: 'kid_missing',
        claim: 'kid',
        section: '§1.1',
      },
    );
  }
  for (const parameter of FORBIDDEN_HEADER_PARAMETERS) {
    if (getOwn(header, parameter) !== undefined) {
      throw new InvalidTrustChainError(
        `the "${parameter}" header parameter is not allowed on an Entity Statement`,
        { reason: 'header_not_allowed', claim: parameter, section: '§4.3' },
      );
    }
  }
  // RFC 7515 §4.1.11: we implement no JWS extension, so any critical header is not understood.
  if (getOwn(header, 'crit') !== undefined) {
    throw new InvalidTrustChainError(
      'the JWS "crit" header names extensions that are not understood',
      {
        reason: 'crit_not_understood',
        claim: 'crit',
        section: '§3.2',
      },
    );
  }
  return { ...header, typ, alg, kid };
}

/**
 * Decodes an Entity Statement without trusting it: compact JWS only, `typ`, `alg` allow-list,
 * `kid`, and every claim's presence, type and placement (§3.2). Does not check time or signature.
 */
export function decodeEntityStatement(
  jwt: unknown,
  options: DecodeOptions = {},
): DecodedEntityStatement {
  if (typeof jwt !== 'string') throw malformed('an Entity Statement must be a compact JWS string');
  const limit = options.maxStatementLength ?? CORE_LIMITS.maxStatementLength;
  if (jwt.length > limit) {
    throw new InvalidTrustChainError(
      `the statement is ${jwt.length} characters, over the limit of ${limit}`,
      {
        reason: 'statement_too_large',
        section: '§1.1',
      },
    );
  }
  const parts = jwt.split('.');
  // §1.1: only the JWS Compact Serialization; five parts would be JWE, which carries no signature.
  if (parts.length !== 3)
    throw malformed('an Entity Statement must be a JWS in compact serialization');
  const [headerPart = '', payloadPart = '', signaturePart = ''] = parts;
  if (signaturePart.length === 0 || !BASE64URL.test(signaturePart)) {
    throw malformed('the JWS signature is missing or not base64url');
  }
  const header = assertHeader(decodeJsonPart(headerPart, 'header'), options);
  const { claims, kind } = assertEntityStatementClaims(
    decodeJsonPart(payloadPart, 'payload'),
    options,
  );
  return { jwt, header, claims, kind };
}

function isoTime(seconds: number): string {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? String(seconds) : date.toISOString();
}

/** §3.2 steps 7, 8: `iat` in the past and `exp` in the future, each with leeway. */
export function validateStatementTime(
  statement: DecodedEntityStatement,
  options: TimeOptions,
): void {
  const skew = options.clockSkew ?? DEFAULT_CLOCK_SKEW;
  const { iat, exp, iss, sub } = statement.claims;
  if (iat > options.now + skew) {
    const what =
      iss === sub ? `the Entity Configuration of ${iss}` : `the statement by ${iss} about ${sub}`;
    throw new InvalidTrustChainError(`${what} is issued in the future (iat ${isoTime(iat)})`, {
      reason: 'statement_not_yet_valid',
      claim: 'iat',
      iss,
      sub,
      section: '§3.2',
    });
  }
  if (exp <= options.now - skew) {
    const what =
      iss === sub ? `the Entity Configuration of ${iss}` : `the statement by ${iss} about ${sub}`;
    throw new InvalidTrustChainError(`${what} expired at ${isoTime(exp)}`, {
      reason: 'statement_expired',
      claim: 'exp',
      iss,
      sub,
      section: '§3.2',
    });
  }
}

/** Options for signature verification. */
export interface VerifyOptions {
  /** Shared cache of imported keys; a private one is used when absent. */
  readonly keyCache?: KeyImportCache;
  /** Signatures already verified with the same key are not verified again. */
  readonly verifiedSignatures?: VerificationCache;
}

const defaultKeyCache = new KeyImportCache();

/** The key in `jwks` whose `kid` matches exactly (§3.2 step 11), or a `kid_unknown` failure. */
export function selectVerificationKey(jwks: JwkSet, kid: string, alg: string): Jwk {
  const key = jwks.keys.find((candidate) => candidate.kid === kid);
  if (key === undefined) {
    throw new InvalidTrustChainError(
      `no key with kid ${JSON.stringify(kid)} in the issuer's keys`,
      {
        reason: 'kid_unknown',
        claim: 'kid',
        section: '§3.2',
      },
    );
  }
  if ((key.alg !== undefined && key.alg !== alg) || (key.use !== undefined && key.use !== 'sig')) {
    throw new InvalidTrustChainError(
      `key ${JSON.stringify(kid)} is not meant for ${alg} signatures`,
      {
        reason: 'key_invalid',
        claim: 'kid',
        section: '§1.1',
      },
    );
  }
  return key;
}

/**
 * Verifies the signature of a compact JWS with the key of `jwks` named by its `kid`
 * (§3.2 steps 11, 12). Foreign errors become `signature_invalid` or `key_invalid`.
 */
export async function verifyJwsSignature(
  jwt: string,
  header: { readonly alg: string; readonly kid: string },
  jwks: JwkSet,
  options: VerifyOptions = {},
): Promise<void> {
  const jwk = selectVerificationKey(jwks, header.kid, header.alg);
  const fingerprint =
    options.verifiedSignatures === undefined ? '' : keyFingerprint(jwk, header.alg);
  if (options.verifiedSignatures?.has(jwt, fingerprint) === true) return;
  const key = await (options.keyCache ?? defaultKeyCache).get(jwk, header.alg);
  try {
    await compactVerify(jwt, key, { algorithms: [header.alg] });
    options.verifiedSignatures?.add(jwt, fingerprint);
  } catch (cause) {
    if (cause instanceof FederationError) throw cause;
    const reason =
      cause instanceof joseErrors.JWSSignatureVerificationFailed
        ? 'signature_invalid'
        : 'key_invalid';
    throw new InvalidTrustChainError(
      reason === 'signature_invalid'
        ? `the signature does not verify with key ${JSON.stringify(header.kid)}`
        : `key ${JSON.stringify(header.kid)} cannot verify this statement`,
      { reason, claim: 'kid', section: '§3.2', cause },
    );
  }
}

/** Verifies an Entity Statement's signature with the given issuer keys (§3.2 steps 10–12). */
export async function verifyEntityStatement(
  statement: DecodedEntityStatement,
  issuerKeys: JwkSet,
  options: VerifyOptions = {},
): Promise<void> {
  await verifyJwsSignature(statement.jwt, statement.header, issuerKeys, options);
}
