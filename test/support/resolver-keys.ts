/**
 * Signing keys for the resolver under test, made by the test and handed to it in
 * RESOLVER_KEYS_FILE, so that a relying party can pin the public half out of band (§8.3.2), and
 * a test can sign what a compromised or misconfigured resolver would.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, type CryptoKey, type JSONWebKeySet } from 'jose';

/** A resolver key: the file the resolver reads, the public set to pin, the private key. */
export interface ResolverKeys {
  /** RESOLVER_KEYS_FILE of the resolver (the private JWK Set). */
  readonly file: string;
  /** The public JWK Set a relying party pins. */
  readonly jwks: JSONWebKeySet;
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: CryptoKey;
  /** Removes the file. */
  remove(): void;
}

/** Generates a resolver key (`alg`, `kid`) and writes it to a temporary RESOLVER_KEYS_FILE. */
export async function resolverKeys(alg = 'ES256', kid = 'resolver-key'): Promise<ResolverKeys> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const dir = mkdtempSync(join(tmpdir(), 'resolver-keys-'));
  const file = join(dir, 'keys.json');
  writeFileSync(file, JSON.stringify({ keys: [{ ...(await exportJWK(privateKey)), kid, alg }] }));
  return {
    file,
    jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }] },
    kid,
    alg,
    privateKey,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
