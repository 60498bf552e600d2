/**
 * The only place where HTTP statuses of errors are decided (§8.9; docs/architecture.md). Each
 * spec error code has its status, so a missing code is a compile error; a few request-level
 * reasons have a more precise HTTP status of their own (405 for a method, 404 for a path), with
 * the spec's `invalid_request` code in the body.
 */
import {
  FederationError,
  type FailureReason,
  type FederationErrorCode,
} from '../federation/errors.js';

/** HTTP status per spec error code (§8.9 table; §8.3.2 errors). */
export const STATUS_BY_CODE: Readonly<Record<FederationErrorCode, number>> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_trust_anchor: 404,
  not_found: 404,
  invalid_trust_chain: 400,
  invalid_metadata: 400,
  unsupported_parameter: 400,
  temporarily_unavailable: 503,
  server_error: 500,
  entity_id_not_found: 404,
};

/** Reasons whose HTTP status is more precise than their code's (RFC 9110 §15.5). */
export const STATUS_BY_REASON: Readonly<Partial<Record<FailureReason, number>>> = {
  endpoint_not_found: 404,
  method_not_allowed: 405,
  body_too_large: 413,
  request_timeout: 408,
  uri_too_long: 414,
  expectation_failed: 417,
  rate_limited: 429,
  headers_too_large: 431,
  method_not_implemented: 501,
};

/** Seconds a client should wait after a 503 before retrying. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * The §8.9 error body: `{ error, error_description }`, plus `reason`, the machine-readable
 * reason of docs/reasons.md, so a client can tell failures apart without parsing prose (§8.9
 * allows members beyond the two it requires; clients ignore those they do not know).
 */
export interface ErrorBody {
  readonly error: FederationErrorCode;
  readonly error_description: string;
  /** Absent on `server_error`, whose details stay in the log. */
  readonly reason?: FailureReason;
}

/** Status and body for any thrown value; 5xx bodies are generic (details go to the log). */
export function toErrorResponse(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof FederationError && error.code !== 'server_error') {
    return {
      status: STATUS_BY_REASON[error.reason] ?? STATUS_BY_CODE[error.code],
      body: { error: error.code, error_description: error.message, reason: error.reason },
    };
  }
  return {
    status: STATUS_BY_CODE.server_error,
    body: {
      error: 'server_error',
      error_description: 'the server encountered an unexpected condition',
    },
  };
}
