/**
 * A StatementSource cache (§10.2: statements MAY be cached until they expire): raw statements by
 * URL until their own `exp` (capped), failures for a few seconds so a broken upstream is not
 * hammered (§10.5), and concurrent requests for one URL share a single upstream request.
 */
import { LRUCache } from 'lru-cache';
import { entityConfigurationUrl, fetchEndpointUrl } from '../../federation/entity-id.js';
import { FederationError, TemporarilyUnavailableError } from '../../federation/errors.js';
import { getOwn, isPlainObject } from '../../federation/json.js';
import type {
  Clock,
  FetchContext,
  FetchedStatement,
  StatementSource,
} from '../../federation/ports.js';
import type { Metrics } from '../metrics.js';

/** Settings of {@link CachingStatementSource}. */
export interface StatementCacheOptions {
  readonly maxEntries: number;
  /** Longest time a statement is kept, even when its `exp` is later. */
  readonly maxTtlSeconds: number;
  /** How long a failure is remembered; 0 disables negative caching. */
  readonly negativeTtlSeconds: number;
  readonly clock: Clock;
  readonly metrics?: Metrics;
}

type Entry = { readonly jwt: string; readonly exp: number } | { readonly error: FederationError };

/** `exp` of a compact JWS, read without verification, or undefined. */
function peekExp(jwt: string): number | undefined {
  const payload = jwt.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const exp = isPlainObject(claims) ? getOwn(claims, 'exp') : undefined;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp : undefined;
  } catch {
    return undefined;
  }
}

/** Rejects when `signal` aborts, without cancelling the shared work behind `promise`. */
function raceSignal<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  url: string,
): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(deadline(url));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(deadline(url));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function deadline(url: string): TemporarilyUnavailableError {
  return new TemporarilyUnavailableError(
    'the resolution deadline passed while waiting for a statement',
    {
      reason: 'deadline_exceeded',
      url,
    },
  );
}

/** Caches another StatementSource. */
export class CachingStatementSource implements StatementSource {
  readonly #inner: StatementSource;
  readonly #options: StatementCacheOptions;
  readonly #entries: LRUCache<string, Entry>;
  readonly #inFlight = new Map<string, Promise<FetchedStatement>>();

  constructor(inner: StatementSource, options: StatementCacheOptions) {
    this.#inner = inner;
    this.#options = options;
    this.#entries = new LRUCache({ max: options.maxEntries });
    options.metrics?.trackCacheSize('statements', () => this.#entries.size);
  }

  fetchEntityConfiguration(entityId: string, context: FetchContext): Promise<FetchedStatement> {
    return this.#get(entityConfigurationUrl(entityId), context, () =>
      this.#inner.fetchEntityConfiguration(entityId, {}),
    );
  }

  fetchSubordinateStatement(
    fetchEndpoint: string,
    subject: string,
    context: FetchContext,
  ): Promise<FetchedStatement> {
    return this.#get(fetchEndpointUrl(fetchEndpoint, subject), context, () =>
      this.#inner.fetchSubordinateStatement(fetchEndpoint, subject, {}),
    );
  }

  /** Forgets the cached copy (or cached failure) of `url`. */
  discard(url: string): void {
    this.#entries.delete(url);
  }

  /** Entries held (for tests and metrics). */
  get size(): number {
    return this.#entries.size;
  }

  async #get(
    url: string,
    context: FetchContext,
    load: () => Promise<FetchedStatement>,
  ): Promise<FetchedStatement> {
    const started = performance.now();
    const cached = context.refresh === true ? undefined : this.#entries.get(url);
    if (cached !== undefined) {
      if ('error' in cached) {
        this.#options.metrics?.cacheLookup('statements', true);
        throw cached.error;
      }
      // Never serve past exp, whatever the cache's own timer says.
      if (cached.exp > this.#options.clock.now()) {
        this.#options.metrics?.cacheLookup('statements', true);
        return { jwt: cached.jwt, url, cacheHit: true, durationMs: performance.now() - started };
      }
      this.#entries.delete(url);
    }
    this.#options.metrics?.cacheLookup('statements', false);
    let shared = this.#inFlight.get(url);
    if (shared === undefined) {
      // The shared request runs without any caller's signal: one caller's deadline must not fail
      // the others. The fetcher's own timeout bounds it.
      shared = this.#load(url, load).finally(() => this.#inFlight.delete(url));
      this.#inFlight.set(url, shared);
    }
    return raceSignal(shared, context.signal, url);
  }

  async #load(url: string, load: () => Promise<FetchedStatement>): Promise<FetchedStatement> {
    try {
      const fetched = await load();
      const exp = peekExp(fetched.jwt);
      const ttlSeconds =
        exp === undefined
          ? 0
          : Math.min(exp - this.#options.clock.now(), this.#options.maxTtlSeconds);
      if (exp !== undefined && ttlSeconds > 0) {
        this.#entries.set(url, { jwt: fetched.jwt, exp }, { ttl: Math.floor(ttlSeconds * 1000) });
      }
      return fetched;
    } catch (error) {
      const ttl = this.#options.negativeTtlSeconds * 1000;
      // Our own deadline says nothing about the upstream; everything else is remembered briefly.
      if (error instanceof FederationError && error.reason !== 'deadline_exceeded' && ttl > 0) {
        this.#entries.set(url, { error }, { ttl });
      }
      throw error;
    }
  }
}
