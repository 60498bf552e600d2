/**
 * Trust Mark Status requests over HTTP (§8.4.1): POST `trust_mark` as a form to the issuer's
 * `federation_trust_mark_status_endpoint`, expecting `application/trust-mark-status-response+jwt`,
 * with the fetcher's limits and address guard.
 */
import { MEDIA_TYPES } from '../../federation/constants.js';
import type { TrustMarkStatusSource } from '../../engine/ports.js';
import type { HttpFetcher } from '../http/index.js';

/** A {@link TrustMarkStatusSource} over an {@link HttpFetcher}. */
export class HttpTrustMarkStatusSource implements TrustMarkStatusSource {
  readonly #fetcher: HttpFetcher;

  constructor(fetcher: HttpFetcher) {
    this.#fetcher = fetcher;
  }

  async fetchStatus(
    endpoint: string,
    trustMark: string,
    context: { readonly signal?: AbortSignal },
  ): Promise<string> {
    const response = await this.#fetcher.postForm(
      endpoint,
      { trust_mark: trustMark },
      {
        accept: MEDIA_TYPES.trustMarkStatusResponse,
        expectedContentType: MEDIA_TYPES.trustMarkStatusResponse,
        ...(context.signal === undefined ? {} : { signal: context.signal }),
      },
    );
    // A trailing newline is common in hand-served files and is not part of the JWS.
    return response.body.trim();
  }
}
