/**
 * The one error of the helper: a resolution the resolver refused, or an answer of the resolver
 * the helper could not accept.
 */

/**
 * The `code` of a resolver answer the helper refuses: not the media type or size it should have,
 * not JSON, or (with `verify`) a signed resolve response that fails a check (§8.3.2). The
 * `reason` names the check.
 */
export const INVALID_RESOLVE_RESPONSE = 'invalid_resolve_response';

/**
 * The reasons the helper gives itself, with code {@link INVALID_RESOLVE_RESPONSE} unless said
 * otherwise. Failures the resolver reports carry the resolver's own reason instead (its
 * docs/reasons.md).
 *
 * - `response_too_large`: the answer exceeds `maxResponseBytes`;
 * - `content_type_invalid`: not `application/json` (discovery documents, errors) or
 *   `application/resolve-response+jwt` (§8.3.2);
 * - `body_malformed`: not UTF-8 JSON of an object, or not a compact JWS;
 * - `status_unexpected`: an HTTP status other than 200 without a §8.9 error body;
 * - `typ_invalid`, `alg_not_allowed`, `kid_missing`: the JWS header of the resolve response
 *   (§8.3.2: `typ` `resolve-response+jwt`, an asymmetric `alg`, a `kid`);
 * - `kid_unknown`: no pinned key has the response's `kid` (and `alg`);
 * - `signature_invalid`: the signature does not verify with the pinned keys;
 * - `iss_mismatch`, `sub_mismatch`: `iss` is not the resolver's Entity Identifier, `sub` not
 *   the issuer asked about;
 * - `claim_missing`, `claim_invalid`: `iat`, `exp` or `metadata` absent or of the wrong type;
 * - `statement_expired`, `statement_not_yet_valid`: `exp` past, `iat` future (beyond the
 *   clock tolerance);
 * - `trust_chain_invalid`: `trust_chain` is not a non-empty array of JWTs whose last element is
 *   a Trust Anchor's Entity Configuration (§4);
 * - `trust_anchor_not_requested`: the chain ends at a Trust Anchor that was not asked for;
 * - `entity_type_not_found` (code `not_found`, as the resolver's discovery endpoints answer):
 *   the verified metadata has no entry for the entity type;
 * - `discovery_url_invalid` (code `invalid_request`): a well-known request with a query or a
 *   fragment, from which no issuer can be derived.
 */
export const CLIENT_FAILURE_REASONS = [
  'response_too_large',
  'content_type_invalid',
  'body_malformed',
  'status_unexpected',
  'typ_invalid',
  'alg_not_allowed',
  'kid_missing',
  'kid_unknown',
  'signature_invalid',
  'iss_mismatch',
  'sub_mismatch',
  'claim_missing',
  'claim_invalid',
  'statement_expired',
  'statement_not_yet_valid',
  'trust_chain_invalid',
  'trust_anchor_not_requested',
  'entity_type_not_found',
  'discovery_url_invalid',
] as const;

/** One of {@link CLIENT_FAILURE_REASONS}. */
export type ClientFailureReason = (typeof CLIENT_FAILURE_REASONS)[number];

/** What a {@link FederationResolutionError} says besides its message. */
export interface FederationResolutionErrorDetails {
  /** The §8.9 `error` code of the resolver, or one of the helper's. */
  readonly code: string;
  /** The machine-readable reason, when known. */
  readonly reason?: string | undefined;
  /** The HTTP status the resolver answered, when it answered. */
  readonly status?: number | undefined;
  /** The failure underneath, if any. */
  readonly cause?: unknown;
}

/**
 * A discovery request the resolver could not answer with trusted metadata: the resolver's §8.9
 * error (`code` = its `error`, `reason` = its `reason`, `message` = its `error_description`,
 * `status` = the HTTP status), or an answer the helper refused ({@link INVALID_RESOLVE_RESPONSE}
 * and a {@link ClientFailureReason}). A client library that wraps errors (openid-client does)
 * keeps this one in its `cause` chain.
 */
export class FederationResolutionError extends Error {
  override readonly name = 'FederationResolutionError';
  /** The §8.9 `error` code of the resolver, or one of the helper's. */
  readonly code: string;
  /** The machine-readable reason, when known. */
  readonly reason: string | undefined;
  /** The HTTP status the resolver answered, when it answered. */
  readonly status: number | undefined;

  constructor(message: string, details: FederationResolutionErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = details.code;
    this.reason = details.reason;
    this.status = details.status;
  }
}

/** An answer the helper refuses (code {@link INVALID_RESOLVE_RESPONSE}). */
export function refused(
  reason: ClientFailureReason,
  message: string,
  status: number | undefined,
  cause?: unknown,
): FederationResolutionError {
  return new FederationResolutionError(message, {
    code: INVALID_RESOLVE_RESPONSE,
    reason,
    status,
    cause,
  });
}
