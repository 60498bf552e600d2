/**
 * `federation-resolver/openid-client`: OpenID Connect and OAuth clients discover providers
 * through the resolver, with `createFederationFetch` as their `fetch` (openid-client's
 * `customFetch`). Depends on `jose` and the platform only, nothing of the server.
 */
export {
  createFederationFetch,
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  DEFAULT_MAX_RESPONSE_BYTES,
  type FederationFetch,
  type FederationFetchInit,
  type FederationFetchOptions,
  type FederationFetchVerifyOptions,
} from './federation-fetch.js';
export {
  CLIENT_FAILURE_REASONS,
  FederationResolutionError,
  INVALID_RESOLVE_RESPONSE,
  type ClientFailureReason,
  type FederationResolutionErrorDetails,
} from './errors.js';
export type { FetchFunction } from './resolver-http.js';
export type { DiscoveryEntityType } from './well-known.js';
