/**
 * The library's one export list (`import … from 'federation-resolver'`): the federation core,
 * named re-exports only, including every type that appears in an exported signature (a test
 * keeps it so).
 */
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
  FAILURE_REASONS,
  FEDERATION_ERROR_CODES,
  FederationError,
  InvalidClientError,
  InvalidMetadataError,
  InvalidRequestError,
  InvalidTrustAnchorError,
  InvalidTrustChainError,
  NotFoundError,
  ServerError,
  TemporarilyUnavailableError,
  UnsupportedParameterError,
  errorFromDetail,
  federationError,
  isFederationError,
  toFederationError,
  type FailureDetail,
  type FailureLocation,
  type FailureReason,
  type FederationErrorClass,
  type FederationErrorCode,
  type FederationErrorOptions,
} from './errors.js';
export {
  entityConfigurationUrl,
  fetchEndpointUrl,
  isEntityIdentifier,
  type EntityIdOptions,
} from './entity-id.js';
export { assertConstraints, assertJwkSet, assertMetadata, type ClaimOptions } from './claims.js';
export {
  assertSigningAlgorithms,
  decodeEntityStatement,
  selectVerificationKey,
  validateStatementTime,
  verifyEntityStatement,
  verifyJwsSignature,
  type DecodeOptions,
  type VerifyOptions,
} from './entity-statement.js';
export {
  DEFAULT_CLOCK_SKEW,
  validateTimeWindow,
  type TimeOptions,
  type TimeWindowSubject,
} from './time-window.js';
export {
  importVerificationKey,
  jwkIdentity,
  keyFingerprint,
  type VerificationKey,
} from './verification-key.js';
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
  type MergeMetadataPoliciesOptions,
  type ValidateMetadataPolicyOptions,
} from './metadata-policy/index.js';
export type {
  EntityTypeMetadata,
  EntityTypePolicy,
  Metadata,
  MetadataPolicy,
  ParameterPolicy,
} from './metadata-policy/types.js';
export {
  ISSUER_BOUND_ENTITY_TYPES,
  assertIssuerIsEntity,
  resolveChainMetadata,
} from './resolved-metadata.js';
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
  startDiscovery,
  type CandidateChain,
  type DeadBranch,
  type DiscoveryLimits,
  type DiscoveryOptions,
  type DiscoveryRecord,
  type DiscoveryResult,
  type DiscoveryRun,
  type FetchTrace,
  type StatementValidationOptions,
} from './path-discovery.js';
export {
  TrustChainResolver,
  type BranchReport,
  type ResolutionContext,
  type ResolutionOutcome,
  type ResolutionRun,
  type ResolutionTrace,
  type ResolverValidationOptions,
  type TrustChainResolverOptions,
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
  readTrustMarkEntry,
  trustMarkTypeOf,
  verifyTrustMark,
  verifyTrustMarkStatusResponse,
  type DecodedTrustMark,
  type TrustMarkOptions,
  type VerifiedTrustMark,
} from './trust-marks.js';
export {
  TOLERANCES,
  TOLERANCE_NAMES,
  isToleranceName,
  locateToleranceUses,
  type LocatedToleranceUse,
  type ToleranceName,
  type ToleranceUse,
} from './tolerances.js';
export type { JsonObject } from './json.js';
export type { JwsHeader } from './jws.js';
export type {
  Clock,
  DecodedStatementCache,
  FetchContext,
  FetchedStatement,
  SignatureVerifier,
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
  ResolutionQuery,
  ResolvedTrustChain,
  TrustAnchor,
  TrustChain,
  TrustMarkEntry,
  TrustMarkOwner,
} from './types.js';
