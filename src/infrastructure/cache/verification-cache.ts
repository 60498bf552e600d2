/** Bounded memory of verified signatures (§10.2: verification results MAY be cached). */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { VerificationCache } from '../../federation/ports.js';

/** An LRU set of (SHA-256 of the JWS, key fingerprint) pairs. */
export class MemoryVerificationCache implements VerificationCache {
  readonly #entries: LRUCache<string, true>;
  readonly #onLookup: ((hit: boolean) => void) | undefined;

  constructor(maxEntries: number, onLookup?: (hit: boolean) => void) {
    this.#entries = new LRUCache({ max: maxEntries });
    this.#onLookup = onLookup;
  }

  /** Entries held. */
  get size(): number {
    return this.#entries.size;
  }

  #key(jwt: string, keyFingerprint: string): string {
    // The whole JWS is hashed: a result is reused only for the very same signed bytes.
    return `${createHash('sha256').update(jwt).digest('base64url')}\u0000${keyFingerprint}`;
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
