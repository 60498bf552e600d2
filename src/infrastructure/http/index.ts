/** The outbound HTTP layer: explicit named re-exports only. */
export {
  AddressNotAllowedError,
  createGuardedLookup,
  isForbiddenAddress,
  watchSocketAddress,
  type AddressResolver,
} from './address-guard.js';
export {
  DEFAULT_MAX_SOCKETS,
  HttpFetcher,
  type HttpFetcherOptions,
  type HttpRequestInit,
  type HttpResponse,
} from './http-fetcher.js';
