/**
 * The composition root: the only module that picks adapters and registers anything in the
 * tsyringe container. Every dependency is built by a factory from explicit tokens; tests replace
 * the clock, the logger, the upstream sources, the signer and the cache tiers through
 * {@link ContainerOverrides}, and a test resolves every token of the graph.
 */
// tsyringe checks for a Reflect metadata polyfill when it is imported, although no decorator is
// used here (docs/decisions.md).
import 'reflect-metadata';
import {
  container as rootContainer,
  instanceCachingFactory,
  type DependencyContainer,
} from 'tsyringe';
import { DEFAULT_CRAWL_SETTINGS, type Config } from './config/config.js';
import {
  Admission,
  CachingStatementSource,
  ClientAuthenticator,
  Crawler,
  ResolutionService,
  ResolverEngine,
  ResolverIdentity,
  TrustMarkService,
  type CacheTier,
  type CachedStatement,
  type ResolutionEntry,
  type StatusAnswer,
  type SubordinateListingSource,
  type TrustMarkStatusSource,
} from './engine/index.js';
import {
  TrustChainResolver,
  type Clock,
  type Signer,
  type StatementSource,
} from './federation/index.js';
import { MemoryDecodedStatementCache } from './infrastructure/cache/decoded-statement-cache.js';
import { MemoryTier } from './infrastructure/cache/memory-tier.js';
import { MemoryVerificationCache } from './infrastructure/cache/verification-cache.js';
import { systemClock } from './infrastructure/clock.js';
import { HttpFetcher } from './infrastructure/http/index.js';
import { NodeSignatureVerifier } from './infrastructure/keys/node-signature-verifier.js';
import { JwksSigner } from './infrastructure/keys/signing-keys.js';
import { createLogger, type Logger } from './infrastructure/logger.js';
import { Metrics } from './infrastructure/metrics.js';
import { RedisStore } from './infrastructure/cache/redis-store.js';
import { HttpListingSource } from './infrastructure/statements/http-listing-source.js';
import { HttpStatementSource } from './infrastructure/statements/http-statement-source.js';
import { TrustAnchorStore } from './infrastructure/trust-anchors/trust-anchor-store.js';
import { ResolutionWorkers } from './infrastructure/workers/resolution-workers.js';
import { HttpTrustMarkStatusSource } from './infrastructure/trust-marks/http-status-source.js';
import { TOKENS } from './tokens.js';

/** The product's User-Agent on every outbound request. */
export const USER_AGENT = 'federation-resolver/0.1 (+OpenID Federation 1.0 resolver)';

/** The cache tiers of one service. */
export interface CacheTiers {
  readonly statements: CacheTier<CachedStatement>;
  readonly resolved: CacheTier<ResolutionEntry>;
  readonly failed: CacheTier<ResolutionEntry>;
  readonly trustMarkStatus: CacheTier<StatusAnswer>;
  readonly responses: CacheTier<string>;
}

/** Parts of the default wiring a caller may replace (tests, benchmarks, other front doors). */
export interface ContainerOverrides {
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Where statements come from instead of HTTP (an in-memory federation, for example). */
  readonly statementSource?: StatementSource;
  /** Where Subordinate Listings come from instead of HTTP. */
  readonly listingSource?: SubordinateListingSource;
  /** Where Trust Mark Status answers come from instead of HTTP. */
  readonly trustMarkStatusSource?: TrustMarkStatusSource;
  /** Cache tiers instead of the in-memory ones. */
  readonly cacheTiers?: Partial<CacheTiers>;
  /** The resolver's signing keys instead of RESOLVER_KEYS_FILE or an ephemeral key. */
  readonly signer?: Signer;
  /** Log lines to stderr instead of stdout (a command line whose stdout is its answer). */
  readonly logToStderr?: boolean;
}

/** The shared tier of a service, when REDIS_URL or REDIS_SENTINELS configure one. */
export interface SharedTier {
  readonly store: RedisStore | undefined;
}

/** What a resolution worker (src/resolution-worker.ts) is started with. */
export interface WorkerSettings {
  /** The service's settings, with the worker's own cache budget and no shared tier or crawl. */
  readonly config: Config;
  /** Log to stderr instead of stdout, as the service does (a command line). */
  readonly logToStderr: boolean;
}

/** The resolution workers of a service, when RESOLUTION_WORKERS starts some. */
export interface WorkerPool {
  readonly pool: ResolutionWorkers | undefined;
}

/** Most keys kept imported; a federation has a few per entity. */
const KEY_CACHE_ENTRIES = 1000;

/** Most statements kept decoded: those of superiors, which every resolution below them meets. */
const DECODED_STATEMENT_ENTRIES = 1000;

/**
 * How CACHE_MAX_BYTES is shared among the caches (the fractions sum to 1). Statements and
 * resolved chains hold most; failures have their own small share, so a flood of failing subjects
 * can never evict a working entry.
 */
export const CACHE_SHARES = {
  statements: 0.33,
  decodedStatements: 0.02,
  resolved: 0.3,
  failed: 0.05,
  responses: 0.15,
  trustMarkStatus: 0.03,
  signatures: 0.06,
  keys: 0.06,
} as const;

/** Bytes per MiB. */
const MIB = 1024 * 1024;

/**
 * The resolution workers RESOLUTION_WORKERS asks for. Each is charged a quarter of
 * CACHE_MAX_BYTES divided among them, holds no shared tier (the service shares what it
 * resolves) and has a heap bound; statements from an in-process source (tests) cannot reach
 * another thread, so with one the service resolves on its own thread.
 */
function resolutionWorkers(
  config: Config,
  overrides: ContainerOverrides,
  logger: Logger,
  fallback: () => TrustChainResolver,
): WorkerPool {
  const count = config.resolutionWorkers;
  if (count === 0) return { pool: undefined };
  if (overrides.statementSource !== undefined) {
    logger.warn('RESOLUTION_WORKERS is ignored: statements come from an in-process source');
    return { pool: undefined };
  }
  const cacheMaxBytes = Math.max(MIB, Math.floor(config.cacheMaxBytes / (4 * count)));
  return {
    pool: new ResolutionWorkers({
      count,
      script: new URL('./resolution-worker.js', import.meta.url),
      workerData: {
        config: { ...config, cacheMaxBytes, redis: undefined, crawl: undefined },
        logToStderr: overrides.logToStderr === true,
      } satisfies WorkerSettings,
      timeoutMs: config.resolutionTimeoutMs,
      fallback: { start: (query, context) => fallback().start(query, context) },
      logger: logger.child({ component: 'resolution-workers' }),
      resourceLimits: { maxOldGenerationSizeMb: Math.ceil((2 * cacheMaxBytes) / MIB) + 256 },
    }),
  };
}

/** The statement caches a purge empties: the service's, and its workers' when it has some. */
function purgeableStatements(
  statements: CachingStatementSource,
  pool: ResolutionWorkers | undefined,
): Pick<CachingStatementSource, 'purgeLocal'> {
  if (pool === undefined) return statements;
  return {
    async purgeLocal(entity) {
      const [here, there] = await Promise.all([statements.purgeLocal(entity), pool.purge(entity)]);
      return here + there;
    },
  };
}

/**
 * Closes what a container holds open: upstream connections, resolution workers, the shared
 * tier. The service calls it once its requests have drained; a command line when it is done.
 */
export async function closeResources(container: DependencyContainer): Promise<void> {
  container.resolve(TOKENS.HttpFetcher).close();
  await container.resolve(TOKENS.ResolutionWorkers).pool?.close();
  await container.resolve(TOKENS.SharedTier).store?.close();
}

/** A registration built once per container, by `factory`. */
const singleton = <T>(factory: (c: DependencyContainer) => T) => ({
  useFactory: instanceCachingFactory(factory),
});

/** The cache builders of one service (or one resolution worker), charged to CACHE_MAX_BYTES. */
function cacheFactories(config: Config, metrics: Metrics) {
  const share = (part: keyof typeof CACHE_SHARES) =>
    Math.max(1024, Math.floor(config.cacheMaxBytes * CACHE_SHARES[part]));
  // The resolver's own: what it holds was decoded with the resolver's decode options.
  const decodedStatements = () => {
    const cache = new MemoryDecodedStatementCache(
      DECODED_STATEMENT_ENTRIES,
      share('decodedStatements'),
      (hit) => metrics.cacheLookup('decoded_statements', hit),
    );
    metrics.trackCacheSize(
      'decoded_statements',
      () => cache.size,
      () => cache.bytes,
    );
    return cache;
  };
  const memoryTier = <V extends NonNullable<unknown>>(
    name: Parameters<Metrics['trackCacheSize']>[0],
    maxEntries: number,
    part: keyof typeof CACHE_SHARES,
    scanResistant = false,
  ): CacheTier<V> => {
    const tier = new MemoryTier<V>({ maxEntries, maxBytes: share(part), scanResistant });
    metrics.trackCacheSize(
      name,
      () => tier.size,
      () => tier.bytes,
    );
    return tier;
  };
  return { share, decodedStatements, memoryTier };
}

/**
 * Registers the resolver core: the HTTP client, signature checks and their caches, the statement
 * cache and the TrustChainResolver. The service and each resolution worker build it alike.
 */
function registerResolverCore(
  container: DependencyContainer,
  config: Config,
  metrics: Metrics,
  logger: Logger,
  shared: SharedTier,
  overrides: ContainerOverrides,
): void {
  const { share, decodedStatements, memoryTier } = cacheFactories(config, metrics);
  container.register(
    TOKENS.HttpFetcher,
    singleton(
      () =>
        new HttpFetcher({
          userAgent: USER_AGENT,
          timeoutMs: config.fetchTimeoutMs,
          maxResponseBytes: config.maxResponseBytes,
          allowInsecureHttp: config.allowInsecureHttp,
          allowPrivateNetwork: config.allowPrivateNetwork,
          maxSockets: config.maxUpstreamConnectionsPerOrigin,
          queueTimeoutMs: config.fetchQueueTimeoutMs,
          breaker:
            config.circuitBreakerFailures === 0
              ? false
              : {
                  failureThreshold: config.circuitBreakerFailures,
                  openMs: config.circuitBreakerOpenSeconds * 1000,
                },
          onCircuitChange: (origin, state) => {
            metrics.circuitChange(state);
            logger.warn({ upstream: { origin }, state }, 'upstream circuit changed');
          },
        }),
    ),
  );
  container.register(
    TOKENS.SignatureVerifier,
    singleton(() => {
      const cache = new NodeSignatureVerifier(KEY_CACHE_ENTRIES, share('keys'));
      metrics.trackCacheSize(
        'keys',
        () => cache.size,
        () => cache.bytes,
      );
      return cache;
    }),
  );
  container.register(
    TOKENS.VerificationCache,
    singleton(() => {
      const cache = new MemoryVerificationCache(
        config.statementCacheMaxEntries,
        (hit) => metrics.cacheLookup('signatures', hit),
        share('signatures'),
      );
      metrics.trackCacheSize(
        'signatures',
        () => cache.size,
        () => cache.bytes,
      );
      return cache;
    }),
  );
  container.register(
    TOKENS.UpstreamStatementSource,
    singleton(
      (c) =>
        overrides.statementSource ??
        new HttpStatementSource(c.resolve(TOKENS.HttpFetcher), metrics),
    ),
  );
  container.register(
    TOKENS.StatementTier,
    singleton(
      () =>
        // A sweep (a crawl, a scan of many subjects) larger than the cache must not evict
        // everything just before it is asked for again: statements and chains are admitted by
        // frequency once the tier is full.
        overrides.cacheTiers?.statements ??
        memoryTier('statements', config.statementCacheMaxEntries, 'statements', true),
    ),
  );
  container.register(
    TOKENS.StatementCache,
    singleton(
      (c) =>
        new CachingStatementSource({
          upstream: c.resolve(TOKENS.UpstreamStatementSource),
          tier: c.resolve(TOKENS.StatementTier),
          clock: c.resolve(TOKENS.Clock),
          ...(shared.store === undefined
            ? {}
            : { shared: shared.store, sharedWaitMs: config.fetchTimeoutMs }),
          options: {
            maxTtlSeconds: config.statementCacheMaxTtlSeconds,
            negativeTtlSeconds: config.negativeCacheTtlSeconds,
            transientTtlSeconds: config.transientFailureTtlSeconds,
          },
          metrics,
        }),
    ),
  );
  container.register(
    TOKENS.TrustChainResolver,
    singleton(
      (c) =>
        new TrustChainResolver({
          source: c.resolve(TOKENS.StatementCache),
          clock: c.resolve(TOKENS.Clock),
          limits: {
            maxDepth: config.maxChainDepth,
            maxAuthorityHints: config.maxAuthorityHints,
            maxFetches: config.maxFetchesPerResolution,
          },
          validation: {
            allowHttp: config.allowInsecureHttp,
            allowedAlgorithms: config.signingAlgorithms,
            clockSkew: config.clockSkewSeconds,
            maxStatementLength: config.maxResponseBytes,
            // The subject's configuration, one statement per superior, the anchor's configuration.
            maxChainLength: config.maxChainDepth + 2,
            verifier: c.resolve(TOKENS.SignatureVerifier),
            verifiedSignatures: c.resolve(TOKENS.VerificationCache),
            tolerate: config.tolerate,
            decoded: decodedStatements(),
          },
        }),
    ),
  );
}

/**
 * Builds a child container holding one resolver service configured by `config`. Loads the trust
 * anchors and the signing keys, so a bad file fails here, at boot.
 */
export async function buildContainer(
  config: Config,
  overrides: ContainerOverrides = {},
): Promise<DependencyContainer> {
  const container = rootContainer.createChildContainer();
  const logger =
    overrides.logger ?? createLogger(config.logLevel, overrides.logToStderr === true ? 2 : 1);
  const anchors = new TrustAnchorStore(config.trustAnchorsDir, {
    allowHttp: config.allowInsecureHttp,
  });
  anchors.load();
  const signer =
    overrides.signer ??
    (config.keysFile === undefined
      ? await JwksSigner.ephemeral()
      : await JwksSigner.fromFile(config.keysFile));
  if (signer instanceof JwksSigner && signer.ephemeral) {
    logger.warn(
      'RESOLVER_KEYS_FILE is not set: signing with an ephemeral key that changes at every start',
    );
  }
  if (config.allowInsecureHttp)
    logger.warn('ALLOW_INSECURE_HTTP is on: http:// entities are accepted');
  if (config.allowPrivateNetwork)
    logger.warn('ALLOW_PRIVATE_NETWORK is on: fetches may reach private addresses');
  for (const deprecation of config.deprecations) logger.warn(deprecation);
  if (config.tolerate.length > 0)
    logger.info({ tolerate: config.tolerate }, 'tolerating deviations of deployed software');

  const metrics = new Metrics();
  const redis = config.redis;
  const shared: SharedTier = {
    store:
      redis === undefined
        ? undefined
        : new RedisStore({
            ...(redis.url === undefined ? {} : { url: redis.url }),
            ...(redis.sentinels === undefined ? {} : { sentinels: redis.sentinels }),
            sentinelName: redis.sentinelName,
            keyPrefix: redis.keyPrefix,
            timeoutMs: redis.timeoutMs,
            retrySeconds: redis.retrySeconds,
            logger: logger.child({ component: 'redis' }),
            onStateChange: (state) => metrics.sharedState(state),
          }),
  };
  if (shared.store !== undefined) {
    // A moment for the first connection, so the first requests already share; never fatal.
    await shared.store.connected(Math.max(1000, (redis?.timeoutMs ?? 0) * 10));
    metrics.sharedState(shared.store.state);
  }
  const { memoryTier } = cacheFactories(config, metrics);
  const tiers = overrides.cacheTiers ?? {};

  container.register(TOKENS.Config, { useValue: config });
  container.register(TOKENS.SharedTier, { useValue: shared });
  container.register(TOKENS.Logger, { useValue: logger });
  container.register(TOKENS.Clock, { useValue: overrides.clock ?? systemClock });
  container.register(TOKENS.Metrics, { useValue: metrics });
  container.register(TOKENS.Signer, { useValue: signer });
  container.register(TOKENS.TrustAnchorStore, { useValue: anchors });
  container.register(TOKENS.TrustAnchors, { useValue: anchors });
  registerResolverCore(container, config, metrics, logger, shared, overrides);
  const workers = resolutionWorkers(config, overrides, logger, () =>
    container.resolve(TOKENS.TrustChainResolver),
  );
  const pool = workers.pool;
  if (pool !== undefined) metrics.addSource(() => pool.metrics());
  container.register(TOKENS.ResolutionWorkers, { useValue: workers });
  container.register(
    TOKENS.TrustMarkStatusSource,
    singleton(
      (c) =>
        overrides.trustMarkStatusSource ??
        new HttpTrustMarkStatusSource(c.resolve(TOKENS.HttpFetcher)),
    ),
  );
  container.register(
    TOKENS.TrustMarkStatusTier,
    singleton(
      () =>
        tiers.trustMarkStatus ??
        memoryTier('trust_mark_status', config.statementCacheMaxEntries, 'trustMarkStatus'),
    ),
  );
  container.register(
    TOKENS.TrustMarkService,
    singleton(
      (c) =>
        new TrustMarkService({
          statusSource: c.resolve(TOKENS.TrustMarkStatusSource),
          statusTier: c.resolve(TOKENS.TrustMarkStatusTier),
          clock: c.resolve(TOKENS.Clock),
          metrics,
          ...(shared.store === undefined ? {} : { shared: shared.store }),
          options: {
            verification: {
              allowHttp: config.allowInsecureHttp,
              allowedAlgorithms: config.signingAlgorithms,
              clockSkew: config.clockSkewSeconds,
              extraTrustMarkTypes: config.trustMarkTyps,
              legacyClaimNames: config.tolerate.includes('legacy-trust-mark-claims'),
              verifier: c.resolve(TOKENS.SignatureVerifier),
              verifiedSignatures: c.resolve(TOKENS.VerificationCache),
            },
            statusCheck: config.trustMarkStatusCheck,
            statusCacheSeconds: config.trustMarkStatusCacheSeconds,
            maxTrustMarks: config.maxTrustMarks,
          },
        }),
    ),
  );
  container.register(
    TOKENS.ResolvedTier,
    singleton(
      () =>
        tiers.resolved ??
        memoryTier('resolutions', config.resolutionCacheMaxEntries, 'resolved', true),
    ),
  );
  container.register(
    TOKENS.FailedTier,
    singleton(
      () =>
        tiers.failed ??
        memoryTier('failed_resolutions', config.resolutionCacheMaxEntries, 'failed'),
    ),
  );
  container.register(
    TOKENS.Admission,
    singleton((c) => {
      const admission = new Admission(
        {
          clientRate: config.clientColdRate,
          clientBurst: config.clientColdBurst,
          slots: config.maxConcurrentResolutions,
          maxWaitMs: config.resolutionQueueTimeoutMs,
          maxWaiting: config.maxConcurrentResolutions * 4,
        },
        c.resolve(TOKENS.Clock),
      );
      metrics.trackSlots(() => admission);
      return admission;
    }),
  );
  container.register(
    TOKENS.ResolutionService,
    singleton(
      (c) =>
        new ResolutionService({
          resolver: c.resolve(TOKENS.TrustChainResolver),
          ...(pool === undefined ? {} : { runner: pool }),
          anchors: c.resolve(TOKENS.TrustAnchors),
          resolved: c.resolve(TOKENS.ResolvedTier),
          failed: c.resolve(TOKENS.FailedTier),
          statements: c.resolve(TOKENS.StatementCache),
          trustMarks: c.resolve(TOKENS.TrustMarkService),
          admission: c.resolve(TOKENS.Admission),
          clock: c.resolve(TOKENS.Clock),
          metrics,
          logger: c.resolve(TOKENS.Logger).child({ component: 'resolution' }),
          ...(shared.store === undefined ? {} : { shared: shared.store }),
          options: {
            resolutionTimeoutMs: config.resolutionTimeoutMs,
            negativeTtlSeconds: config.negativeCacheTtlSeconds,
            transientTtlSeconds: config.transientFailureTtlSeconds,
            refreshAheadSeconds: config.refreshAheadSeconds,
          },
        }),
    ),
  );
  container.register(
    TOKENS.ResponseTier,
    singleton(
      () =>
        tiers.responses ?? memoryTier('responses', config.resolutionCacheMaxEntries, 'responses'),
    ),
  );
  container.register(
    TOKENS.Crawler,
    singleton(
      (c) =>
        new Crawler({
          resolutions: c.resolve(TOKENS.ResolutionService),
          listing: overrides.listingSource ?? new HttpListingSource(c.resolve(TOKENS.HttpFetcher)),
          anchors: c.resolve(TOKENS.TrustAnchors),
          clock: c.resolve(TOKENS.Clock),
          logger: c.resolve(TOKENS.Logger).child({ component: 'crawl' }),
          metrics,
          ...(shared.store === undefined ? {} : { shared: shared.store }),
          settings: {
            ...(config.crawl ?? DEFAULT_CRAWL_SETTINGS),
            refreshAheadSeconds: config.refreshAheadSeconds,
            allowHttp: config.allowInsecureHttp,
          },
        }),
    ),
  );
  container.register(
    TOKENS.ResolverIdentity,
    singleton(
      (c) =>
        new ResolverIdentity({
          signer: c.resolve(TOKENS.Signer),
          clock: c.resolve(TOKENS.Clock),
          responses: c.resolve(TOKENS.ResponseTier),
          metrics,
          identity: {
            entityId: config.entityId,
            organizationName: config.organizationName,
            authorityHints: config.authorityHints,
            collection: config.crawl !== undefined,
            endpointAuthAlgorithms: config.signingAlgorithms,
          },
        }),
    ),
  );
  container.register(
    TOKENS.ResolverEngine,
    singleton(
      (c) =>
        new ResolverEngine({
          resolutions: c.resolve(TOKENS.ResolutionService),
          identity: c.resolve(TOKENS.ResolverIdentity),
          anchors: c.resolve(TOKENS.TrustAnchors),
          statements: purgeableStatements(c.resolve(TOKENS.StatementCache), pool),
          ...(shared.store === undefined ? {} : { shared: shared.store }),
          ...(config.crawl === undefined ? {} : { crawler: c.resolve(TOKENS.Crawler) }),
          resolveLive: config.resolveLive,
          authenticator: new ClientAuthenticator({
            resolutions: c.resolve(TOKENS.ResolutionService),
            anchors: c.resolve(TOKENS.TrustAnchors),
            clock: c.resolve(TOKENS.Clock),
            verification: {
              verifier: c.resolve(TOKENS.SignatureVerifier),
              verifiedSignatures: c.resolve(TOKENS.VerificationCache),
            },
            ...(shared.store === undefined ? {} : { shared: shared.store }),
            options: {
              audience: config.entityId,
              allowedAlgorithms: config.signingAlgorithms,
              clockSkew: config.clockSkewSeconds,
              maxLifetimeSeconds: 600,
              allowHttp: config.allowInsecureHttp,
            },
          }),
        }),
    ),
  );
  return container;
}

/** One engine without a server (the command line): built like the service's, and closed. */
export interface StandaloneEngine {
  readonly engine: ResolverEngine;
  /** Closes upstream connections and the shared tier; the crawl never runs on a schedule here. */
  close(): Promise<void>;
}

/** Builds the engine that `config` describes, exactly as the service does, without a server. */
export async function buildEngine(
  config: Config,
  overrides: ContainerOverrides = {},
): Promise<StandaloneEngine> {
  const container = await buildContainer(config, overrides);
  return {
    engine: container.resolve(TOKENS.ResolverEngine),
    close: () => closeResources(container),
  };
}

/** The resolver core of one resolution worker (src/resolution-worker.ts). */
export interface ResolverCore {
  readonly resolver: TrustChainResolver;
  readonly statements: CachingStatementSource;
  readonly metrics: Metrics;
  readonly logger: Logger;
}

/**
 * Builds the resolver core alone, as a resolution worker runs it: the service's wiring of the
 * HTTP client, caches and TrustChainResolver, without anchors, keys, shared tier or front door.
 */
export function buildResolverCore(config: Config, logToStderr: boolean): ResolverCore {
  const container = rootContainer.createChildContainer();
  const logger = createLogger(config.logLevel, logToStderr ? 2 : 1).child({
    component: 'resolution-worker',
  });
  // The process's own figures are the service's to report; a worker's add to its counters.
  const metrics = new Metrics(false);
  container.register(TOKENS.Config, { useValue: config });
  container.register(TOKENS.Clock, { useValue: systemClock });
  registerResolverCore(container, config, metrics, logger, { store: undefined }, {});
  return {
    resolver: container.resolve(TOKENS.TrustChainResolver),
    statements: container.resolve(TOKENS.StatementCache),
    metrics,
    logger,
  };
}
