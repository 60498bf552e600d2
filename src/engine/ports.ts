/**
 * Ports of the engine: what its use cases need from the outside, implemented by adapters in
 * infrastructure/ and chosen in the composition root. The engine never imports an adapter.
 */
import type { TrustAnchor } from '../federation/types.js';

/**
 * One tier of a cache (memory today; a shared tier is one more adapter). Entries carry their own
 * time to live and their size, so a tier can bound the bytes it holds.
 */
export interface CacheTier<V> {
  /** The live entry for `key`, or `undefined`. */
  get(key: string): Promise<V | undefined>;
  /** Stores `value` for `ttlMs` milliseconds; `sizeBytes` is what it costs the tier's budget. */
  set(
    key: string,
    value: V,
    entry: { readonly ttlMs: number; readonly sizeBytes: number },
  ): Promise<void>;
  /** Forgets `key`. */
  delete(key: string): Promise<void>;
}

/** The configured Trust Anchors (§10, §11.3): pinned keys, reloadable. */
export interface TrustAnchorSource {
  /** The anchor configured for `entityId`, if any. */
  get(entityId: string): TrustAnchor | undefined;
  /** Every configured anchor. */
  all(): readonly TrustAnchor[];
  /** Changes whenever the set changes; results computed with an older set are not reused. */
  readonly version: number;
}

/**
 * Where Trust Mark Status answers come from (§8.4.1): POST of `trust_mark` to the issuer's
 * endpoint. Returns the raw `trust-mark-status-response+jwt`; failures are FederationErrors whose
 * location carries the upstream `status` when there was one (§8.4.2: 404 for an unknown mark).
 */
export interface TrustMarkStatusSource {
  fetchStatus(
    endpoint: string,
    trustMark: string,
    context: { readonly signal?: AbortSignal },
  ): Promise<string>;
}

/** Structured logging, the subset the engine and the front doors use (pino satisfies it). */
export interface Logger {
  debug(object: object, message?: string): void;
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
  child(bindings: Record<string, unknown>): Logger;
  isLevelEnabled(level: string): boolean;
}

/** Names of the caches the engine reports lookups of. */
export type EngineCacheName = 'statements' | 'resolutions' | 'trust_mark_status' | 'responses';

/** What the engine counts (the metrics adapter exports it). */
export interface EngineMetrics {
  /** One resolution answered: `resolved`, `cached`, or the error code; seconds when it ran. */
  resolution(outcome: string, seconds?: number): void;
  /** One lookup in one of the engine's caches. */
  cacheLookup(cache: EngineCacheName, hit: boolean): void;
  /** One computed resolution whose chosen chain needed a tolerance (docs/tolerances.md). */
  toleranceUsed(tolerance: string): void;
}

/** The metrics exposition the operations endpoint serves. */
export interface MetricsExporter {
  readonly contentType: string;
  render(): Promise<string>;
}
