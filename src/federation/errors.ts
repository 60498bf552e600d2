/**
 * Typed errors of the federation core. Each class carries one spec error code (§8.9) and every
 * instance carries a machine-readable reason, so callers can explain a rejection as data.
 */

/** The `error` values of §8.9 that this product emits. */
export type FederationErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_trust_anchor'
  | 'not_found'
  | 'invalid_trust_chain'
  | 'invalid_metadata'
  | 'unsupported_parameter'
  | 'temporarily_unavailable'
  | 'server_error'
  | 'entity_id_not_found';

/** Every spec error code, for exhaustive tables (for example the HTTP status table). */
export const FEDERATION_ERROR_CODES = [
  'invalid_request',
  'invalid_client',
  'invalid_trust_anchor',
  'not_found',
  'invalid_trust_chain',
  'invalid_metadata',
  'unsupported_parameter',
  'temporarily_unavailable',
  'server_error',
  'entity_id_not_found',
] as const satisfies readonly FederationErrorCode[];

/**
 * Why a statement, chain, policy, trust mark or request was rejected: stable strings, each
 * documented in docs/reasons.md (a test keeps that page complete).
 */
export const FAILURE_REASONS = [
  // decoding and structure of one statement (§3, §3.2)
  'statement_malformed',
  'statement_too_large',
  'typ_invalid',
  'alg_not_allowed',
  'kid_missing',
  'kid_unknown',
  'key_invalid',
  'signature_invalid',
  'header_not_allowed',
  'claim_missing',
  'claim_invalid',
  'claim_not_allowed',
  'crit_invalid',
  'crit_not_understood',
  'entity_id_invalid',
  'statement_expired',
  'statement_not_yet_valid',
  'subject_mismatch',
  // chain (§4, §10.2)
  'chain_empty',
  'chain_too_long',
  'iss_sub_mismatch',
  'issuer_not_in_authority_hints',
  'trust_anchor_unknown',
  'anchor_keys_mismatch',
  'entity_configuration_expected',
  'subordinate_statement_expected',
  // constraints (§6.2)
  'max_path_length_exceeded',
  'naming_constraint_violated',
  // metadata and metadata policy (§5, §6.1)
  'metadata_null',
  'metadata_invalid',
  'policy_invalid',
  'policy_operator_value_invalid',
  'policy_combination_invalid',
  'policy_merge_failed',
  'policy_operator_not_understood',
  'policy_violation',
  'issuer_mismatch',
  // fetching statements over HTTP (§9, §8.1)
  'statement_unavailable',
  'upstream_timeout',
  'upstream_status',
  'response_too_large',
  'content_type_invalid',
  'redirect_refused',
  'address_not_allowed',
  'scheme_not_allowed',
  'tls_certificate_rejected',
  'upstream_queue_timeout',
  'circuit_open',
  // path discovery and resolution bounds (§10.1, §18.1)
  'loop_detected',
  'max_depth_exceeded',
  'authority_hints_exceeded',
  'fetch_limit_exceeded',
  'candidate_limit_exceeded',
  'deadline_exceeded',
  'fetch_endpoint_missing',
  'no_path_to_trust_anchor',
  'entity_type_not_found',
  'overloaded',
  'rate_limited',
  // the federation as a whole: listings, crawl, collection, cache-only answers (§8.2, §18.1)
  'list_invalid',
  'list_entry_invalid',
  'crawl_entity_limit',
  'crawl_depth_limit',
  'crawl_list_limit',
  'crawl_time_limit',
  'not_in_view',
  'collection_not_ready',
  'client_assertion_invalid',
  'client_assertion_replayed',
  // trust marks (§7, §8.3.2, §8.4)
  'trust_mark_type_not_recognized',
  'trust_mark_issuer_not_trusted',
  'delegation_missing',
  'delegation_invalid',
  'trust_mark_status_not_active',
  'trust_mark_status_invalid',
  'trust_mark_status_unavailable',
  'issuer_chain_invalid',
  'trust_mark_not_found',
  'trust_mark_limit_exceeded',
  // request parameters and HTTP requests (§8.3.1, §8.9)
  'parameter_missing',
  'parameter_invalid',
  'parameter_repeated',
  'too_many_parameters',
  'endpoint_not_found',
  'method_not_allowed',
  'method_not_implemented',
  'uri_too_long',
  'headers_too_large',
  'body_too_large',
  'request_malformed',
  'request_timeout',
  'expectation_failed',
  'unauthorized',
  // configuration and unexpected conditions
  'configuration_invalid',
  'internal_error',
] as const;

/** One of {@link FAILURE_REASONS}. */
export type FailureReason = (typeof FAILURE_REASONS)[number];

/** Where a failure happened: which statement of which chain, which policy parameter. */
export interface FailureLocation {
  /** Index of the statement in the chain (0 = the subject's Entity Configuration). */
  readonly statementIndex?: number;
  /** `iss` of the statement concerned, when known. */
  readonly iss?: string;
  /** `sub` of the statement concerned, when known. */
  readonly sub?: string;
  /** Claim or header parameter concerned. */
  readonly claim?: string;
  /** Entity Type Identifier concerned (metadata, policy). */
  readonly entityType?: string;
  /** Metadata parameter concerned (policy). */
  readonly parameter?: string;
  /** Policy operator concerned. */
  readonly operator?: string;
  /** Index of the policy in the list given to the merge (0 = the most superior). */
  readonly policyIndex?: number;
  /** URL of an upstream request concerned. */
  readonly url?: string;
  /** HTTP status an upstream answered with. */
  readonly status?: number;
  /** Seconds after which a retry may succeed (an upstream's Retry-After, or our own). */
  readonly retryAfter?: number;
  /** Request parameter concerned. */
  readonly requestParameter?: string;
}

/** Constructor options shared by every federation error. */
export interface FederationErrorOptions extends FailureLocation {
  /** Machine-readable reason. */
  readonly reason: FailureReason;
  /** Spec section that states the violated rule, for example "§6.1.4.1". */
  readonly section?: string;
  /** Underlying error, when this one translates another. */
  readonly cause?: unknown;
}

/** A failure as plain data (what the diagnostics API reports). */
export interface FailureDetail extends FailureLocation {
  readonly code: FederationErrorCode;
  readonly reason: FailureReason;
  readonly section?: string;
  readonly message: string;
}

/** Base class of every error the core throws. */
export abstract class FederationError extends Error {
  /** The spec's `error` code (§8.9). */
  abstract readonly code: FederationErrorCode;
  /** Machine-readable reason for the failure. */
  readonly reason: FailureReason;
  /** Spec section of the violated rule. */
  readonly section: string | undefined;
  /** Where the failure happened. */
  readonly location: FailureLocation;

  constructor(message: string, options: FederationErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    const { reason, section, cause: _cause, ...location } = options;
    this.reason = reason;
    this.section = section;
    this.location = location;
  }

  /** A copy of this error with more location data (for example the statement's chain index). */
  withLocation(location: FailureLocation): FederationError {
    // Every subclass keeps the base constructor's signature, so the copy keeps its class and code.
    const Ctor = this.constructor as new (
      message: string,
      options: FederationErrorOptions,
    ) => FederationError;
    return new Ctor(this.message, {
      ...this.location,
      ...location,
      reason: this.reason,
      ...(this.section === undefined ? {} : { section: this.section }),
      cause: this.cause ?? this,
    });
  }

  /** The failure as plain data. */
  toDetail(): FailureDetail {
    return {
      code: this.code,
      reason: this.reason,
      ...(this.section === undefined ? {} : { section: this.section }),
      ...this.location,
      message: this.message,
    };
  }
}

/** `invalid_request`: the request is incomplete or malformed. */
export class InvalidRequestError extends FederationError {
  readonly code = 'invalid_request';
}

/** `invalid_client`: the caller is not authorized (for example a protected operations endpoint). */
export class InvalidClientError extends FederationError {
  readonly code = 'invalid_client';
}

/** `invalid_trust_anchor`: no requested Trust Anchor is configured or usable. */
export class InvalidTrustAnchorError extends FederationError {
  readonly code = 'invalid_trust_anchor';
}

/** `not_found`: the Entity Configuration of the subject cannot be retrieved. */
export class NotFoundError extends FederationError {
  readonly code = 'not_found';
}

/** `invalid_trust_chain`: a statement or a chain does not validate. */
export class InvalidTrustChainError extends FederationError {
  readonly code = 'invalid_trust_chain';
}

/** `invalid_metadata`: metadata or metadata policy values are invalid or conflict. */
export class InvalidMetadataError extends FederationError {
  readonly code = 'invalid_metadata';
}

/** `unsupported_parameter`: a parameter value the service cannot serve. */
export class UnsupportedParameterError extends FederationError {
  readonly code = 'unsupported_parameter';
}

/** `temporarily_unavailable`: upstream time-outs or overload; a retry may succeed. */
export class TemporarilyUnavailableError extends FederationError {
  readonly code = 'temporarily_unavailable';
}

/**
 * `entity_id_not_found` (Entity Collection extension): the `from_entity_id` of a collection
 * request names no entity the responder lists.
 */
export class EntityIdNotFoundError extends FederationError {
  readonly code = 'entity_id_not_found';
}

/** `server_error`: an unexpected condition (a bug). */
export class ServerError extends FederationError {
  readonly code = 'server_error';
}

/** Narrowing guard for federation errors. */
export function isFederationError(error: unknown): error is FederationError {
  return error instanceof FederationError;
}

/** A constructor of one of the error classes (each kind of JWT reports with its own). */
export type FederationErrorClass = new (
  message: string,
  options: FederationErrorOptions,
) => FederationError;

/** The class of each spec error code: the one way to build an error from a code. */
const ERROR_CLASSES: Readonly<Record<FederationErrorCode, FederationErrorClass>> = {
  invalid_request: InvalidRequestError,
  invalid_client: InvalidClientError,
  invalid_trust_anchor: InvalidTrustAnchorError,
  not_found: NotFoundError,
  invalid_trust_chain: InvalidTrustChainError,
  invalid_metadata: InvalidMetadataError,
  unsupported_parameter: UnsupportedParameterError,
  temporarily_unavailable: TemporarilyUnavailableError,
  server_error: ServerError,
  entity_id_not_found: EntityIdNotFoundError,
};

/** A new error of the class that carries `code` (for example to restate a reported failure). */
export function federationError(
  code: FederationErrorCode,
  message: string,
  options: FederationErrorOptions,
): FederationError {
  return new ERROR_CLASSES[code](message, options);
}

/** The error a reported failure stands for (a cached failure, a failure in a report). */
export function errorFromDetail(detail: FailureDetail): FederationError {
  const { code, message, ...options } = detail;
  return federationError(code, message, options);
}

/**
 * Any thrown value as a FederationError: federation errors as they are, anything else (a bug, a
 * foreign library's failure that was not translated) as a `server_error` with reason
 * `internal_error`, keeping the original as `cause`. The one place that decides the fallback.
 */
export function toFederationError(error: unknown): FederationError {
  if (error instanceof FederationError) return error;
  return new ServerError('an unexpected error occurred', {
    reason: 'internal_error',
    cause: error,
  });
}

/** Members of a {@link FailureDetail} besides `code`, `message` and `reason`, with their type. */
const DETAIL_MEMBERS: Readonly<Record<string, 'string' | 'number'>> = {
  section: 'string',
  statementIndex: 'number',
  iss: 'string',
  sub: 'string',
  claim: 'string',
  entityType: 'string',
  parameter: 'string',
  operator: 'string',
  policyIndex: 'number',
  url: 'string',
  status: 'number',
  retryAfter: 'number',
  requestParameter: 'string',
};

/**
 * A failure detail read from somewhere that is not trusted (a shared cache): only a known code
 * and reason, a bounded message and location members of the right type are kept; anything else
 * makes it unusable (`undefined`).
 */
export function readFailureDetail(value: unknown): FailureDetail | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  const { code, message, reason } = record;
  if (
    typeof code !== 'string' ||
    !(FEDERATION_ERROR_CODES as readonly string[]).includes(code) ||
    typeof reason !== 'string' ||
    !(FAILURE_REASONS as readonly string[]).includes(reason) ||
    typeof message !== 'string' ||
    message.length > 4096
  ) {
    return undefined;
  }
  const detail: Record<string, unknown> = { code, message, reason };
  for (const [member, type] of Object.entries(DETAIL_MEMBERS)) {
    const item = record[member];
    if (item === undefined) continue;
    if (typeof item !== type || (typeof item === 'string' && item.length > 4096)) return undefined;
    detail[member] = item;
  }
  return detail as unknown as FailureDetail;
}
