/**
 * A latency histogram of bounded size for long load runs (load.ts): logarithmic buckets, each
 * about 2 % wider than the one below (HDR-like: the relative error of a percentile is at most
 * ~1 %, whatever the scale), from 10 µs to 10 minutes, plus the exact count, sum, minimum and
 * maximum. Histograms merge by adding buckets, and travel over IPC as a sparse list of
 * `[bucket, count]` pairs, so a worker's whole run is a few kilobytes at most.
 */

/** Lower edge of bucket 1, milliseconds; bucket 0 holds everything below it. */
const FLOOR_MS = 0.01;
/** Ratio of one bucket's upper edge to its lower edge. */
const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
/** Buckets in all: 10 µs · 1.02^n reaches 600,000 ms at n ≈ 905. */
const BUCKETS = 1 + Math.ceil(Math.log(600_000 / FLOOR_MS) / LOG_GROWTH);

/** The serializable form of a {@link Histogram}. */
export interface HistogramData {
  readonly count: number;
  readonly sumMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  /** `[bucket index, count]` for every non-empty bucket. */
  readonly buckets: readonly (readonly [number, number])[];
}

/** Percentiles of one histogram, milliseconds (0 when it is empty). */
export interface Percentiles {
  readonly count: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export class Histogram {
  readonly #counts = new Float64Array(BUCKETS);
  #count = 0;
  #sum = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = 0;

  static from(data: HistogramData): Histogram {
    const histogram = new Histogram();
    histogram.merge(data);
    return histogram;
  }

  get count(): number {
    return this.#count;
  }

  /** Records one value, milliseconds. */
  record(valueMs: number): void {
    const value = Number.isFinite(valueMs) && valueMs > 0 ? valueMs : 0;
    const index =
      value < FLOOR_MS
        ? 0
        : Math.min(BUCKETS - 1, 1 + Math.floor(Math.log(value / FLOOR_MS) / LOG_GROWTH));
    this.#counts[index] = (this.#counts[index] ?? 0) + 1;
    this.#count++;
    this.#sum += value;
    if (value < this.#min) this.#min = value;
    if (value > this.#max) this.#max = value;
  }

  /** Adds another histogram (or its serialized form) to this one. */
  merge(other: Histogram | HistogramData): void {
    const data = other instanceof Histogram ? other.toJSON() : other;
    if (data.count === 0) return;
    for (const [index, count] of data.buckets) {
      this.#counts[index] = (this.#counts[index] ?? 0) + count;
    }
    this.#count += data.count;
    this.#sum += data.sumMs;
    this.#min = Math.min(this.#min, data.minMs);
    this.#max = Math.max(this.#max, data.maxMs);
  }

  /**
   * The value below which `fraction` of the recorded values lie: the geometric middle of the
   * bucket holding that rank, kept within the exact minimum and maximum.
   */
  quantile(fraction: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil(fraction * this.#count));
    let seen = 0;
    for (let index = 0; index < BUCKETS; index++) {
      seen += this.#counts[index] ?? 0;
      if (seen >= rank) {
        const middle = index === 0 ? FLOOR_MS / 2 : FLOOR_MS * GROWTH ** (index - 0.5);
        return Math.min(this.#max, Math.max(this.#min, middle));
      }
    }
    return this.#max;
  }

  percentiles(): Percentiles {
    return {
      count: this.#count,
      meanMs: this.#count === 0 ? 0 : this.#sum / this.#count,
      p50Ms: this.quantile(0.5),
      p90Ms: this.quantile(0.9),
      p99Ms: this.quantile(0.99),
      maxMs: this.#max,
    };
  }

  toJSON(): HistogramData {
    const buckets: [number, number][] = [];
    this.#counts.forEach((count, index) => {
      if (count > 0) buckets.push([index, count]);
    });
    return {
      count: this.#count,
      sumMs: this.#sum,
      minMs: this.#count === 0 ? 0 : this.#min,
      maxMs: this.#max,
      buckets,
    };
  }
}
