/**
 * The in-memory cache tier: one lru-cache per cache, bounded by entries and by the bytes its
 * entries are charged, each entry with its own time to live. Expired entries are never served,
 * and leave memory at the next sweep: at most every {@link SWEEP_INTERVAL_MS}, on the tier's
 * next use. lru-cache's own `ttlAutopurge` would keep a timer per entry instead: three timers per
 * crawled member, about 450 bytes of heap each and a timer-list insertion on every write.
 */
import { LRUCache } from 'lru-cache';
import type { CacheTier } from '../../engine/ports.js';
import { FrequencySketch } from './frequency-sketch.js';

/** Longest time between two sweeps of expired entries of a tier in use, milliseconds. */
export const SWEEP_INTERVAL_MS = 5_000;

/** Bounds of a {@link MemoryTier}. */
export interface MemoryTierOptions {
  /** Most entries held. */
  readonly maxEntries: number;
  /** Most bytes held, as charged by the callers' `sizeBytes`; entries larger are not kept. */
  readonly maxBytes?: number;
  /**
   * Scan resistance (TinyLFU admission): when the tier is full, a new entry is kept only if its
   * key was asked for more often, recently, than the least recently used entry it would evict.
   * A sweep over more keys than the tier holds then leaves most of what it holds in place.
   */
  readonly scanResistant?: boolean;
  /** Longest time between sweeps of expired entries, milliseconds (SWEEP_INTERVAL_MS). */
  readonly sweepIntervalMs?: number;
}

/** A {@link CacheTier} in this process's memory. */
export class MemoryTier<V extends NonNullable<unknown>> implements CacheTier<V> {
  readonly #entries: LRUCache<string, V>;
  readonly #sized: boolean;
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #sketch: FrequencySketch | undefined;
  readonly #sweepIntervalMs: number;
  #sweptAt = performance.now();

  constructor(options: MemoryTierOptions) {
    this.#entries = new LRUCache<string, V>({
      max: options.maxEntries,
      ...(options.maxBytes === undefined ? {} : { maxSize: options.maxBytes }),
    });
    this.#sweepIntervalMs = options.sweepIntervalMs ?? SWEEP_INTERVAL_MS;
    this.#sized = options.maxBytes !== undefined;
    this.#maxEntries = options.maxEntries;
    this.#maxBytes = options.maxBytes ?? Infinity;
    this.#sketch =
      options.scanResistant === true ? new FrequencySketch(options.maxEntries) : undefined;
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
    this.#sweep();
    this.#sketch?.record(key);
    return Promise.resolve(this.#entries.get(key));
  }

  set(key: string, value: V, entry: { readonly ttlMs: number; readonly sizeBytes: number }) {
    this.#sweep();
    if (entry.ttlMs > 0 && this.#admits(key, entry.sizeBytes)) {
      this.#entries.set(key, value, {
        ttl: entry.ttlMs,
        ...(this.#sized ? { size: Math.max(1, Math.ceil(entry.sizeBytes)) } : {}),
      });
    }
    return Promise.resolve();
  }

  /** Drops expired entries, at most every SWEEP_INTERVAL_MS (one pass over the tier). */
  #sweep(): void {
    const now = performance.now();
    if (now - this.#sweptAt < this.#sweepIntervalMs) return;
    this.#sweptAt = now;
    this.#entries.purgeStale();
  }

  /** TinyLFU admission: a full tier keeps a newcomer only if it is wanted more than the victim. */
  #admits(key: string, sizeBytes: number): boolean {
    const sketch = this.#sketch;
    if (sketch === undefined || this.#entries.has(key)) return true;
    const full =
      this.#entries.size >= this.#maxEntries ||
      this.#entries.calculatedSize + Math.max(1, Math.ceil(sizeBytes)) > this.#maxBytes;
    if (!full) return true;
    const victim = this.#entries.rkeys().next();
    return victim.done === true || sketch.frequency(key) > sketch.frequency(victim.value);
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
