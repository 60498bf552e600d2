/**
 * Prometheus metrics (prom-client), one registry per service instance so that several instances
 * (tests) never share counters.
 */
import {
  AggregatorRegistry,
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics,
  type MetricObjectWithValues,
  type MetricValue,
} from 'prom-client';
import type {
  CrawlCounts,
  EngineCacheName,
  EngineMetrics,
  MetricsExporter,
} from '../engine/ports.js';

/** Names of the caches reported by cache metrics. */
export type CacheName =
  EngineCacheName | 'failed_resolutions' | 'signatures' | 'keys' | 'decoded_statements';

/** One registry's metrics as data (prom-client's JSON form), as a worker thread sends them. */
export type WorkerMetrics = Array<MetricObjectWithValues<MetricValue<string>>>;

/** The service's metrics and their registry. */
export class Metrics implements EngineMetrics, MetricsExporter {
  readonly registry = new Registry();
  /** Resolutions by outcome: `resolved`, `cached`, or the error code. */
  readonly resolutions = new Counter({
    name: 'resolver_resolutions_total',
    help: 'Resolutions by outcome (resolved, cached, or the error code)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  /** Resolution latency by outcome. */
  readonly resolutionSeconds = new Histogram({
    name: 'resolver_resolution_duration_seconds',
    help: 'Time to answer a resolution, by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  /** Upstream statement fetches by result (HTTP status or failure reason). */
  readonly upstreamFetches = new Counter({
    name: 'resolver_upstream_fetches_total',
    help: 'Upstream statement requests by result (HTTP status or failure reason)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  /** Upstream fetch latency by result. */
  readonly upstreamSeconds = new Histogram({
    name: 'resolver_upstream_fetch_duration_seconds',
    help: 'Upstream statement request latency, by result',
    labelNames: ['result'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly cacheHits = new Counter({
    name: 'resolver_cache_hits_total',
    help: 'Cache hits by cache',
    labelNames: ['cache'] as const,
    registers: [this.registry],
  });
  readonly cacheMisses = new Counter({
    name: 'resolver_cache_misses_total',
    help: 'Cache misses by cache',
    labelNames: ['cache'] as const,
    registers: [this.registry],
  });
  /** Resolutions computed with a tolerance of deployed software (docs/tolerances.md). */
  readonly tolerated = new Counter({
    name: 'resolver_tolerated_resolutions_total',
    help: 'Resolutions whose chosen chain needed a tolerance (TOLERATE), by tolerance',
    labelNames: ['tolerance'] as const,
    registers: [this.registry],
  });
  /** Shared-tier entries that did not validate and were dropped. */
  readonly sharedRejections = new Counter({
    name: 'resolver_shared_rejected_total',
    help: 'Entries read from the shared tier (Redis) that did not validate and were dropped, by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  /** 1 while the shared tier answers, 0 while it is skipped, absent without one. */
  readonly sharedUp = new Gauge({
    name: 'resolver_redis_up',
    help: 'Whether the shared tier (Redis) answers (1) or is skipped by its circuit (0)',
    registers: [this.registry],
  });
  /** Members of each anchor in the last crawl pass, by state (found, resolved, failed). */
  readonly crawlMembers = new Gauge({
    name: 'resolver_crawl_members',
    help: 'Members of a Trust Anchor in the last crawl pass, by state (found, resolved, failed)',
    labelNames: ['trust_anchor', 'state'] as const,
    registers: [this.registry],
  });
  /** Duration of the last crawl pass of each anchor. */
  readonly crawlSeconds = new Gauge({
    name: 'resolver_crawl_pass_duration_seconds',
    help: 'How long the last crawl pass over a Trust Anchor took',
    labelNames: ['trust_anchor'] as const,
    registers: [this.registry],
  });
  /** Circuit changes of upstream origins, by the state entered. */
  readonly circuitChanges = new Counter({
    name: 'resolver_upstream_circuit_changes_total',
    help: 'Upstream origin circuits that opened, went half-open or closed',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });
  readonly #sizes = new Map<CacheName, { entries: () => number; bytes?: () => number }>();
  #slots: (() => { readonly active: number; readonly waiting: number }) | undefined;
  readonly #sources: Array<() => Promise<readonly WorkerMetrics[]>> = [];

  /**
   * @param processMetrics whether to report the process (CPU, memory, event loop): true for the
   *   service, false for a resolution worker, whose counters are added to the service's.
   */
  constructor(processMetrics = true) {
    const sizes = this.#sizes;
    new Gauge({
      name: 'resolver_cache_entries',
      help: 'Entries held, by cache',
      labelNames: ['cache'] as const,
      registers: [this.registry],
      collect() {
        for (const [cache, size] of sizes) this.set({ cache }, size.entries());
      },
    });
    new Gauge({
      name: 'resolver_cache_bytes',
      help: 'Bytes held as charged against CACHE_MAX_BYTES, by cache',
      labelNames: ['cache'] as const,
      registers: [this.registry],
      collect() {
        for (const [cache, size] of sizes) {
          if (size.bytes !== undefined) this.set({ cache }, size.bytes());
        }
      },
    });
    const slots = () => this.#slots?.();
    new Gauge({
      name: 'resolver_resolution_slots',
      help: 'Cold resolutions in progress (active) and waiting for a slot (waiting)',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const now = slots();
        if (now === undefined) return;
        this.set({ state: 'active' }, now.active);
        this.set({ state: 'waiting' }, now.waiting);
      },
    });
    if (processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** This registry's metrics as data, for a service to add them to its own. */
  snapshot(): Promise<WorkerMetrics> {
    return this.registry.getMetricsAsJSON() as Promise<WorkerMetrics>;
  }

  /** Adds, at every scrape, the metrics `source` gives (those of resolution workers). */
  addSource(source: () => Promise<readonly WorkerMetrics[]>): void {
    this.#sources.push(source);
  }

  /** Reports the resolution slots in use and the requests waiting for one at every scrape. */
  trackSlots(slots: () => { readonly active: number; readonly waiting: number }): void {
    this.#slots = slots;
  }

  /** The exposition format's media type. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The metrics in the Prometheus text format. */
  async render(): Promise<string> {
    if (this.#sources.length === 0) return this.registry.metrics();
    const others = (await Promise.all(this.#sources.map((source) => source()))).flat();
    // Counters, histograms and cache sizes of every thread add up under the same labels.
    return AggregatorRegistry.aggregate([await this.snapshot(), ...others]).metrics();
  }

  /** Counts one answered resolution, and its duration when it ran. */
  resolution(outcome: string, seconds?: number): void {
    this.resolutions.inc({ outcome });
    if (seconds !== undefined) this.resolutionSeconds.observe({ outcome }, seconds);
  }

  /** Counts one computed resolution whose chosen chain needed `tolerance`. */
  toleranceUsed(tolerance: string): void {
    this.tolerated.inc({ tolerance });
  }

  /** Counts one shared-tier entry dropped because it did not validate. */
  sharedRejected(kind: string): void {
    this.sharedRejections.inc({ kind });
  }

  /** Reports one crawl pass. */
  crawlPass(trustAnchor: string, counts: CrawlCounts): void {
    for (const state of ['found', 'resolved', 'failed'] as const) {
      this.crawlMembers.set({ trust_anchor: trustAnchor, state }, counts[state]);
    }
    this.crawlSeconds.set({ trust_anchor: trustAnchor }, counts.seconds);
  }

  /** Reports the shared tier's state. */
  sharedState(state: 'up' | 'down'): void {
    this.sharedUp.set(state === 'up' ? 1 : 0);
  }

  /** Reports the size of a cache (entries, and bytes when bounded) at every scrape. */
  trackCacheSize(cache: CacheName, entries: () => number, bytes?: () => number): void {
    this.#sizes.set(cache, bytes === undefined ? { entries } : { entries, bytes });
  }

  /** Counts an upstream origin's circuit entering `state`. */
  circuitChange(state: string): void {
    this.circuitChanges.inc({ state });
  }

  /** Counts one lookup in `cache`. */
  cacheLookup(cache: CacheName, hit: boolean): void {
    (hit ? this.cacheHits : this.cacheMisses).inc({ cache });
  }
}
