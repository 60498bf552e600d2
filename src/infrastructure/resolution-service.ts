/**
 * Resolution with caching (§10.2, §10.4, §10.5): resolved chains are cached until the chain's
 * `exp` and refreshed in the background shortly before; failures are cached briefly; concurrent
 * resolutions of the same query share one resolution; cold resolutions are bounded in number and
 * time.
 */
import { setMaxListeners } from 'node:events';
import { LRUCache } from 'lru-cache';
import {
  FederationError,
  InvalidTrustAnchorError,
  TemporarilyUnavailableError,
} from '../federation/errors.js';
import type { Clock } from '../federation/ports.js';
import type { ResolutionOutcome, TrustChainResolver } from '../federation/resolver.js';
import type { DecodedEntityStatement, TrustAnchor } from '../federation/types.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { TrustAnchorStore } from './trust-anchor-store.js';
import type { IssuerResolver, TrustMarkReport, TrustMarkService } from './trust-mark-service.js';

/** What is asked: a subject and the requested Trust Anchors in order of preference. */
export interface ResolutionQuery {
  readonly subject: string;
  readonly trustAnchors: readonly string[];
}

/** A resolution as served, with how it was obtained. */
export interface ServedResolution {
  readonly outcome: ResolutionOutcome;
  /** True when answered from the resolution cache. */
  readonly cached: boolean;
  /** When the resolution was computed (seconds). */
  readonly resolvedAt: number;
  /** The subject's trust marks under the chosen anchor, when marks are evaluated. */
  readonly trustMarks?: TrustMarkReport;
}

/** Settings of {@link ResolutionService}. */
export interface ResolutionServiceOptions {
  readonly resolutionTimeoutMs: number;
  readonly maxConcurrentResolutions: number;
  readonly cacheMaxEntries: number;
  readonly negativeTtlSeconds: number;
  readonly refreshAheadSeconds: number;
}

/** Dependencies of {@link ResolutionService}. */
export interface ResolutionServiceDependencies {
  readonly resolver: TrustChainResolver;
  readonly anchors: TrustAnchorStore;
  readonly clock: Clock;
  readonly options: ResolutionServiceOptions;
  readonly metrics?: Metrics;
  readonly logger?: Logger;
  /** Evaluates trust marks of resolved subjects; without it no marks are reported. */
  readonly trustMarks?: TrustMarkService;
}

interface Entry {
  readonly outcome: ResolutionOutcome;
  /** Trust marks of the resolved subject, evaluated on first use and again when they run out. */
  marks?: {
    readonly report: Promise<TrustMarkReport>;
    validUntil: number;
    readonly since: number;
    refreshing: boolean;
  };
  readonly resolvedAt: number;
  /** Seconds since the epoch after which the entry must not be served. */
  readonly expiresAt: number;
  refreshing: boolean;
}

/** Resolves queries through the core resolver with a resolution cache in front. */
export class ResolutionService {
  readonly #deps: ResolutionServiceDependencies;
  readonly #entries: LRUCache<string, Entry>;
  readonly #inFlight = new Map<string, Promise<Entry>>();
  #active = 0;

  constructor(deps: ResolutionServiceDependencies) {
    this.#deps = deps;
    this.#entries = new LRUCache({ max: deps.options.cacheMaxEntries });
    deps.metrics?.trackCacheSize('resolutions', () => this.#entries.size);
  }

  /**
   * The configured anchors among `requested`, in the caller's order. §8.3.1: any requested anchor
   * may be used, so unknown ones are skipped; none configured is `invalid_trust_anchor`.
   */
  configuredAnchors(requested: readonly string[]): TrustAnchor[] {
    const anchors: TrustAnchor[] = [];
    for (const id of requested) {
      const anchor = this.#deps.anchors.get(id);
      if (anchor !== undefined && !anchors.includes(anchor)) anchors.push(anchor);
    }
    if (anchors.length === 0) {
      throw new InvalidTrustAnchorError('none of the requested Trust Anchors is configured here', {
        reason: 'trust_anchor_unknown',
        section: '§8.3.1',
      });
    }
    return anchors;
  }

  /** Resolves `query`, from the cache when a valid entry exists, with its verified trust marks. */
  async resolve(query: ResolutionQuery): Promise<ServedResolution> {
    const anchors = this.configuredAnchors(query.trustAnchors);
    const { entry, cached } = await this.#entry(query.subject, anchors, true);
    const trustMarks = await this.#trustMarks(entry);
    return {
      outcome: entry.outcome,
      cached,
      resolvedAt: entry.resolvedAt,
      ...(trustMarks === undefined ? {} : { trustMarks }),
    };
  }

  /**
   * A fresh, exhaustive resolution for diagnostics: every candidate chain is validated and every
   * trust mark reported. Statement caches still apply (the trace says which fetches were cache
   * hits); the result is not cached.
   */
  async explain(
    query: ResolutionQuery,
  ): Promise<{ outcome: ResolutionOutcome; trustMarks?: TrustMarkReport }> {
    const anchors = this.configuredAnchors(query.trustAnchors);
    const outcome = await this.#withLimits(() =>
      this.#run(query.subject, anchors, {
        exhaustive: true,
        refresh: false,
        prefetchIssuers: true,
      }),
    );
    if (!outcome.ok || this.#deps.trustMarks === undefined) return { outcome };
    return {
      outcome,
      trustMarks: await this.#deps.trustMarks.evaluate(outcome.chain, this.#resolveIssuer),
    };
  }

  /** The cache entry of a query: a valid cached one, or a new (shared) resolution. */
  async #entry(
    subject: string,
    anchors: readonly TrustAnchor[],
    prefetchIssuers: boolean,
  ): Promise<{ entry: Entry; cached: boolean }> {
    const key = this.#key(subject, anchors);
    const now = this.#deps.clock.now();
    const cached = this.#entries.get(key);
    if (cached !== undefined && cached.expiresAt > now) {
      this.#deps.metrics?.cacheLookup('resolutions', true);
      this.#deps.metrics?.resolutions.inc({ outcome: 'cached' });
      this.#maybeRefresh(key, subject, anchors, cached, now);
      return { entry: cached, cached: true };
    }
    if (cached !== undefined) this.#entries.delete(key);
    this.#deps.metrics?.cacheLookup('resolutions', false);
    return {
      entry: await this.#resolveShared(key, subject, anchors, { refresh: false, prefetchIssuers }),
      cached: false,
    };
  }

  /**
   * §7.3 step 0: a mark issuer's chain to the subject's Trust Anchor, through the same cache. Only
   * chains are resolved here, never the issuer's own marks, so marks cannot recurse.
   */
  readonly #resolveIssuer: IssuerResolver = async (issuer, trustAnchor) => {
    const { entry } = await this.#entry(issuer, this.configuredAnchors([trustAnchor]), false);
    if (!entry.outcome.ok) throw entry.outcome.error;
    return entry.outcome.chain;
  };

  /** Starts resolving the chains of a subject's mark issuers (errors surface at evaluation). */
  #prefetchIssuers(configuration: DecodedEntityStatement, anchors: readonly TrustAnchor[]): void {
    // Only towards the preferred anchor, and only while resolution slots are plentiful: an early
    // start must never push callers into 503 overloaded. Evaluation resolves whatever is missing.
    const anchor = anchors[0];
    if (anchor === undefined) return;
    for (const issuer of this.#deps.trustMarks?.issuersOf(configuration) ?? []) {
      if (this.#active >= this.#deps.options.maxConcurrentResolutions / 2) return;
      this.#entry(issuer, [anchor], false).catch(() => undefined);
    }
  }

  /**
   * The trust mark report of a resolved entry: computed once, recomputed in the background
   * shortly before it runs out (the current one is served meanwhile), and recomputed on the
   * request path only once it has run out, so no mark is ever served past its validity.
   */
  #trustMarks(entry: Entry): Promise<TrustMarkReport> | undefined {
    const service = this.#deps.trustMarks;
    if (service === undefined || !entry.outcome.ok) return undefined;
    const chain = entry.outcome.chain;
    const now = this.#deps.clock.now();
    const evaluate = (freshStatus: boolean) => {
      const memo: NonNullable<Entry['marks']> = {
        report: service.evaluate(chain, this.#resolveIssuer, { freshStatus }),
        validUntil: Infinity,
        since: now,
        refreshing: false,
      };
      memo.report.then(
        (report) => (memo.validUntil = report.validUntil),
        () => (memo.validUntil = 0),
      );
      return memo;
    };
    const current = entry.marks;
    if (current === undefined || current.validUntil <= now) {
      entry.marks = evaluate(false);
      return entry.marks.report;
    }
    const window = Math.min(
      this.#deps.options.refreshAheadSeconds,
      (current.validUntil - current.since) / 4,
    );
    if (!current.refreshing && current.validUntil - now <= window) {
      current.refreshing = true;
      const next = evaluate(true);
      next.report.then(
        () => (entry.marks = next),
        () => (current.refreshing = false),
      );
    }
    return current.report;
  }

  #key(subject: string, anchors: readonly TrustAnchor[]): string {
    // The anchors' order matters (it breaks ties between chains); the version drops results
    // computed with trust anchors that have since been reloaded.
    return JSON.stringify([
      this.#deps.anchors.version,
      subject,
      anchors.map((anchor) => anchor.entity_id),
    ]);
  }

  #resolveShared(
    key: string,
    subject: string,
    anchors: readonly TrustAnchor[],
    mode: { readonly refresh: boolean; readonly prefetchIssuers: boolean },
  ): Promise<Entry> {
    const { refresh } = mode;
    let shared = this.#inFlight.get(key);
    if (shared === undefined) {
      shared = this.#withLimits(() => this.#run(subject, anchors, { ...mode, exhaustive: false }))
        // A failed refresh must not replace the still-valid entry it was refreshing.
        .then((outcome) => this.#store(key, outcome, !refresh || outcome.ok))
        .finally(() => this.#inFlight.delete(key));
      this.#inFlight.set(key, shared);
    }
    return shared;
  }

  async #withLimits(run: () => Promise<ResolutionOutcome>): Promise<ResolutionOutcome> {
    if (this.#active >= this.#deps.options.maxConcurrentResolutions) {
      throw new TemporarilyUnavailableError('too many resolutions are in progress; retry shortly', {
        reason: 'overloaded',
      });
    }
    this.#active++;
    try {
      return await run();
    } finally {
      this.#active--;
    }
  }

  async #run(
    subject: string,
    anchors: readonly TrustAnchor[],
    mode: {
      readonly exhaustive: boolean;
      readonly refresh: boolean;
      readonly prefetchIssuers: boolean;
    },
  ): Promise<ResolutionOutcome> {
    const started = performance.now();
    const signal = AbortSignal.timeout(this.#deps.options.resolutionTimeoutMs);
    // Every concurrent fetch of the resolution listens to this one signal.
    setMaxListeners(1000, signal);
    const outcome = await this.#deps.resolver.resolve({
      subject,
      trustAnchors: anchors,
      now: this.#deps.clock.now(),
      signal,
      exhaustive: mode.exhaustive,
      refresh: mode.refresh,
      // The chains of mark issuers resolve while the subject's superiors are discovered.
      ...(mode.prefetchIssuers && this.#deps.trustMarks !== undefined
        ? {
            onSubjectConfiguration: (configuration: DecodedEntityStatement) =>
              this.#prefetchIssuers(configuration, anchors),
          }
        : {}),
    });
    const label = outcome.ok ? 'resolved' : outcome.error.code;
    this.#deps.metrics?.resolutions.inc({ outcome: label });
    this.#deps.metrics?.resolutionSeconds.observe(
      { outcome: label },
      (performance.now() - started) / 1000,
    );
    if (!outcome.ok) {
      const log = outcome.error.code === 'server_error' ? 'error' : 'info';
      this.#deps.logger?.[log]({ subject, error: outcome.error.toDetail() }, 'resolution failed');
    }
    return outcome;
  }

  #store(key: string, outcome: ResolutionOutcome, cache: boolean): Entry {
    const now = this.#deps.clock.now();
    // §10.4: a chain is good until its exp; §10.5: failures may be transient, so cache briefly.
    const expiresAt = outcome.ok ? outcome.chain.exp : now + this.#deps.options.negativeTtlSeconds;
    const entry: Entry = { outcome, resolvedAt: now, expiresAt, refreshing: false };
    const ttlMs = Math.floor((expiresAt - now) * 1000);
    if (cache && ttlMs > 0) this.#entries.set(key, entry, { ttl: ttlMs });
    return entry;
  }

  /** Starts a background refresh when a hot entry is served close to its expiry. */
  #maybeRefresh(
    key: string,
    subject: string,
    anchors: readonly TrustAnchor[],
    entry: Entry,
    now: number,
  ): void {
    if (!entry.outcome.ok || entry.refreshing) return;
    const lifetime = entry.expiresAt - entry.resolvedAt;
    const window = Math.min(this.#deps.options.refreshAheadSeconds, lifetime / 4);
    if (entry.expiresAt - now > window) return;
    entry.refreshing = true;
    this.#resolveShared(key, subject, anchors, { refresh: true, prefetchIssuers: true })
      .then((fresh) => {
        // A failed refresh keeps serving the still-valid entry until its own exp.
        if (!fresh.outcome.ok) entry.refreshing = false;
      })
      .catch((error: unknown) => {
        entry.refreshing = false;
        this.#deps.logger?.warn(
          { subject, err: error instanceof FederationError ? error.toDetail() : String(error) },
          'refresh failed',
        );
      });
  }
}
