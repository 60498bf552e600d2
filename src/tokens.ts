/** Injection tokens of the container: one per interface or value the composition root provides. */
import type { InjectionToken } from 'tsyringe';
import type { Config } from './config/config.js';
import type { SharedTier, WorkerPool } from './composition-root.js';
import type {
  Admission,
  CacheTier,
  CachedStatement,
  CachingStatementSource,
  Crawler,
  ResolutionEntry,
  ResolutionService,
  ResolverEngine,
  ResolverIdentity,
  StatusAnswer,
  TrustAnchorSource,
  TrustMarkService,
  TrustMarkStatusSource,
} from './engine/index.js';
import type {
  Clock,
  SignatureVerifier,
  Signer,
  StatementSource,
  TrustChainResolver,
  VerificationCache,
} from './federation/index.js';
import type { HttpFetcher } from './infrastructure/http/index.js';
import type { Logger } from './infrastructure/logger.js';
import type { Metrics } from './infrastructure/metrics.js';
import type { TrustAnchorStore } from './infrastructure/trust-anchors/trust-anchor-store.js';

function token<T>(name: string): InjectionToken<T> {
  return Symbol(name);
}

/** Every token of the container. */
export const TOKENS = {
  Config: token<Config>('Config'),
  SharedTier: token<SharedTier>('SharedTier'),
  ResolutionWorkers: token<WorkerPool>('ResolutionWorkers'),
  Logger: token<Logger>('Logger'),
  Clock: token<Clock>('Clock'),
  Metrics: token<Metrics>('Metrics'),
  Signer: token<Signer>('Signer'),
  HttpFetcher: token<HttpFetcher>('HttpFetcher'),
  TrustAnchorStore: token<TrustAnchorStore>('TrustAnchorStore'),
  TrustAnchors: token<TrustAnchorSource>('TrustAnchors'),
  SignatureVerifier: token<SignatureVerifier>('SignatureVerifier'),
  VerificationCache: token<VerificationCache>('VerificationCache'),
  UpstreamStatementSource: token<StatementSource>('UpstreamStatementSource'),
  StatementTier: token<CacheTier<CachedStatement>>('StatementTier'),
  StatementCache: token<CachingStatementSource>('StatementCache'),
  TrustChainResolver: token<TrustChainResolver>('TrustChainResolver'),
  TrustMarkStatusSource: token<TrustMarkStatusSource>('TrustMarkStatusSource'),
  TrustMarkStatusTier: token<CacheTier<StatusAnswer>>('TrustMarkStatusTier'),
  TrustMarkService: token<TrustMarkService>('TrustMarkService'),
  ResolvedTier: token<CacheTier<ResolutionEntry>>('ResolvedTier'),
  FailedTier: token<CacheTier<ResolutionEntry>>('FailedTier'),
  Admission: token<Admission>('Admission'),
  ResolutionService: token<ResolutionService>('ResolutionService'),
  ResponseTier: token<CacheTier<string>>('ResponseTier'),
  ResolverIdentity: token<ResolverIdentity>('ResolverIdentity'),
  ResolverEngine: token<ResolverEngine>('ResolverEngine'),
  Crawler: token<Crawler>('Crawler'),
} as const;
