/**
 * Subordinate Listings over HTTP (§8.2): GET of a `federation_list_endpoint`, with the fetcher's
 * limits and address guard, answered with `application/json`. Parses the body, never trusts it.
 */
import { MEDIA_TYPES } from '../../federation/constants.js';
import { InvalidTrustChainError } from '../../federation/errors.js';
import type { SubordinateListingSource } from '../../engine/ports.js';
import type { HttpFetcher } from '../http/index.js';

/** Lists subordinates with an {@link HttpFetcher}. */
export class HttpListingSource implements SubordinateListingSource {
  readonly #fetcher: HttpFetcher;

  constructor(fetcher: HttpFetcher) {
    this.#fetcher = fetcher;
  }

  async list(
    endpoint: string,
    filters: Readonly<Record<string, string>>,
    context: { readonly signal?: AbortSignal },
  ): Promise<unknown> {
    const url = new URL(endpoint);
    for (const [name, value] of Object.entries(filters)) url.searchParams.append(name, value);
    const response = await this.#fetcher.get(url.href, {
      accept: MEDIA_TYPES.json,
      expectedContentType: MEDIA_TYPES.json,
      ...(context.signal === undefined ? {} : { signal: context.signal }),
    });
    try {
      return JSON.parse(response.body) as unknown;
    } catch (cause) {
      throw new InvalidTrustChainError(`the list at ${url.href} is not JSON`, {
        reason: 'list_invalid',
        section: '§8.2',
        url: url.href,
        cause,
      });
    }
  }
}
