/**
 * Verification keys (§1.1, §3.2 step 11): importing a public JWK for one algorithm, and the one
 * definition of a key's identity (its RFC 7638 members), used both to reuse verification results
 * and to see that two JWK Sets hold the same key.
 */
import { importJWK } from 'jose';
import { InvalidTrustChainError } from './errors.js';
import type { Jwk } from './types.js';

/** What `importJWK` gives back on this runtime. */
export type VerificationKey = Awaited<ReturnType<typeof importJWK>>;

/** Public members that identify a key, per key type (RFC 7638 §3.2). */
const IDENTIFYING_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  RSA: ['e', 'kty', 'n'],
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
};

/**
 * The public key material of `jwk` as a string: the RFC 7638 members of its key type, or every
 * member for an unknown type (so two different keys can never share an identity).
 */
export function jwkIdentity(jwk: Jwk): string {
  const names = IDENTIFYING_MEMBERS[jwk.kty] ?? Object.keys(jwk).sort();
  return JSON.stringify(names.map((name) => [name, jwk[name]]));
}

/** Identifies a key's public material used with `alg`. */
export function keyFingerprint(jwk: Jwk, alg: string): string {
  return `${alg}\u0000${jwkIdentity(jwk)}`;
}

/** Imports `jwk` for verifying `alg` signatures; an unusable key is `key_invalid` (§1.1). */
export async function importVerificationKey(jwk: Jwk, alg: string): Promise<VerificationKey> {
  try {
    return await importJWK({ ...jwk, alg, ext: true }, alg);
  } catch (cause) {
    throw new InvalidTrustChainError(`key ${JSON.stringify(jwk.kid)} cannot be used with ${alg}`, {
      reason: 'key_invalid',
      section: '§1.1',
      cause,
    });
  }
}
