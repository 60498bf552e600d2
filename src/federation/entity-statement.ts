/**
 * Entity Statements (§3): decode without trust, check the time window, verify the signature.
 * Decoding and verification are separate steps so that cheap structural checks run first.
 */
import { compactVerify, errors as joseErrors } from 'jose';
import { assertEntityStatementClaims, type ClaimOptions } from './claims.js';
import { FORBIDDEN_ALGORITHM_PATTERN, JWT_TYPES } from './constants.js';
import {
  FederationError,
  InvalidTrustChainError,
  ServerError,
  type FederationErrorClass,
} from './errors.js';
import { decodeJws } from './jws.js';
import type { SignatureVerifier, VerificationCache } from './ports.js';
import { validateTimeWindow, type TimeOptions } from './time-window.js';
import type { DecodedEntityStatement, Jwk, JwkSet } from './types.js';
import { importVerificationKey, keyFingerprint } from './verification-key.js';

/** Options for decoding an Entity Statement. */
export interface DecodeOptions extends ClaimOptions {
  /** Accepted `alg` values; default DEFAULT_SIGNING_ALGORITHMS. `none` and HMAC never. */
  readonly allowedAlgorithms?: readonly string[];
  /** Largest compact JWS accepted, in characters. */
  readonly maxStatementLength?: number;
}

/**
 * Checks a list of signing algorithms for use in the allow-list: asymmetric only, never `none` or
 * HMAC (§1.1). Throws `configuration_invalid` on a forbidden entry so that a bad configuration
 * fails at boot.
 */
export function assertSigningAlgorithms(algorithms: readonly string[]): readonly string[] {
  if (algorithms.length === 0) {
    throw new ServerError('the signing algorithm allow-list is empty', {
      reason: 'configuration_invalid',
      section: '§1.1',
    });
  }
  for (const alg of algorithms) {
    if (FORBIDDEN_ALGORITHM_PATTERN.test(alg)) {
      throw new ServerError(`the algorithm "${alg}" can never be accepted`, {
        reason: 'configuration_invalid',
        section: '§1.1',
      });
    }
  }
  return algorithms;
}

/**
 * Decodes an Entity Statement without trusting it: compact JWS only, `typ`, `alg` allow-list,
 * `kid`, and every claim's presence, type and placement (§3.2). Does not check time or signature.
 */
export function decodeEntityStatement(
  jwt: unknown,
  options: DecodeOptions = {},
): DecodedEntityStatement {
  const decoded = decodeJws(jwt, {
    typ: [JWT_TYPES.entityStatement],
    allowedAlgorithms: options.allowedAlgorithms,
    maxLength: options.maxStatementLength,
    // §4.3, §4.4: these header parameters MUST NOT appear on Entity Statements.
    forbiddenHeaders: ['trust_chain', 'peer_trust_chain'],
    what: 'Entity Statement',
    section: '§3.2',
  });
  const { claims, kind, tolerated } = assertEntityStatementClaims(decoded.payload, options);
  return {
    jwt: decoded.jwt,
    header: decoded.header,
    claims,
    kind,
    ...(tolerated.length === 0 ? {} : { tolerated }),
  };
}

/** §3.2 steps 7, 8: `iat` in the past and `exp` in the future, each with leeway. */
export function validateStatementTime(
  statement: DecodedEntityStatement,
  options: TimeOptions,
): void {
  const { iss, sub } = statement.claims;
  validateTimeWindow(statement.claims, options, {
    what:
      iss === sub ? `the Entity Configuration of ${iss}` : `the statement by ${iss} about ${sub}`,
    error: InvalidTrustChainError,
    section: '§3.2',
    location: { iss, sub },
  });
}

/** Options for signature verification. */
export interface VerifyOptions {
  /**
   * Verifies signatures with imported keys kept (the platform's crypto); without one, jose
   * imports the key for every verification.
   */
  readonly verifier?: SignatureVerifier;
  /** Signatures already verified with the same key are not verified again. */
  readonly verifiedSignatures?: VerificationCache;
}

/** The key in `jwks` whose `kid` matches exactly (§3.2 step 11), or a `kid_unknown` failure. */
export function selectVerificationKey(
  jwks: JwkSet,
  kid: string,
  alg: string,
  error: FederationErrorClass = InvalidTrustChainError,
): Jwk {
  const key = jwks.keys.find((candidate) => candidate.kid === kid);
  if (key === undefined) {
    throw new error(`no key with kid ${JSON.stringify(kid)} in the issuer's keys`, {
      reason: 'kid_unknown',
      claim: 'kid',
      section: '§3.2',
    });
  }
  if ((key.alg !== undefined && key.alg !== alg) || (key.use !== undefined && key.use !== 'sig')) {
    throw new error(`key ${JSON.stringify(kid)} is not meant for ${alg} signatures`, {
      reason: 'key_invalid',
      claim: 'kid',
      section: '§1.1',
    });
  }
  return key;
}

/**
 * Verifies the signature of a compact JWS with the key of `jwks` named by its `kid`
 * (§3.2 steps 11, 12). Foreign errors become `signature_invalid` or `key_invalid`, of the class
 * of the kind of JWT verified (`error`).
 */
export async function verifyJwsSignature(
  jwt: string,
  header: { readonly alg: string; readonly kid: string },
  jwks: JwkSet,
  options: VerifyOptions = {},
  error: FederationErrorClass = InvalidTrustChainError,
): Promise<void> {
  const jwk = selectVerificationKey(jwks, header.kid, header.alg, error);
  const fingerprint =
    options.verifiedSignatures === undefined ? '' : keyFingerprint(jwk, header.alg);
  if (options.verifiedSignatures?.has(jwt, fingerprint) === true) return;
  if (options.verifier !== undefined) {
    verifyWith(options.verifier, jwt, jwk, header, error);
    options.verifiedSignatures?.add(jwt, fingerprint);
    return;
  }
  let key;
  try {
    key = await importVerificationKey(jwk, header.alg);
  } catch (cause) {
    // An unusable key (§1.1) is reported by the kind of JWT it was meant to verify.
    const failure = cause instanceof FederationError ? cause : undefined;
    throw new error(failure?.message ?? `key ${JSON.stringify(header.kid)} cannot be imported`, {
      reason: 'key_invalid',
      claim: 'kid',
      section: '§1.1',
      cause,
    });
  }
  try {
    await compactVerify(jwt, key, { algorithms: [header.alg] });
    options.verifiedSignatures?.add(jwt, fingerprint);
  } catch (cause) {
    const reason =
      cause instanceof joseErrors.JWSSignatureVerificationFailed
        ? 'signature_invalid'
        : 'key_invalid';
    throw new error(
      reason === 'signature_invalid'
        ? `the signature does not verify with key ${JSON.stringify(header.kid)}`
        : `key ${JSON.stringify(header.kid)} cannot verify this statement`,
      { reason, claim: 'kid', section: '§3.2', cause },
    );
  }
}

/** §3.2 step 12 through a {@link SignatureVerifier}: the same failures as the jose path. */
function verifyWith(
  verifier: SignatureVerifier,
  jwt: string,
  jwk: Jwk,
  header: { readonly alg: string; readonly kid: string },
  error: FederationErrorClass,
): void {
  const dot = jwt.lastIndexOf('.');
  let verified: boolean;
  try {
    verified = verifier.verify(
      jwk,
      header.alg,
      jwt.slice(0, dot),
      Buffer.from(jwt.slice(dot + 1), 'base64url'),
    );
  } catch (cause) {
    throw new error(`key ${JSON.stringify(header.kid)} cannot verify ${header.alg} signatures`, {
      reason: 'key_invalid',
      claim: 'kid',
      section: '§1.1',
      cause,
    });
  }
  if (!verified) {
    throw new error(`the signature does not verify with key ${JSON.stringify(header.kid)}`, {
      reason: 'signature_invalid',
      claim: 'kid',
      section: '§3.2',
    });
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
