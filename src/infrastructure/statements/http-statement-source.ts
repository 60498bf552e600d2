/**
 * StatementSource over HTTP (§9, §8.1): Entity Configurations from the well-known URL and
 * Subordinate Statements from fetch endpoints, with the fetcher's limits and address guard.
 */
import { MEDIA_TYPES } from '../../federation/constants.js';
import { entityConfigurationUrl, fetchEndpointUrl } from '../../federation/entity-id.js';
import { FederationError } from '../../federation/errors.js';
import type { FetchContext, FetchedStatement, StatementSource } from '../../federation/ports.js';
import type { HttpFetcher } from '../http/index.js';
import type { Metrics } from '../metrics.js';

/** Fetches statements with an {@link HttpFetcher}; never caches, never verifies. */
export class HttpStatementSource implements StatementSource {
  readonly #fetcher: HttpFetcher;
  readonly #metrics: Metrics | undefined;

  constructor(fetcher: HttpFetcher, metrics?: Metrics) {
    this.#fetcher = fetcher;
    this.#metrics = metrics;
  }

  fetchEntityConfiguration(entityId: string, context: FetchContext): Promise<FetchedStatement> {
    return this.#fetch(entityConfigurationUrl(entityId), context);
  }

  fetchSubordinateStatement(
    fetchEndpoint: string,
    subject: string,
    context: FetchContext,
  ): Promise<FetchedStatement> {
    return this.#fetch(fetchEndpointUrl(fetchEndpoint, subject), context);
  }

  async #fetch(url: string, context: FetchContext): Promise<FetchedStatement> {
    const started = performance.now();
    try {
      const response = await this.#fetcher.get(url, {
        accept: MEDIA_TYPES.entityStatement,
        expectedContentType: MEDIA_TYPES.entityStatement,
        ...(context.signal === undefined ? {} : { signal: context.signal }),
      });
      this.#record('200', started);
      // A trailing newline is common in hand-served files and is not part of the JWS.
      return { jwt: response.body.trim(), url, cacheHit: false, durationMs: response.durationMs };
    } catch (error) {
      this.#record(
        error instanceof FederationError
          ? (error.location.status?.toString() ?? error.reason)
          : 'error',
        started,
      );
      throw error;
    }
  }

  #record(result: string, started: number): void {
    this.#metrics?.upstreamFetches.inc({ result });
    this.#metrics?.upstreamSeconds.observe({ result }, (performance.now() - started) / 1000);
  }
}
