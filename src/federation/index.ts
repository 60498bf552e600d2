/** The federation core's public surface: explicit named re-exports only. */
export {
  CORE_LIMITS,
  DEFAULT_SIGNING_ALGORITHMS,
  FEDERATION_ENTITY,
  JWT_TYPES,
  MEDIA_TYPES,
  POLICY_OPERATORS,
  WELL_KNOWN_FEDERATION_PATH,
  type PolicyOperatorName,
} from './constants.js';
export {
  FEDERATION_ERROR_CODES,
  FederationError,
  InvalidMetadataError,
  InvalidRequestError,
  InvalidTrustAnchorError,
  InvalidTrustChainError,
  NotFoundError,
  ServerError,
  TemporarilyUnavailableError,
  UnsupportedParameterError,
  isFederationError,
  type FailureDetail,
  type FailureLocation,
  type FailureReason,
  type FederationErrorCode,
} from './errors.js';
export { entityConfigurationUrl, isEntityIdentifier, type EntityIdOptions } from './entity-id.js';
export { assertConstraints, assertJwkSet, assertMetadata, type ClaimOptions } from './claims.js';
export {
  DEFAULT_CLOCK_SKEW,
  assertSigningAlgorithms,
  decodeEntityStatement,
  validateStatementTime,
  verifyEntityStatement,
  verifyJwsSignature,
  type DecodeOptions,
  type TimeOptions,
  type VerifyOptions,
} from './entity-statement.js';
export { KeyImportCache } from './key-cache.js';
export {
  applyAllowedEntityTypes,
  hostMatchesName,
  isPermittedByNamingConstraints,
  validateConstraints,
  validateMaxPathLength,
  validateNamingConstraints,
} from './constraints.js';
export {
  applyMetadataPolicy,
  applySuperiorMetadata,
  mergeMetadataPolicies,
  validateMetadataPolicy,
} from './metadata-policy/index.js';
export type {
  EntityTypeMetadata,
  EntityTypePolicy,
  Metadata,
  MetadataPolicy,
  ParameterPolicy,
} from './metadata-policy/types.js';
export { resolveChainMetadata } from './resolved-metadata.js';
export {
  resolveTrustChain,
  resolveTrustChainJwts,
  validateTrustChain,
  type TrustChainOptions,
} from './trust-chain.js';
export { compareTrustChains, selectTrustChain } from './select-chain.js';
export {
  DEFAULT_DISCOVERY_LIMITS,
  discoverTrustChains,
  type CandidateChain,
  type DeadBranch,
  type DiscoveryLimits,
  type DiscoveryResult,
  type FetchTrace,
} from './path-discovery.js';
export {
  TrustChainResolver,
  type BranchReport,
  type ResolutionOutcome,
  type ResolutionRequest,
  type ResolutionTrace,
} from './resolver.js';
export {
  buildResolveResponseClaims,
  resolutionExpiry,
  selectEntityTypes,
  type ResolveResponseClaims,
} from './resolve-response.js';
export {
  InvalidTrustMarkError,
  decodeTrustMark,
  verifyTrustMark,
  verifyTrustMarkStatusResponse,
  type DecodedTrustMark,
  type TrustMarkOptions,
  type VerifiedTrustMark,
} from './trust-marks.js';
export type {
  Clock,
  FetchContext,
  FetchedStatement,
  Signer,
  StatementSource,
  VerificationCache,
} from './ports.js';
export type {
  Constraints,
  DecodedEntityStatement,
  EntityStatementClaims,
  EntityStatementHeader,
  EntityStatementKind,
  Jwk,
  JwkSet,
  NamingConstraints,
  ResolvedTrustChain,
  TrustAnchor,
  TrustChain,
  TrustMarkOwner,
} from './types.js';
