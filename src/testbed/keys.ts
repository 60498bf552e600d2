/**
 * Keys and signatures for test federations (testbed, demo, tests, benchmarks). Private keys made
 * here never leave the process.
 */
import { CompactSign, exportJWK, generateKeyPair } from 'jose';
import { JWT_TYPES } from '../federation/constants.js';
import type { Jwk, JwkSet } from '../federation/types.js';

/** A private key as produced by `jose`. */
export type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

/** A signing key of a test entity: the private key and its public JWK. */
export interface SigningKey {
  readonly alg: string;
  readonly kid: string;
  readonly privateKey: PrivateKey;
  readonly publicJwk: Jwk;
}

let sequence = 0;

/** Generates a key pair for `alg` with a fresh (or the given) `kid`. */
export async function generateSigningKey(alg = 'ES256', kid?: string): Promise<SigningKey> {
  const options = alg === 'EdDSA' ? { crv: 'Ed25519', extractable: true } : { extractable: true };
  const { privateKey, publicKey } = await generateKeyPair(alg, options);
  const id = kid ?? `${alg.toLowerCase()}-${Date.now().toString(36)}-${++sequence}`;
  const jwk = await exportJWK(publicKey);
  if (typeof jwk.kty !== 'string') throw new Error('exported JWK without kty');
  return { alg, kid: id, privateKey, publicJwk: { ...jwk, kty: jwk.kty, kid: id } };
}

/** The public JWK Set of some keys. */
export function publicJwks(...keys: readonly SigningKey[]): JwkSet {
  return { keys: keys.map((key) => key.publicJwk) };
}

/**
 * Signs `claims` as a compact JWS. The header defaults to an Entity Statement header
 * (`typ`, `alg`, `kid`); a member given as `undefined` in `header` is left out.
 */
export async function signJwt(
  claims: Record<string, unknown>,
  key: SigningKey,
  header: Record<string, unknown> = {},
): Promise<string> {
  const protectedHeader: Record<string, unknown> = {
    typ: JWT_TYPES.entityStatement,
    alg: key.alg,
    kid: key.kid,
  };
  for (const [name, value] of Object.entries(header)) {
    if (value === undefined) delete protectedHeader[name];
    else protectedHeader[name] = value;
  }
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: key.alg, ...protectedHeader })
    .sign(key.privateKey);
}
