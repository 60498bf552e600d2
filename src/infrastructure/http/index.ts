/** The outbound HTTP layer: explicit named re-exports only. */
export {
  AddressNotAllowedError,
  createGuardedLookup,
  isForbiddenAddress,
  watchSocketAddress,
  type AddressResolver,
} from './address-guard.js';
export {
  CircuitBreaker,
  DEFAULT_FAILURE_THRESHOLD,
  DEFAULT_MAX_CIRCUIT_ORIGINS,
  DEFAULT_OPEN_MS,
  MAX_RETRY_AFTER_SECONDS,
  type CircuitAdmission,
  type CircuitBreakerOptions,
  type CircuitChangeListener,
  type CircuitOutcome,
  type CircuitPermit,
  type CircuitState,
} from './circuit-breaker.js';
export {
  DEFAULT_MAX_QUEUED_PER_ORIGIN,
  DEFAULT_MAX_SOCKETS,
  DEFAULT_QUEUE_TIMEOUT_MS,
  HttpFetcher,
  parseRetryAfter,
  type HttpFetcherOptions,
  type HttpRequestInit,
  type HttpResponse,
} from './http-fetcher.js';
