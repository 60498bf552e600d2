/**
 * How `node:crypto` signs and verifies each accepted JWS algorithm (RFC 7518 §3): the hash, the
 * key type and curves it needs, the padding, and the checks jose makes before using a key (the
 * key fits the algorithm; RSA moduli of at least 2048 bits). `none` and HMAC are not here (§1.1).
 */
import { constants, type KeyObject, type SignKeyObjectInput } from 'node:crypto';

/** What one algorithm needs. */
export interface JwsAlgorithm {
  readonly hash: string | null;
  readonly kty: 'RSA' | 'EC' | 'OKP';
  readonly curves?: readonly string[];
  readonly pss?: boolean;
}

/** Every algorithm signed or verified with `node:crypto`. */
export const JWS_ALGORITHMS: Readonly<Record<string, JwsAlgorithm>> = {
  RS256: { hash: 'sha256', kty: 'RSA' },
  RS384: { hash: 'sha384', kty: 'RSA' },
  RS512: { hash: 'sha512', kty: 'RSA' },
  PS256: { hash: 'sha256', kty: 'RSA', pss: true },
  PS384: { hash: 'sha384', kty: 'RSA', pss: true },
  PS512: { hash: 'sha512', kty: 'RSA', pss: true },
  ES256: { hash: 'sha256', kty: 'EC', curves: ['P-256'] },
  ES384: { hash: 'sha384', kty: 'EC', curves: ['P-384'] },
  ES512: { hash: 'sha512', kty: 'EC', curves: ['P-521'] },
  EdDSA: { hash: null, kty: 'OKP', curves: ['Ed25519', 'Ed448'] },
  Ed25519: { hash: null, kty: 'OKP', curves: ['Ed25519'] },
};

/** Smallest RSA modulus accepted, bits (as jose). */
const MIN_RSA_BITS = 2048;

/** The rule of `alg`, or an error for an algorithm that is not signed or verified here. */
export function jwsAlgorithm(alg: string): JwsAlgorithm {
  const rule = JWS_ALGORITHMS[alg];
  if (rule === undefined) throw new Error(`the algorithm ${alg} is not supported`);
  return rule;
}

/** Throws unless the JWK's type and curve belong to `alg`. */
export function assertKeyFits(
  jwk: { readonly kty: unknown; readonly crv?: unknown },
  alg: string,
): void {
  const rule = jwsAlgorithm(alg);
  if (jwk.kty !== rule.kty) throw new Error(`a ${String(jwk.kty)} key cannot be used with ${alg}`);
  if (
    rule.curves !== undefined &&
    (typeof jwk.crv !== 'string' || !rule.curves.includes(jwk.crv))
  ) {
    throw new Error(`a key on ${String(jwk.crv)} cannot be used with ${alg}`);
  }
}

/** Throws for an RSA key shorter than 2048 bits. */
export function assertKeyStrength(key: KeyObject, alg: string): void {
  if (jwsAlgorithm(alg).kty !== 'RSA') return;
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) throw new Error(`an RSA key of ${bits} bits is too short`);
}

/** The `node:crypto` key argument of `sign`/`verify` for `alg`. */
export function keyInput(key: KeyObject, alg: string): SignKeyObjectInput {
  const rule = jwsAlgorithm(alg);
  if (rule.kty === 'EC') return { key, dsaEncoding: 'ieee-p1363' };
  if (rule.pss === true) {
    return {
      key,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
    };
  }
  return { key };
}
