import { importJWK } from 'jose';
import { InvalidTrustChainError } from './errors.js';
import type { Jwk } from './types.js';

/** What `importJWK` gives back on this runtime. */
export type VerificationKey = Awaited<ReturnType<typeof importJWK>>;

/** Public members that identify a key, per key type (RFC 7638 §3.2 uses the same sets). */
const IDENTIFYING_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  RSA: ['e', 'kty', 'n'],
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
};

/**
 * Bounded cache of imported verification keys, keyed by the key's public material and the
 * algorithm, so that the same JWK met in many statements is imported once.
 */
export class KeyImportCache {
  readonly #entries = new Map<string, Promise<VerificationKey>>();
  readonly #max: number;
  #imports = 0;

  /** @param max most keys kept; the least recently used is dropped first. */
  constructor(max = 1000) {
    this.#max = max;
  }

  /** Number of keys actually imported since creation (a cache miss each). */
  get importCount(): number {
    return this.#imports;
  }

  /** Number of keys held. */
  get size(): number {
    return this.#entries.size;
  }

  /** The imported key for `jwk` used with `alg`, importing it on first use. */
  async get(jwk: Jwk, alg: string): Promise<VerificationKey> {
    const id = keyFingerprint(jwk, alg);
    const hit = this.#entries.get(id);
    if (hit !== undefined) {
      // Refresh recency: Map iteration order is insertion order.
      this.#entries.delete(id);
      this.#entries.set(id, hit);
      return hit;
    }
    this.#imports++;
    const imported = importJWK({ ...jwk, alg, ext: true }, alg).catch((cause: unknown) => {
      this.#entries.delete(id);
      throw new InvalidTrustChainError(
        `key ${JSON.stringify(jwk.kid)} cannot be used with ${alg}`,
        {
          reason: 'key_invalid',
          section: '§1.1',
          cause,
        },
      );
    });
    this.#entries.set(id, imported);
    if (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    return imported;
  }
}

/** Identifies a key's public material used with `alg` (RFC 7638 members; every member otherwise). */
export function keyFingerprint(jwk: Jwk, alg: string): string {
  const members = IDENTIFYING_MEMBERS[jwk.kty];
  // Unknown key types keep every member, so two different keys can never share an entry.
  const names = members ?? Object.keys(jwk).sort();
  return `${alg}\u0000${JSON.stringify(names.map((name) => [name, jwk[name]]))}`;
}
