/**
 * The composition root: the only module that registers anything in the tsyringe container. Every
 * dependency is built by a factory from explicit tokens.
 */
import 'reflect-metadata';
import {
  container as rootContainer,
  instanceCachingFactory,
  type DependencyContainer,
} from 'tsyringe';
import type { Config } from './config/config.js';
import { KeyImportCache } from './federation/key-cache.js';
import { TrustChainResolver } from './federation/resolver.js';
import { systemClock } from './infrastructure/clock.js';
import { HttpFetcher } from './infrastructure/http/index.js';
import { createLogger, type Logger } from './infrastructure/logger.js';
import { Metrics } from './infrastructure/metrics.js';
import { ResolutionService } from './infrastructure/resolution-service.js';
import { ResponseSigner } from './infrastructure/response-signing.js';
import { JwksSigner } from './infrastructure/signing-keys.js';
import { CachingStatementSource } from './infrastructure/statements/caching-statement-source.js';
import { HttpStatementSource } from './infrastructure/statements/http-statement-source.js';
import { TrustAnchorStore } from './infrastructure/trust-anchor-store.js';
import { TrustMarkService } from './infrastructure/trust-mark-service.js';
import { LruVerificationCache } from './infrastructure/verification-cache.js';
import { TOKENS } from './tokens.js';

/** The product's User-Agent on every outbound request. */
export const USER_AGENT = 'federation-resolver/0.1 (+OpenID Federation 1.0 resolver)';

/** Options that replace parts of the default wiring (tests). */
export interface ContainerOverrides {
  readonly logger?: Logger;
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
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const anchors = new TrustAnchorStore(config.trustAnchorsDir, {
    allowHttp: config.allowInsecureHttp,
  });
  anchors.load();
  const signer =
    config.keysFile === undefined
      ? await JwksSigner.ephemeral()
      : await JwksSigner.fromFile(config.keysFile);
  if (signer.ephemeral) {
    logger.warn(
      'RESOLVER_KEYS_FILE is not set: signing with an ephemeral key that changes at every start',
    );
  }
  if (config.allowInsecureHttp)
    logger.warn('ALLOW_INSECURE_HTTP is on: http:// entities are accepted');
  if (config.allowPrivateNetwork)
    logger.warn('ALLOW_PRIVATE_NETWORK is on: fetches may reach private addresses');

  container.register(TOKENS.Config, { useValue: config });
  container.register(TOKENS.Logger, { useValue: logger });
  container.register(TOKENS.Clock, { useValue: systemClock });
  container.register(TOKENS.Metrics, { useValue: new Metrics() });
  container.register(TOKENS.Signer, { useValue: signer });
  container.register(TOKENS.TrustAnchorStore, { useValue: anchors });
  container.register(TOKENS.KeyImportCache, { useValue: new KeyImportCache() });
  container.register(TOKENS.HttpFetcher, {
    useFactory: instanceCachingFactory(
      () =>
        new HttpFetcher({
          userAgent: USER_AGENT,
          timeoutMs: config.fetchTimeoutMs,
          maxResponseBytes: config.maxResponseBytes,
          allowInsecureHttp: config.allowInsecureHttp,
          allowPrivateNetwork: config.allowPrivateNetwork,
        }),
    ),
  });
  container.register(TOKENS.VerificationCache, {
    useFactory: instanceCachingFactory(
      (c) => new LruVerificationCache(config.statementCacheMaxEntries, c.resolve(TOKENS.Metrics)),
    ),
  });
  container.register(TOKENS.StatementSource, {
    useFactory: instanceCachingFactory(
      (c) =>
        new CachingStatementSource(
          new HttpStatementSource(c.resolve(TOKENS.HttpFetcher), c.resolve(TOKENS.Metrics)),
          {
            maxEntries: config.statementCacheMaxEntries,
            maxTtlSeconds: config.statementCacheMaxTtlSeconds,
            negativeTtlSeconds: config.negativeCacheTtlSeconds,
            clock: c.resolve(TOKENS.Clock),
            metrics: c.resolve(TOKENS.Metrics),
          },
        ),
    ),
  });
  container.register(TOKENS.TrustChainResolver, {
    useFactory: instanceCachingFactory(
      (c) =>
        new TrustChainResolver({
          source: c.resolve(TOKENS.StatementSource),
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
            keyCache: c.resolve(TOKENS.KeyImportCache),
            verifiedSignatures: c.resolve(TOKENS.VerificationCache),
          },
        }),
    ),
  });
  container.register(TOKENS.TrustMarkService, {
    useFactory: instanceCachingFactory(
      (c) =>
        new TrustMarkService(c.resolve(TOKENS.HttpFetcher), c.resolve(TOKENS.Clock), {
          verification: {
            allowHttp: config.allowInsecureHttp,
            allowedAlgorithms: config.signingAlgorithms,
            clockSkew: config.clockSkewSeconds,
            extraTrustMarkTypes: config.trustMarkTyps,
            legacyClaimNames: config.acceptLegacyTrustMarkClaims,
            keyCache: c.resolve(TOKENS.KeyImportCache),
            verifiedSignatures: c.resolve(TOKENS.VerificationCache),
          },
          statusCheck: config.trustMarkStatusCheck,
          statusCacheSeconds: config.trustMarkStatusCacheSeconds,
          statusCacheMaxEntries: config.statementCacheMaxEntries,
          maxTrustMarks: config.maxTrustMarks,
        }),
    ),
  });
  container.register(TOKENS.ResolutionService, {
    useFactory: instanceCachingFactory(
      (c) =>
        new ResolutionService({
          trustMarks: c.resolve(TOKENS.TrustMarkService),
          resolver: c.resolve(TOKENS.TrustChainResolver),
          anchors: c.resolve(TOKENS.TrustAnchorStore),
          clock: c.resolve(TOKENS.Clock),
          metrics: c.resolve(TOKENS.Metrics),
          logger: c.resolve<Logger>(TOKENS.Logger).child({ component: 'resolution' }),
          options: {
            resolutionTimeoutMs: config.resolutionTimeoutMs,
            maxConcurrentResolutions: config.maxConcurrentResolutions,
            cacheMaxEntries: config.resolutionCacheMaxEntries,
            negativeTtlSeconds: config.negativeCacheTtlSeconds,
            refreshAheadSeconds: config.refreshAheadSeconds,
          },
        }),
    ),
  });
  container.register(TOKENS.ResponseSigner, {
    useFactory: instanceCachingFactory(
      (c) =>
        new ResponseSigner(c.resolve(TOKENS.Signer), c.resolve(TOKENS.Clock), {
          entityId: config.entityId,
          organizationName: config.organizationName,
          authorityHints: config.authorityHints,
        }),
    ),
  });
  return container;
}
