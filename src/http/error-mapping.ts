/**
 * The only place where HTTP statuses of errors are decided (architecture rule 6, §8.9). A missing
 * code is a compile error.
 */
import { FederationError, type FederationErrorCode } from '../federation/errors.js';

/** HTTP status per spec error code (§8.9 table, digest §7.3 item 6). */
export const STATUS_BY_CODE: Readonly<Record<FederationErrorCode, number>> = {
  invalid_request: 400,
  invalid_trust_anchor: 404,
  not_found: 404,
  invalid_trust_chain: 400,
  invalid_metadata: 400,
  unsupported_parameter: 400,
  temporarily_unavailable: 503,
  server_error: 500,
};

/** Seconds a client should wait after a 503 before retrying. */
export const RETRY_AFTER_SECONDS = 5;

/** The §8.9 error body: `{ error, error_description }`. */
export interface ErrorBody {
  readonly error: FederationErrorCode;
  readonly error_description: string;
}

/** Status and body for any thrown value; 5xx bodies are generic (details go to the log). */
export function toErrorResponse(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof FederationError && error.code !== 'server_error') {
    return {
      status: STATUS_BY_CODE[error.code],
      body: { error: error.code, error_description: error.message },
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
