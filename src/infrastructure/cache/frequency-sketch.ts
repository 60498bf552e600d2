/**
 * How often keys were asked for, approximately and in little memory (a count-min sketch of four
 * rows of 4-bit-like byte counters, halved every `10 × capacity` recordings so that the past
 * fades): what a cache needs to refuse a newcomer that is asked for no more often than the entry
 * it would evict (TinyLFU admission). A sweep over more keys than the cache holds then keeps the
 * keys it already holds instead of evicting each of them just before it is asked for again.
 */

/** Largest count kept per counter: enough to tell frequent from rare, small enough to age. */
const MAX_COUNT = 15;

/** 32-bit FNV-1a of a string. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A count-min sketch sized for a cache of `capacity` entries. */
export class FrequencySketch {
  readonly #rows: Uint8Array[];
  readonly #mask: number;
  readonly #sampleSize: number;
  #additions = 0;

  constructor(capacity: number) {
    let width = 16;
    while (width < capacity * 2 && width < 1 << 24) width *= 2;
    this.#mask = width - 1;
    this.#rows = [0, 1, 2, 3].map(() => new Uint8Array(width));
    this.#sampleSize = Math.max(100, capacity * 10);
  }

  /** Records one request for `key`. */
  record(key: string): void {
    const [a, b] = this.#hashes(key);
    for (let row = 0; row < 4; row++) {
      const counters = this.#rows[row];
      if (counters === undefined) continue;
      const index = (a + row * b) & this.#mask;
      const count = counters[index] ?? 0;
      if (count < MAX_COUNT) counters[index] = count + 1;
    }
    if (++this.#additions >= this.#sampleSize) this.#age();
  }

  /** The estimated number of recent requests for `key` (never less than the true one). */
  frequency(key: string): number {
    const [a, b] = this.#hashes(key);
    let estimate = MAX_COUNT;
    for (let row = 0; row < 4; row++) {
      const count = this.#rows[row]?.[(a + row * b) & this.#mask] ?? 0;
      if (count < estimate) estimate = count;
    }
    return estimate;
  }

  #hashes(key: string): [number, number] {
    const a = fnv1a(key);
    // A second, odd hash from the first (double hashing across the four rows).
    const b = (Math.imul(a ^ (a >>> 16), 0x45d9f3b) >>> 0) | 1;
    return [a, b];
  }

  /** Halves every counter: requests long past count half as much as recent ones. */
  #age(): void {
    this.#additions = 0;
    for (const counters of this.#rows) {
      for (let i = 0; i < counters.length; i++) counters[i] = (counters[i] ?? 0) >>> 1;
    }
  }
}
