/**
 * The in-memory cache tier: one lru-cache per cache, bounded by entries and by the bytes its
 * entries are charged, each entry with its own time to live. Expired entries leave memory when
 * they expire (`ttlAutopurge`), not only when they are next read.
 */
import { LRUCache } from 'lru-cache';
import type { CacheTier } from '../../engine/ports.js';

/** Bounds of a {@link MemoryTier}. */
export interface MemoryTierOptions {
  /** Most entries held. */
  readonly maxEntries: number;
  /** Most bytes held, as charged by the callers' `sizeBytes`; entries larger are not kept. */
  readonly maxBytes?: number;
}

/** A {@link CacheTier} in this process's memory. */
export class MemoryTier<V extends NonNullable<unknown>> implements CacheTier<V> {
  readonly #entries: LRUCache<string, V>;
  readonly #sized: boolean;

  constructor(options: MemoryTierOptions) {
    this.#entries = new LRUCache<string, V>({
      max: options.maxEntries,
      ...(options.maxBytes === undefined ? {} : { maxSize: options.maxBytes }),
      ttlAutopurge: true,
    });
    this.#sized = options.maxBytes !== undefined;
  }

  /** Entries held. */
  get size(): number {
    return this.#entries.size;
  }

  /** Bytes held, as charged (0 when the tier has no byte bound). */
  get bytes(): number {
    return this.#entries.calculatedSize;
  }

  get(key: string): Promise<V | undefined> {
    return Promise.resolve(this.#entries.get(key));
  }

  set(key: string, value: V, entry: { readonly ttlMs: number; readonly sizeBytes: number }) {
    if (entry.ttlMs > 0) {
      this.#entries.set(key, value, {
        ttl: entry.ttlMs,
        ...(this.#sized ? { size: Math.max(1, Math.ceil(entry.sizeBytes)) } : {}),
      });
    }
    return Promise.resolve();
  }

  delete(key: string): Promise<void> {
    this.#entries.delete(key);
    return Promise.resolve();
  }

  deleteWhere(match: (key: string, value: V) => boolean): Promise<number> {
    // Collected first: deleting while iterating would skip entries.
    const keys = [...this.#entries.entries()].filter(([key, value]) => match(key, value));
    for (const [key] of keys) this.#entries.delete(key);
    return Promise.resolve(keys.length);
  }
}
