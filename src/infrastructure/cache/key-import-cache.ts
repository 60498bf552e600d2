/**
 * Imported verification keys by public key material and algorithm (§10.2: verification results
 * MAY be cached; importing a key is part of that work), so a JWK met in many statements is
 * imported once. Concurrent first uses share one import.
 */
import { LRUCache } from 'lru-cache';
import { Coalescer } from '../../engine/coalescer.js';
import type { KeyImportCache } from '../../federation/ports.js';
import type { Jwk } from '../../federation/types.js';
import {
  importVerificationKey,
  keyFingerprint,
  type VerificationKey,
} from '../../federation/verification-key.js';

/**
 * Bytes an imported key is charged: its public material as JSON, twice over (the key object and
 * the identity it is kept under), plus the fixed cost of a key object.
 */
function keySize(id: string): number {
  return 2 * id.length + 2048;
}

/** A bounded {@link KeyImportCache} in this process's memory. */
export class MemoryKeyImportCache implements KeyImportCache {
  readonly #keys: LRUCache<string, VerificationKey>;
  readonly #imports = new Coalescer<VerificationKey>();
  #importCount = 0;

  /**
   * @param maxEntries most keys kept; the least recently used is dropped first.
   * @param maxBytes most bytes kept, as charged per key.
   */
  constructor(maxEntries = 1000, maxBytes?: number) {
    this.#keys = new LRUCache<string, VerificationKey>({
      max: maxEntries,
      ...(maxBytes === undefined
        ? {}
        : { maxSize: maxBytes, sizeCalculation: (_key, id) => keySize(id) }),
    });
  }

  /** Bytes held, as charged (0 without a byte bound). */
  get bytes(): number {
    return this.#keys.calculatedSize;
  }

  /** Keys actually imported since creation (a miss each). */
  get importCount(): number {
    return this.#importCount;
  }

  /** Keys held. */
  get size(): number {
    return this.#keys.size;
  }

  async get(jwk: Jwk, alg: string): Promise<VerificationKey> {
    const id = keyFingerprint(jwk, alg);
    const hit = this.#keys.get(id);
    if (hit !== undefined) return hit;
    return this.#imports.run(id, async () => {
      this.#importCount++;
      const key = await importVerificationKey(jwk, alg);
      this.#keys.set(id, key);
      return key;
    });
  }
}
