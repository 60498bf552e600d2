/** Injection tokens of the container: one per interface or value the composition root provides. */
import type { InjectionToken } from 'tsyringe';
import type { Config } from './config/config.js';
import type { Clock, Signer, StatementSource, VerificationCache } from './federation/ports.js';
import type { TrustChainResolver } from './federation/resolver.js';
import type { HttpFetcher } from './infrastructure/http/index.js';
import type { Logger } from './infrastructure/logger.js';
import type { Metrics } from './infrastructure/metrics.js';
import type { ResolutionService } from './infrastructure/resolution-service.js';
import type { ResponseSigner } from './infrastructure/response-signing.js';
import type { TrustAnchorStore } from './infrastructure/trust-anchor-store.js';
import type { TrustMarkService } from './infrastructure/trust-mark-service.js';
import type { KeyImportCache } from './federation/key-cache.js';

function token<T>(name: string): InjectionToken<T> {
  return Symbol(name);
}

/** Every token of the container. */
export const TOKENS = {
  Config: token<Config>('Config'),
  Logger: token<Logger>('Logger'),
  Clock: token<Clock>('Clock'),
  Metrics: token<Metrics>('Metrics'),
  Signer: token<Signer>('Signer'),
  HttpFetcher: token<HttpFetcher>('HttpFetcher'),
  StatementSource: token<StatementSource>('StatementSource'),
  KeyImportCache: token<KeyImportCache>('KeyImportCache'),
  VerificationCache: token<VerificationCache>('VerificationCache'),
  TrustAnchorStore: token<TrustAnchorStore>('TrustAnchorStore'),
  TrustChainResolver: token<TrustChainResolver>('TrustChainResolver'),
  ResolutionService: token<ResolutionService>('ResolutionService'),
  ResponseSigner: token<ResponseSigner>('ResponseSigner'),
  TrustMarkService: token<TrustMarkService>('TrustMarkService'),
} as const;
