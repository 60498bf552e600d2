/** The engine's public surface, for front doors and the composition root: named exports only. */
export {
  Admission,
  CRAWLER_CALLER,
  INTERNAL_CALLER,
  type AdmissionOptions,
  type Caller,
} from './admission.js';
export {
  CLIENT_ASSERTION_TYPE,
  ClientAuthenticator,
  type ClientAuthenticationOptions,
  type ClientAuthenticatorDependencies,
} from './client-authentication.js';
export { Coalescer } from './coalescer.js';
export {
  Crawler,
  type CrawlProgress,
  type CrawlSettings,
  type CrawlerDependencies,
} from './crawler.js';
export {
  anchorView,
  collectionPage,
  crawlReport,
  expiriesOf,
  healthReport,
  memberOf,
  type AnchorView,
  type CollectionPage,
  type CollectionQuery,
  type CrawlBound,
  type CrawlReport,
  type HealthReport,
  type MemberView,
} from './federation-view.js';
export {
  explainReport,
  trustMarksView,
  verifiedTrustMarksView,
  type ExplainReport,
} from './explain-report.js';
export { failureView } from './failure-view.js';
export { REASON_HINTS, reasonHint } from './reason-hints.js';
export type {
  CacheTier,
  EngineCacheName,
  EngineMetrics,
  Logger,
  MetricsExporter,
  ResolutionRunner,
  SharedStore,
  SubordinateListingSource,
  TrustAnchorSource,
  TrustMarkStatusSource,
} from './ports.js';
export { resolutionKey, resolvedEntrySize, RetainedStatements } from './query.js';
export { resolutionReport, type ResolutionReport } from './resolution-report.js';
export {
  ResolutionService,
  isRefreshDue,
  type ExplainedResolution,
  type ResolutionEntry,
  type ResolutionServiceDependencies,
  type ResolutionServiceOptions,
  type ServedResolution,
} from './resolution-service.js';
export {
  ResolverEngine,
  type Expiring,
  type ResolverEngineDependencies,
} from './resolver-engine.js';
export {
  ResolverIdentity,
  type ResolverIdentityDependencies,
  type ResolverIdentityOptions,
} from './resolver-identity.js';
export {
  CachingStatementSource,
  type CachedStatement,
  type StatementCacheDependencies,
  type StatementCacheOptions,
} from './statement-cache.js';
export {
  STATUS_CHECK_MODES,
  TrustMarkService,
  type IssuerResolver,
  type RejectedTrustMark,
  type StatusAnswer,
  type StatusCheckMode,
  type TrustMarkReport,
  type TrustMarkServiceDependencies,
  type TrustMarkServiceOptions,
} from './trust-mark-service.js';
