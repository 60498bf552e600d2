/**
 * Verifies a resolve response (§8.3.2) with the resolver's keys pinned out of band, and takes the
 * Resolved Metadata of one Entity Type from it. Every check that fails names itself in the
 * error's `reason`.
 */
import {
  compactVerify,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  type CompactVerifyResult,
  type CryptoKey,
  type JSONWebKeySet,
} from 'jose';
import { FederationResolutionError, refused, type ClientFailureReason } from './errors.js';
import { parseObject } from './resolver-http.js';

/** §8.3.2: the `typ` of a resolve response. */
export const RESOLVE_RESPONSE_TYP = 'resolve-response+jwt';

/** §8.3.2: the media type of a resolve response. */
export const RESOLVE_RESPONSE_MEDIA_TYPE = 'application/resolve-response+jwt';

/**
 * Asymmetric JWS algorithms only: a symmetric key would have to be shared with the resolver, and
 * `none` proves nothing (§8.3.2: signed with one of the resolver's Federation Entity Keys).
 */
export const ASYMMETRIC_ALGORITHMS = [
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

/** The pinned keys, checked once when the helper is created. */
export type PinnedKeys = ReturnType<typeof createLocalJWKSet>;

/** Checks a pinned JWK Set (public, asymmetric keys) and prepares it for verification. */
export function pinKeys(jwks: JSONWebKeySet): PinnedKeys {
  const keys: unknown = (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new TypeError('verify.resolverJwks must be a JWK Set with at least one key');
  }
  for (const key of keys as unknown[]) {
    const jwk = key as Record<string, unknown> | null;
    if (typeof jwk !== 'object' || jwk === null || jwk['kty'] === 'oct' || 'd' in jwk) {
      throw new TypeError('verify.resolverJwks must hold public asymmetric keys only');
    }
  }
  return createLocalJWKSet(jwks);
}

/** What the response must say. */
export interface Expected {
  readonly keys: PinnedKeys;
  readonly resolverEntityId: string;
  readonly subject: string;
  readonly trustAnchors: readonly string[];
  readonly entityType: string;
  /** Seconds since the epoch. */
  readonly now: number;
  /** Seconds of leeway on `exp` and `iat`. */
  readonly clockTolerance: number;
  /** HTTP status of the answer, for the errors. */
  readonly status: number;
}

const JOSE_REASONS: Readonly<Record<string, ClientFailureReason>> = {
  ERR_JWKS_NO_MATCHING_KEY: 'kid_unknown',
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'signature_invalid',
  ERR_JOSE_ALG_NOT_ALLOWED: 'alg_not_allowed',
  ERR_JOSE_NOT_SUPPORTED: 'alg_not_allowed',
};

/** The signature checked with the pinned keys; several keys under one `kid` are each tried. */
async function verifySignature(jwt: string, expected: Expected): Promise<CompactVerifyResult> {
  const options = { algorithms: [...ASYMMETRIC_ALGORITHMS] };
  const fail = (cause: unknown): FederationResolutionError => {
    const code = (cause as { code?: unknown } | null)?.code;
    const reason = (typeof code === 'string' ? JOSE_REASONS[code] : undefined) ?? 'body_malformed';
    return refused(
      reason,
      `the resolve response does not verify with the pinned resolver keys (${reason})`,
      expected.status,
      cause,
    );
  };
  try {
    return await compactVerify(jwt, expected.keys, options);
  } catch (error) {
    const candidates = error as Partial<AsyncIterable<CryptoKey>> | null;
    if (typeof candidates?.[Symbol.asyncIterator] !== 'function') throw fail(error);
    let last: unknown = error;
    for await (const key of candidates as AsyncIterable<CryptoKey>) {
      try {
        return await compactVerify(jwt, key, options);
      } catch (attempt) {
        last = attempt;
      }
    }
    throw fail(last);
  }
}

/** The Entity Identifier a trust chain ends at: `iss` of its last element, a configuration (§4). */
function trustAnchorOf(chain: unknown, expected: Expected): string {
  const invalid = (message: string, cause?: unknown) =>
    refused('trust_chain_invalid', message, expected.status, cause);
  if (!Array.isArray(chain) || chain.length === 0 || !chain.every((s) => typeof s === 'string')) {
    throw invalid('the resolve response has no trust_chain of JWTs');
  }
  let last: Record<string, unknown>;
  try {
    last = decodeJwt(chain[chain.length - 1] as string);
  } catch (cause) {
    throw invalid('the last element of trust_chain is not a JWT', cause);
  }
  if (typeof last['iss'] !== 'string' || last['iss'] !== last['sub']) {
    throw invalid("the last element of trust_chain is not a Trust Anchor's Entity Configuration");
  }
  return last['iss'];
}

/**
 * The `metadata[entityType]` of a resolve response that passes every check: header (`typ`, an
 * asymmetric `alg`, `kid`), signature against the pinned keys, `iss`, `sub`, `iat`, `exp`, and a
 * `trust_chain` ending at a requested Trust Anchor (§8.3.2).
 */
export async function verifiedMetadata(
  jwt: string,
  expected: Expected,
): Promise<Record<string, unknown>> {
  const { status } = expected;
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(jwt);
  } catch (cause) {
    throw refused('body_malformed', 'the resolve response is not a compact JWS', status, cause);
  }
  if (header['typ'] !== RESOLVE_RESPONSE_TYP) {
    throw refused(
      'typ_invalid',
      `the resolve response has typ ${JSON.stringify(header['typ'])}, not ${RESOLVE_RESPONSE_TYP}`,
      status,
    );
  }
  const alg = header['alg'];
  if (typeof alg !== 'string' || !(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg)) {
    throw refused(
      'alg_not_allowed',
      `the resolve response is signed with ${JSON.stringify(alg)}, not an asymmetric algorithm`,
      status,
    );
  }
  if (typeof header['kid'] !== 'string' || header['kid'] === '') {
    throw refused('kid_missing', 'the resolve response has no kid', status);
  }
  const { payload } = await verifySignature(jwt, expected);
  const claims = parseObject(new TextDecoder().decode(payload));
  if (claims === undefined) {
    throw refused('body_malformed', 'the resolve response claims are not a JSON object', status);
  }
  if (claims['iss'] !== expected.resolverEntityId) {
    throw refused(
      'iss_mismatch',
      `the resolve response is issued by ${JSON.stringify(claims['iss'])}, not ${expected.resolverEntityId}`,
      status,
    );
  }
  if (claims['sub'] !== expected.subject) {
    throw refused(
      'sub_mismatch',
      `the resolve response is about ${JSON.stringify(claims['sub'])}, not ${expected.subject}`,
      status,
    );
  }
  for (const name of ['iat', 'exp'] as const) {
    const value = claims[name];
    if (value === undefined)
      throw refused('claim_missing', `the resolve response has no ${name}`, status);
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw refused('claim_invalid', `the resolve response's ${name} is not a number`, status);
    }
  }
  const { now, clockTolerance } = expected;
  if ((claims['exp'] as number) <= now - clockTolerance) {
    throw refused('statement_expired', 'the resolve response has expired', status);
  }
  if ((claims['iat'] as number) > now + clockTolerance) {
    throw refused(
      'statement_not_yet_valid',
      'the resolve response is issued in the future',
      status,
    );
  }
  const anchor = trustAnchorOf(claims['trust_chain'], expected);
  if (!expected.trustAnchors.includes(anchor)) {
    throw refused(
      'trust_anchor_not_requested',
      `the trust chain ends at ${anchor}, which was not among the requested trust anchors`,
      status,
    );
  }
  const metadata = claims['metadata'];
  if (metadata === undefined) {
    throw refused('claim_missing', 'the resolve response has no metadata', status);
  }
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw refused('claim_invalid', "the resolve response's metadata is not an object", status);
  }
  const document: unknown = Object.hasOwn(metadata, expected.entityType)
    ? (metadata as Record<string, unknown>)[expected.entityType]
    : undefined;
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    // As the resolver's own discovery endpoints answer a subject without this Entity Type.
    throw new FederationResolutionError(
      `${expected.subject} has no ${expected.entityType} metadata in its resolved trust chain`,
      { code: 'not_found', reason: 'entity_type_not_found', status },
    );
  }
  return document as Record<string, unknown>;
}
