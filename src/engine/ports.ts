/**
 * Ports of the engine: what its use cases need from the outside, implemented by adapters in
 * infrastructure/ and chosen in the composition root. The engine never imports an adapter.
 */
import type { ResolutionContext, ResolutionRun } from '../federation/resolver.js';
import type { DecodedEntityStatement, ResolutionQuery, TrustAnchor } from '../federation/types.js';

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
  /** Forgets every entry for which `match` is true (a purge); resolves with how many. */
  deleteWhere(match: (key: string, value: V) => boolean): Promise<number>;
}

/**
 * A store shared by every replica of a deployment (Redis): opaque strings under keys, each with
 * its own time to live and the Entity Identifiers it concerns (what a purge of one entity
 * removes), short leases so one replica computes what several miss at once, and announcements.
 * Nothing read from it is trusted: the engine checks every value as if it came from upstream.
 * No call rejects: a store that cannot answer in time answers nothing, and the engine carries on
 * with its process tier and upstream.
 */
export interface SharedStore {
  /** `up`, or `down` while calls are skipped until a background probe succeeds. */
  readonly state: 'up' | 'down';
  /** Resolves once the store is up, or after `timeoutMs` (whichever comes first). */
  connected(timeoutMs: number): Promise<void>;
  get(key: string): Promise<string | undefined>;
  /** Stores `value`; resolves with whether it was stored (false when Redis did not answer). */
  set(key: string, value: string, ttlMs: number, entities: readonly string[]): Promise<boolean>;
  delete(keys: readonly string[]): Promise<void>;
  /** True when this replica now holds the lease on `key` (for at most `ttlMs`). */
  lease(key: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease back and tells the replicas waiting on `key` that it is done. */
  release(key: string): Promise<void>;
  /** Extends a lease this replica holds to `ttlMs` from now; false when it is no longer held. */
  renew(key: string, ttlMs: number): Promise<boolean>;
  /** Resolves when the lease on `key` is released or has lapsed, or after `timeoutMs`. */
  awaitRelease(key: string, timeoutMs: number): Promise<void>;
  /**
   * Removes everything stored about `entity` (everything of this deployment when undefined) and
   * announces the purge to every replica, this one included; resolves with the count removed.
   */
  purge(entity: string | undefined): Promise<number>;
  /** Called on every replica for every announced purge. */
  onPurge(listener: (entity: string | undefined) => void): void;
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

/**
 * Where Subordinate Listings come from (§8.2): GET of the `federation_list_endpoint` with its
 * filters. Returns the parsed JSON body, not yet checked; failures are FederationErrors.
 */
export interface SubordinateListingSource {
  list(
    endpoint: string,
    filters: Readonly<Record<string, string>>,
    context: { readonly signal?: AbortSignal },
  ): Promise<unknown>;
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
export type EngineCacheName =
  | 'statements'
  | 'resolutions'
  | 'trust_mark_status'
  | 'responses'
  | 'shared_statements'
  | 'shared_resolutions'
  | 'shared_trust_mark_status';

/** What one crawl pass found, and how long it took. */
export interface CrawlCounts {
  readonly found: number;
  readonly resolved: number;
  readonly failed: number;
  readonly seconds: number;
}

/** What the engine counts (the metrics adapter exports it). */
export interface EngineMetrics {
  /** One resolution answered: `resolved`, `cached`, or the error code; seconds when it ran. */
  resolution(outcome: string, seconds?: number): void;
  /** One lookup in one of the engine's caches. */
  cacheLookup(cache: EngineCacheName, hit: boolean): void;
  /** One computed resolution whose chosen chain needed a tolerance (docs/tolerances.md). */
  toleranceUsed(tolerance: string): void;
  /** One shared-tier entry this replica would not vouch for (`statement`, `resolution`). */
  sharedRejected(kind: string): void;
  /** One crawl pass over a Trust Anchor ended (or was adopted from another replica). */
  crawlPass(trustAnchor: string, counts: CrawlCounts): void;
}

/** The metrics exposition the operations endpoint serves. */
export interface MetricsExporter {
  readonly contentType: string;
  render(): Promise<string>;
}

/**
 * Where cold resolutions run instead of the process's own event loop: worker threads, each
 * running the same TrustChainResolver with statement caches of its own (docs/decisions.md).
 */
export interface ResolutionRunner {
  /** Starts a resolution, as TrustChainResolver.start does. */
  start(query: ResolutionQuery, context: ResolutionContext): ResolutionRun;
  /**
   * Hands every runner statements of a validated chain to hold as if fetched there: those of an
   * entity whose subordinates are about to be resolved, so no runner fetches them again.
   */
  hold(statements: readonly DecodedEntityStatement[]): void;
  /** Forgets what the runners cached by or about `entity` (all when undefined); with the count. */
  purge(entity: string | undefined): Promise<number>;
}
