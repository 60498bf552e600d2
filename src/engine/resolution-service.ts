/**
 * Resolution with caching (§10.2, §10.4, §10.5): resolved chains are cached until the chain's
 * `exp` and refreshed in the background shortly before; failures are cached briefly, as their
 * reason only; concurrent resolutions of the same query share one resolution; cold resolutions
 * are bounded in number and time. The engine orchestrates what depends on a resolution: the
 * chains of the subject's trust mark issuers start as soon as the subject's configuration has
 * passed its checks, and the statements the resolver rejected are dropped from the statement
 * cache in one place.
 */
import { setMaxListeners } from 'node:events';
import {
  InvalidTrustAnchorError,
  NotFoundError,
  errorFromDetail,
  readFailureDetail,
  toFederationError,
  type FailureDetail,
} from '../federation/errors.js';
import { getOwn, parseJsonObject } from '../federation/json.js';
import type { Clock } from '../federation/ports.js';
import type { ResolutionOutcome, TrustChainResolver } from '../federation/resolver.js';
import type {
  DecodedEntityStatement,
  ResolutionQuery,
  ResolvedTrustChain,
  TrustAnchor,
} from '../federation/types.js';
import { INTERNAL_CALLER, type Admission, type Caller } from './admission.js';
import { Coalescer } from './coalescer.js';
import type {
  CacheTier,
  EngineMetrics,
  Logger,
  ResolutionRunner,
  SharedStore,
  TrustAnchorSource,
} from './ports.js';
import { resolutionKey, resolvedEntrySize, RetainedStatements } from './query.js';
import type { CachingStatementSource } from './statement-cache.js';
import type { IssuerResolver, TrustMarkReport, TrustMarkService } from './trust-mark-service.js';

/** A resolved subject as served: the chain, its verified trust marks, and how it was obtained. */
export interface ServedResolution {
  readonly chain: ResolvedTrustChain;
  /** The subject's trust marks under the chosen anchor, when marks are evaluated. */
  readonly trustMarks?: TrustMarkReport;
  /** True when answered from the resolution cache. */
  readonly cached: boolean;
  /** When the resolution was computed (seconds). */
  readonly resolvedAt: number;
  /** Identifies this content (chain and trust mark report): equal ids, equal signed responses. */
  readonly contentId: string;
}

/** A fresh, exhaustive resolution for diagnostics. */
export interface ExplainedResolution {
  readonly outcome: ResolutionOutcome;
  /** The configured anchors among those requested, in the caller's order. */
  readonly trustAnchorsUsed: readonly string[];
  readonly trustMarks?: TrustMarkReport;
}

/** Settings of {@link ResolutionService}. */
export interface ResolutionServiceOptions {
  readonly resolutionTimeoutMs: number;
  /** How long a failure is served again from cache. */
  readonly negativeTtlSeconds: number;
  /** How long a failure that a retry may cure (§10.5) is served again, at most. */
  readonly transientTtlSeconds: number;
  readonly refreshAheadSeconds: number;
}

/** A cached resolution: a chain, or the reason there is none. */
export interface ResolutionEntry {
  readonly id: string;
  readonly result:
    | { readonly ok: true; readonly chain: ResolvedTrustChain }
    | { readonly ok: false; readonly failure: FailureDetail };
  readonly resolvedAt: number;
  /** Seconds since the epoch after which the entry must not be served. */
  readonly expiresAt: number;
  /** A background refresh is running. */
  refreshing: boolean;
  /** Trust marks of the resolved subject, evaluated on first use and again when they run out. */
  marks?: {
    readonly report: Promise<TrustMarkReport>;
    readonly version: number;
    validUntil: number;
    readonly since: number;
    refreshing: boolean;
  };
}

/** Dependencies of {@link ResolutionService}. */
export interface ResolutionServiceDependencies {
  readonly resolver: TrustChainResolver;
  /** Where cold resolutions run when not on this event loop (RESOLUTION_WORKERS). */
  readonly runner?: ResolutionRunner;
  readonly anchors: TrustAnchorSource;
  /** Successful resolutions. */
  readonly resolved: CacheTier<ResolutionEntry>;
  /** Failed resolutions, in their own budget so failures can never evict a working entry. */
  readonly failed: CacheTier<ResolutionEntry>;
  readonly clock: Clock;
  readonly options: ResolutionServiceOptions;
  /** Budgets per client and fair shares of the cold-resolution slots. */
  readonly admission: Admission;
  /**
   * The statement cache, told to forget the statements a resolution rejected; also where a
   * self-signed configuration is fetched from.
   */
  readonly statements?: Pick<CachingStatementSource, 'discard' | 'fetchEntityConfiguration'>;
  /** Evaluates trust marks of resolved subjects; without it no marks are reported. */
  readonly trustMarks?: TrustMarkService;
  readonly metrics?: EngineMetrics;
  readonly logger?: Logger;
  /**
   * The tier shared by every replica (Redis): resolutions are stored there as their chain's
   * JWTs and re-validated against this replica's pinned anchors when read; concurrent misses of
   * one resolution across replicas are computed once.
   */
  readonly shared?: SharedStore;
}

/** The shared-tier key of a resolution: the subject and the anchors' identifiers, in order. */
function sharedResolutionKey(subject: string, anchors: readonly TrustAnchor[]): string {
  return `r:${JSON.stringify([subject, anchors.map((anchor) => anchor.entity_id)])}`;
}

/**
 * §10.4 leaves refreshing before expiry to local choice: an entry valid from `since` to `until`
 * is refreshed in its last `refreshAheadSeconds`, but never in more than its last quarter.
 */
export function isRefreshDue(
  since: number,
  until: number,
  now: number,
  refreshAheadSeconds: number,
): boolean {
  return until - now <= Math.min(refreshAheadSeconds, (until - since) / 4);
}

let entryCounter = 0;

/** §18.1: a subject this caller is answered about from cache only, and that is not cached. */
export function notInView(subject: string): NotFoundError {
  return new NotFoundError(
    `${subject} is not in this resolver's view of the federation: no crawl found it and no earlier resolution is cached, and this caller is answered from cache only (RESOLVE_LIVE)`,
    { reason: 'not_in_view', section: '§18.1' },
  );
}

/** How many tolerated statements are remembered as logged before the memory starts over. */
const TOLERANCE_LOG_MEMORY = 10_000;

/** Resolves queries through the core resolver with a resolution cache in front. */
export class ResolutionService {
  readonly #deps: ResolutionServiceDependencies;
  readonly #inFlight = new Coalescer<ResolutionEntry>();
  /** What cached resolutions keep of their chains, superiors' statements held once. */
  readonly #retained = new RetainedStatements();
  /** Tolerated statements already logged (see #reportTolerances). */
  readonly #toleranceLog = new Set<string>();

  constructor(deps: ResolutionServiceDependencies) {
    this.#deps = deps;
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

  /**
   * Resolves `query`, from the cache when a valid entry exists, with its verified trust marks.
   * A cold resolution is charged to `caller`'s budget. Throws the resolution's error when there
   * is no valid chain.
   */
  async resolve(
    query: ResolutionQuery,
    caller: Caller = INTERNAL_CALLER,
    mode: { readonly live?: boolean } = {},
  ): Promise<ServedResolution> {
    const anchors = this.configuredAnchors(query.trustAnchors);
    const { entry, cached } = await this.#entry(
      query.subject,
      anchors,
      true,
      caller,
      mode.live ?? true,
    );
    if (!entry.result.ok) throw errorFromDetail(entry.result.failure);
    const marks = this.#trustMarks(entry, entry.result.chain);
    const trustMarks = marks === undefined ? undefined : await marks.report;
    return {
      chain: entry.result.chain,
      cached,
      resolvedAt: entry.resolvedAt,
      contentId: `${entry.id}.${marks?.version ?? 0}`,
      ...(trustMarks === undefined ? {} : { trustMarks }),
    };
  }

  /** Whether a resolution of `query` is cached here or in the shared tier (valid or failed). */
  async isKnown(query: ResolutionQuery): Promise<boolean> {
    const anchors = this.configuredAnchors(query.trustAnchors);
    const key = resolutionKey(this.#deps.anchors.version, query.subject, anchors);
    const now = this.#deps.clock.now();
    const cached = (await this.#deps.resolved.get(key)) ?? (await this.#deps.failed.get(key));
    if (cached !== undefined && cached.expiresAt > now) return true;
    return (await this.#fromShared(key, query.subject, anchors)) !== undefined;
  }

  /**
   * A fresh, exhaustive resolution for diagnostics: every candidate chain is validated and every
   * trust mark reported. Statement caches still apply (the trace says which fetches were cache
   * hits); the result is not cached.
   */
  async explain(
    query: ResolutionQuery,
    caller: Caller = INTERNAL_CALLER,
  ): Promise<ExplainedResolution> {
    const anchors = this.configuredAnchors(query.trustAnchors);
    // An explanation always resolves afresh, so it is always charged.
    this.#charge(caller);
    const outcome = await this.#withSlot(caller, () =>
      this.#run(query.subject, anchors, {
        exhaustive: true,
        refresh: false,
        prefetchIssuers: true,
      }),
    );
    const trustAnchorsUsed = anchors.map((anchor) => anchor.entity_id);
    if (!outcome.ok || this.#deps.trustMarks === undefined) return { outcome, trustAnchorsUsed };
    return {
      outcome,
      trustAnchorsUsed,
      trustMarks: await this.#deps.trustMarks.evaluate(outcome.chain, this.#resolveIssuer),
    };
  }

  /**
   * The Entity Configuration of `entityId`, checked as a Trust Anchor's would be (§3.2: typ, alg,
   * kid, claims, time window) but with its own `jwks` in place of pinned keys: what an operator
   * looks at before pinning an anchor (§11.3). Proves only that the statement is self-consistent.
   */
  async selfSignedConfiguration(entityId: string): Promise<ResolvedTrustChain> {
    const { statements, resolver, clock } = this.#deps;
    if (statements === undefined) throw new Error('no statement source to fetch from');
    // What the entity serves now, never a cached copy: it is about to be pinned.
    const fetched = await statements.fetchEntityConfiguration(entityId, { refresh: true });
    const chain = await resolver.selfSigned(fetched.jwt, clock.now());
    if (chain.subject !== entityId) {
      throw new NotFoundError(`${fetched.url} serves the configuration of ${chain.subject}`, {
        reason: 'subject_mismatch',
        section: '§9',
        url: fetched.url,
      });
    }
    return chain;
  }

  /** The cache entry of a query: a valid cached one, or a new (shared) resolution. */
  async #entry(
    subject: string,
    anchors: readonly TrustAnchor[],
    prefetchIssuers: boolean,
    caller: Caller,
    live = true,
  ): Promise<{ entry: ResolutionEntry; cached: boolean }> {
    const { clock, metrics } = this.#deps;
    const key = resolutionKey(this.#deps.anchors.version, subject, anchors);
    const now = clock.now();
    const cached = (await this.#deps.resolved.get(key)) ?? (await this.#deps.failed.get(key));
    if (cached !== undefined && cached.expiresAt > now) {
      metrics?.cacheLookup('resolutions', true);
      metrics?.resolution('cached');
      this.#maybeRefresh(key, subject, anchors, cached, now);
      return { entry: cached, cached: true };
    }
    const fromShared = await this.#fromShared(key, subject, anchors);
    if (fromShared !== undefined) {
      metrics?.cacheLookup('resolutions', true);
      metrics?.resolution('cached');
      return { entry: fromShared, cached: true };
    }
    metrics?.cacheLookup('resolutions', false);
    if (!live) {
      // §18.1: answered from cache only; nothing unknown costs an upstream request.
      metrics?.resolution('not_in_view');
      throw notInView(subject);
    }
    // Joining a resolution already running costs no upstream work, so it is not charged.
    if (!this.#inFlight.has(key)) this.#charge(caller);
    return {
      entry: await this.#resolveShared(key, subject, anchors, {
        refresh: false,
        prefetchIssuers,
        caller,
      }),
      cached: false,
    };
  }

  /**
   * §7.3 step 0: a mark issuer's chain to the subject's Trust Anchor, through the same cache. Only
   * chains are resolved here, never the issuer's own marks, so marks cannot recurse.
   */
  readonly #resolveIssuer: IssuerResolver = async (issuer, trustAnchor) => {
    const { entry } = await this.#entry(
      issuer,
      this.configuredAnchors([trustAnchor]),
      false,
      INTERNAL_CALLER,
    );
    if (!entry.result.ok) throw errorFromDetail(entry.result.failure);
    return entry.result.chain;
  };

  /** Starts resolving the chains of a subject's mark issuers (errors surface at evaluation). */
  #prefetchIssuers(configuration: DecodedEntityStatement, anchors: readonly TrustAnchor[]): void {
    // Only towards the preferred anchor, and only while resolution slots are plentiful: an early
    // start must never push callers into 503 overloaded. Evaluation resolves whatever is missing.
    const anchor = anchors[0];
    if (anchor === undefined) return;
    const { admission } = this.#deps;
    for (const issuer of this.#deps.trustMarks?.issuersOf(configuration) ?? []) {
      if (admission.waiting > 0 || admission.active >= admission.slots / 2) return;
      this.#entry(issuer, [anchor], false, INTERNAL_CALLER).catch(() => undefined);
    }
  }

  /**
   * The trust mark report of a resolved entry: computed once, recomputed in the background
   * shortly before it runs out (the current one is served meanwhile), and recomputed on the
   * request path only once it has run out, so no mark is ever served past its validity.
   */
  #trustMarks(
    entry: ResolutionEntry,
    chain: ResolvedTrustChain,
  ): NonNullable<ResolutionEntry['marks']> | undefined {
    const service = this.#deps.trustMarks;
    if (service === undefined) return undefined;
    const now = this.#deps.clock.now();
    const evaluate = (freshStatus: boolean, version: number) => {
      const memo: NonNullable<ResolutionEntry['marks']> = {
        report: service.evaluate(chain, this.#resolveIssuer, { freshStatus }),
        version,
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
      entry.marks = evaluate(false, (current?.version ?? 0) + 1);
      return entry.marks;
    }
    const { refreshAheadSeconds } = this.#deps.options;
    if (
      !current.refreshing &&
      isRefreshDue(current.since, current.validUntil, now, refreshAheadSeconds)
    ) {
      current.refreshing = true;
      const next = evaluate(true, current.version + 1);
      next.report.then(
        () => (entry.marks = next),
        () => (current.refreshing = false),
      );
    }
    return current;
  }

  #resolveShared(
    key: string,
    subject: string,
    anchors: readonly TrustAnchor[],
    mode: { readonly refresh: boolean; readonly prefetchIssuers: boolean; readonly caller: Caller },
  ): Promise<ResolutionEntry> {
    return this.#inFlight.run(key, async () => {
      const { shared, options } = this.#deps;
      const sharedKey = sharedResolutionKey(subject, anchors);
      // Across replicas: one resolves, the others wait for its result (or, after the wait,
      // resolve themselves). A lease lost to a Redis failover costs a duplicate resolution only.
      let leased = false;
      if (shared !== undefined && shared.state === 'up' && !mode.refresh) {
        leased = await shared.lease(sharedKey, options.resolutionTimeoutMs);
        if (!leased) await shared.awaitRelease(sharedKey, options.resolutionTimeoutMs);
        // Stored by the replica that held the lease, or by one that released it between this
        // replica's miss and its lease.
        const done = await this.#fromShared(key, subject, anchors);
        if (done !== undefined) {
          if (leased) await shared.release(sharedKey);
          return done;
        }
      }
      try {
        const outcome = await this.#withSlot(mode.caller, () =>
          this.#run(subject, anchors, { ...mode, exhaustive: false }),
        );
        // A failed refresh must not replace the still-valid entry it was refreshing.
        return await this.#store(key, outcome, !mode.refresh || outcome.ok, sharedKey);
      } finally {
        if (leased) await shared?.release(sharedKey);
      }
    });
  }

  /**
   * A resolution another replica stored in the shared tier, re-validated against this
   * replica's own pinned anchors without any network request (§10.2) and then kept in the
   * process tier. Whatever does not validate, or names another subject or anchor, is dropped
   * from the shared tier, counted and logged: the subject is then resolved from upstream.
   */
  async #fromShared(
    key: string,
    subject: string,
    anchors: readonly TrustAnchor[],
  ): Promise<ResolutionEntry | undefined> {
    const { shared, clock, options, resolver } = this.#deps;
    if (shared === undefined) return undefined;
    const sharedKey = sharedResolutionKey(subject, anchors);
    const raw = await shared.get(sharedKey);
    this.#deps.metrics?.cacheLookup('shared_resolutions', raw !== undefined);
    if (raw === undefined) return undefined;
    const now = clock.now();
    let entry: ResolutionEntry | undefined;
    let why = 'it is not a stored resolution';
    try {
      const parsed = parseJsonObject(raw) ?? {};
      const jwts = getOwn(parsed, 'jwts');
      const failure = readFailureDetail(getOwn(parsed, 'failure'));
      const storedAt = getOwn(parsed, 'resolvedAt');
      const resolvedAt = typeof storedAt === 'number' ? Math.min(storedAt, now) : now;
      if (Array.isArray(jwts) && jwts.every((jwt) => typeof jwt === 'string')) {
        const chain = await resolver.revalidate(jwts, anchors, now);
        if (chain.subject !== subject) why = `its chain is about ${chain.subject}`;
        else
          entry = this.#entryOf(
            { ok: true, chain: this.#retained.chain(chain) },
            resolvedAt,
            chain.exp,
          );
      } else if (failure !== undefined) {
        const until = getOwn(parsed, 'expiresAt');
        const ttl =
          failure.code === 'temporarily_unavailable'
            ? Math.min(options.negativeTtlSeconds, options.transientTtlSeconds)
            : options.negativeTtlSeconds;
        // A failure is held no longer than this replica would hold its own.
        const expiresAt = Math.min(typeof until === 'number' ? until : now, now + ttl);
        if (expiresAt > now) entry = this.#entryOf({ ok: false, failure }, resolvedAt, expiresAt);
        else return undefined;
      }
    } catch (error) {
      why = `its chain does not validate: ${toFederationError(error).message}`;
    }
    if (entry === undefined) {
      await this.#dropShared(sharedKey, 'resolution', why);
      return undefined;
    }
    await this.#keepLocally(key, entry);
    return entry;
  }

  /** Drops an entry of the shared tier that this replica will not vouch for. */
  async #dropShared(sharedKey: string, kind: string, why: string): Promise<void> {
    this.#deps.metrics?.sharedRejected(kind);
    this.#deps.logger?.warn({ key: sharedKey, kind, why }, 'shared cache entry rejected');
    await this.#deps.shared?.delete([sharedKey]);
  }

  #entryOf(
    result: ResolutionEntry['result'],
    resolvedAt: number,
    expiresAt: number,
  ): ResolutionEntry {
    return { id: (++entryCounter).toString(36), result, resolvedAt, expiresAt, refreshing: false };
  }

  /** Puts an entry into the process tier for what is left of its life. */
  async #keepLocally(key: string, entry: ResolutionEntry): Promise<void> {
    const ttlMs = Math.floor((entry.expiresAt - this.#deps.clock.now()) * 1000);
    if (ttlMs <= 0) return;
    const sizeBytes = resolvedEntrySize(key, entry);
    if (entry.result.ok) {
      await this.#deps.resolved.set(key, entry, { ttlMs, sizeBytes });
      await this.#deps.failed.delete(key);
    } else {
      await this.#deps.failed.set(key, entry, { ttlMs, sizeBytes });
    }
  }

  /**
   * The chain of an entity whose subordinates are about to be resolved (a crawled intermediate):
   * the resolution runners hold its statements, so none of them fetches them again.
   */
  holdForSubordinates(chain: ResolvedTrustChain): void {
    this.#deps.runner?.hold(chain.statements);
  }

  /**
   * Forgets, in the process tiers only, the resolutions of `entity` and every resolution whose
   * chain contains it (every resolution when undefined); resolves with how many.
   */
  async purgeLocal(entity: string | undefined): Promise<number> {
    const match = (_key: string, entry: ResolutionEntry) =>
      entity === undefined ||
      (entry.result.ok
        ? entry.result.chain.path.includes(entity)
        : entry.result.failure.sub === entity || this.#subjectOf(_key) === entity);
    const [resolved, failed] = await Promise.all([
      this.#deps.resolved.deleteWhere(match),
      this.#deps.failed.deleteWhere(match),
    ]);
    return resolved + failed;
  }

  #subjectOf(key: string): string | undefined {
    const parsed: unknown = JSON.parse(key);
    return Array.isArray(parsed) && typeof parsed[1] === 'string' ? parsed[1] : undefined;
  }

  /** Charges a new resolution to `caller`'s budget; a refusal is counted as `rate_limited`. */
  #charge(caller: Caller): void {
    try {
      this.#deps.admission.charge(caller);
    } catch (error) {
      this.#deps.metrics?.resolution('rate_limited');
      throw error;
    }
  }

  /** Runs `work` in a fair share of the cold-resolution slots. */
  async #withSlot(
    caller: Caller,
    work: () => Promise<ResolutionOutcome>,
  ): Promise<ResolutionOutcome> {
    const release = await this.#deps.admission.acquire(caller);
    try {
      return await work();
    } finally {
      release();
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
    const { clock, metrics, logger, options, trustMarks } = this.#deps;
    const resolver = this.#deps.runner ?? this.#deps.resolver;
    const started = clock.now();
    const signal = AbortSignal.timeout(options.resolutionTimeoutMs);
    // Every concurrent fetch of the resolution listens to this one signal.
    setMaxListeners(1000, signal);
    const run = resolver.start(
      { subject, trustAnchors: anchors.map((anchor) => anchor.entity_id) },
      {
        trustAnchors: anchors,
        now: started,
        signal,
        exhaustive: mode.exhaustive,
        refresh: mode.refresh,
      },
    );
    // The chains of mark issuers resolve while the subject's superiors are discovered.
    if (mode.prefetchIssuers && trustMarks !== undefined) {
      void run.subjectConfiguration.then((configuration) => {
        if (configuration !== undefined) this.#prefetchIssuers(configuration, anchors);
      });
    }
    let outcome = await run.outcome;
    if (outcome.rejected.length > 0) {
      const tampered = (await this.#deps.statements?.discard(outcome.rejected)) ?? [];
      if (tampered.length > 0) {
        // Statements read from the shared tier that did not validate: whoever wrote them there,
        // they are gone now, and the subject is resolved again from upstream.
        for (const url of tampered) {
          this.#deps.metrics?.sharedRejected('statement');
          logger?.warn({ subject, url }, 'shared cache statement rejected; fetching it again');
        }
        outcome = await resolver.start(
          { subject, trustAnchors: anchors.map((anchor) => anchor.entity_id) },
          {
            trustAnchors: anchors,
            now: clock.now(),
            signal,
            exhaustive: mode.exhaustive,
            refresh: mode.refresh,
          },
        ).outcome;
        if (outcome.rejected.length > 0) await this.#deps.statements?.discard(outcome.rejected);
      }
    }
    const label = outcome.ok ? 'resolved' : outcome.error.code;
    metrics?.resolution(label, clock.now() - started);
    this.#reportTolerances(subject, outcome);
    if (!outcome.ok) {
      const level = outcome.error.code === 'server_error' ? 'error' : 'info';
      logger?.[level]({ subject, error: outcome.error.toDetail() }, 'resolution failed');
    }
    return outcome;
  }

  /**
   * Every use of a tolerance is reported: the chosen chain's in a metric, once per computed
   * resolution; each tolerated statement of any branch in the log, once per statement and
   * tolerance (a bounded memory, so a busy resolver does not repeat itself).
   */
  #reportTolerances(subject: string, outcome: ResolutionOutcome): void {
    if (outcome.ok && outcome.chain.tolerated !== undefined) {
      const names = new Set(outcome.chain.tolerated.map((use) => use.tolerance));
      for (const name of names) this.#deps.metrics?.toleranceUsed(name);
    }
    for (const branch of outcome.trace.branches) {
      for (const use of branch.tolerated ?? []) {
        const statement = branch.path.slice(use.statementIndex, use.statementIndex + 2).join(' > ');
        const key = `${use.tolerance}\n${use.url ?? statement}`;
        if (this.#toleranceLog.has(key)) continue;
        if (this.#toleranceLog.size >= TOLERANCE_LOG_MEMORY) this.#toleranceLog.clear();
        this.#toleranceLog.add(key);
        this.#deps.logger?.info(
          {
            subject,
            tolerance: use.tolerance,
            section: use.section,
            statement_index: use.statementIndex,
            ...(use.url === undefined ? {} : { url: use.url }),
          },
          `tolerated: ${use.message}`,
        );
      }
    }
  }

  async #store(
    key: string,
    outcome: ResolutionOutcome,
    cache: boolean,
    sharedKey?: string,
  ): Promise<ResolutionEntry> {
    const now = this.#deps.clock.now();
    const { negativeTtlSeconds, transientTtlSeconds } = this.#deps.options;
    // §10.4: a chain is good until its exp; §10.5: failures may be transient, so they are kept
    // briefly, and those a retry may cure more briefly still.
    const expiresAt = outcome.ok
      ? outcome.chain.exp
      : now +
        (outcome.error.code === 'temporarily_unavailable'
          ? Math.min(negativeTtlSeconds, transientTtlSeconds)
          : negativeTtlSeconds);
    const entry: ResolutionEntry = {
      id: (++entryCounter).toString(36),
      result: outcome.ok
        ? { ok: true, chain: this.#retained.chain(outcome.chain) }
        : { ok: false, failure: outcome.error.toDetail() },
      resolvedAt: now,
      expiresAt,
      refreshing: false,
    };
    const ttlMs = Math.floor((expiresAt - now) * 1000);
    if (cache && ttlMs > 0) {
      const sizeBytes = resolvedEntrySize(key, entry);
      if (outcome.ok) {
        await this.#deps.resolved.set(key, entry, { ttlMs, sizeBytes });
        await this.#deps.failed.delete(key);
      } else {
        await this.#deps.failed.set(key, entry, { ttlMs, sizeBytes });
      }
      if (sharedKey !== undefined) await this.#share(sharedKey, outcome, entry, ttlMs);
    }
    return entry;
  }

  /** Stores a resolution in the shared tier: a chain as its JWTs, a failure as its reason. */
  async #share(
    sharedKey: string,
    outcome: ResolutionOutcome,
    entry: ResolutionEntry,
    ttlMs: number,
  ): Promise<void> {
    const { shared } = this.#deps;
    if (shared === undefined) return;
    const value = outcome.ok
      ? { jwts: outcome.chain.statements.map((s) => s.jwt), resolvedAt: entry.resolvedAt }
      : {
          failure: outcome.error.toDetail(),
          resolvedAt: entry.resolvedAt,
          expiresAt: entry.expiresAt,
        };
    const entities = outcome.ok ? outcome.chain.path : [outcome.trace.subject];
    await shared.set(sharedKey, JSON.stringify(value), ttlMs, entities);
  }

  /** Starts a background refresh when a hot entry is served close to its expiry. */
  #maybeRefresh(
    key: string,
    subject: string,
    anchors: readonly TrustAnchor[],
    entry: ResolutionEntry,
    now: number,
  ): void {
    if (!entry.result.ok || entry.refreshing) return;
    if (
      !isRefreshDue(entry.resolvedAt, entry.expiresAt, now, this.#deps.options.refreshAheadSeconds)
    ) {
      return;
    }
    entry.refreshing = true;
    this.#resolveShared(key, subject, anchors, {
      refresh: true,
      prefetchIssuers: true,
      caller: INTERNAL_CALLER,
    })
      .then((fresh) => {
        // A failed refresh keeps serving the still-valid entry until its own exp.
        if (!fresh.result.ok) entry.refreshing = false;
      })
      .catch((error: unknown) => {
        entry.refreshing = false;
        this.#deps.logger?.warn(
          { subject, err: toFederationError(error).toDetail() },
          'refresh failed',
        );
      });
  }
}
