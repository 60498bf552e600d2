/** Bounded memory of verified signatures (§10.2: verification results MAY be cached). */
import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { VerificationCache } from '../../federation/ports.js';

/** An LRU set of (SHA-256 of the JWS, key fingerprint) pairs. */
export class MemoryVerificationCache implements VerificationCache {
  readonly #entries: LRUCache<string, true>;
  readonly #onLookup: ((hit: boolean) => void) | undefined;

  /**
   * @param maxEntries most results kept.
   * @param maxBytes most bytes kept, each result charged for its key (hash and key identity).
   */
  constructor(maxEntries: number, onLookup?: (hit: boolean) => void, maxBytes?: number) {
    this.#entries = new LRUCache<string, true>({
      max: maxEntries,
      ...(maxBytes === undefined
        ? {}
        : { maxSize: maxBytes, sizeCalculation: (_value, key) => 2 * key.length + 96 }),
    });
    this.#onLookup = onLookup;
  }

  /** Bytes held, as charged (0 without a byte bound). */
  get bytes(): number {
    return this.#entries.calculatedSize;
  }

  /** Entries held. */
  get size(): number {
    return this.#entries.size;
  }

  /** The last key made: a miss is followed by `add` of the same JWS, hashed once for both. */
  #last: { jwt: string; keyFingerprint: string; key: string } | undefined;

  #key(jwt: string, keyFingerprint: string): string {
    const last = this.#last;
    if (last !== undefined && last.jwt === jwt && last.keyFingerprint === keyFingerprint) {
      return last.key;
    }
    // The whole JWS is hashed: a result is reused only for the very same signed bytes.
    const key = `${hash('sha256', jwt, 'base64url')}\u0000${keyFingerprint}`;
    this.#last = { jwt, keyFingerprint, key };
    return key;
  }

  has(jwt: string, keyFingerprint: string): boolean {
    const hit = this.#entries.has(this.#key(jwt, keyFingerprint));
    this.#onLookup?.(hit);
    return hit;
  }

  add(jwt: string, keyFingerprint: string): void {
    this.#entries.set(this.#key(jwt, keyFingerprint), true);
  }
}
