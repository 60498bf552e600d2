/**
 * The statement cache in front of the upstream StatementSource (§10.2: statements MAY be cached
 * until they expire): raw statements by URL until their own `exp` (capped), failures for a few
 * seconds so a broken upstream is not hammered (§10.5), and concurrent requests for one URL share
 * a single upstream request. Storage is a {@link CacheTier}; statements the resolver rejected are
 * forgotten through {@link CachingStatementSource.discard}.
 */
import { entityConfigurationUrl, fetchEndpointUrl } from '../federation/entity-id.js';
import {
  TemporarilyUnavailableError,
  errorFromDetail,
  toFederationError,
  type FailureDetail,
  type FederationError,
} from '../federation/errors.js';
import { getOwn, isPlainObject } from '../federation/json.js';
import type {
  Clock,
  FetchContext,
  FetchedStatement,
  StatementSource,
} from '../federation/ports.js';
import { Coalescer } from './coalescer.js';
import type { CacheTier, EngineMetrics } from './ports.js';

/** Settings of {@link CachingStatementSource}. */
export interface StatementCacheOptions {
  /** Longest time a statement is kept, even when its `exp` is later. */
  readonly maxTtlSeconds: number;
  /** How long a failure is remembered; 0 disables negative caching. */
  readonly negativeTtlSeconds: number;
  /**
   * How long a failure a retry may cure (§10.5) is remembered when the upstream gave no
   * Retry-After (at most `negativeTtlSeconds`).
   */
  readonly transientTtlSeconds: number;
}

/** Longest Retry-After honoured, seconds. */
const MAX_RETRY_AFTER_SECONDS = 300;

/** A cached statement, or a cached failure (kept as data: its reason, never a body). */
export type CachedStatement =
  { readonly jwt: string; readonly exp: number } | { readonly failure: FailureDetail };

/** Dependencies of {@link CachingStatementSource}. */
export interface StatementCacheDependencies {
  readonly upstream: StatementSource;
  readonly tier: CacheTier<CachedStatement>;
  readonly clock: Clock;
  readonly options: StatementCacheOptions;
  readonly metrics?: EngineMetrics;
}

/** Bytes a cached failure is charged: its detail as JSON (URL and message included). */
function failureSize(failure: FailureDetail): number {
  return JSON.stringify(failure).length + 64;
}

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

function deadline(url: string): TemporarilyUnavailableError {
  return new TemporarilyUnavailableError(
    'the resolution deadline passed while waiting for a statement',
    { reason: 'deadline_exceeded', url },
  );
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

/** A StatementSource that caches another one. */
export class CachingStatementSource implements StatementSource {
  readonly #deps: StatementCacheDependencies;
  readonly #inFlight = new Coalescer<FetchedStatement>();

  constructor(deps: StatementCacheDependencies) {
    this.#deps = deps;
  }

  fetchEntityConfiguration(entityId: string, context: FetchContext): Promise<FetchedStatement> {
    return this.#get(entityConfigurationUrl(entityId), context, () =>
      this.#deps.upstream.fetchEntityConfiguration(entityId, {}),
    );
  }

  fetchSubordinateStatement(
    fetchEndpoint: string,
    subject: string,
    context: FetchContext,
  ): Promise<FetchedStatement> {
    return this.#get(fetchEndpointUrl(fetchEndpoint, subject), context, () =>
      this.#deps.upstream.fetchSubordinateStatement(fetchEndpoint, subject, {}),
    );
  }

  /**
   * Forgets the cached copies of `urls`: the resolver found them unusable, and a fixed statement
   * published upstream must be picked up without waiting for the old one's exp.
   */
  async discard(urls: Iterable<string>): Promise<void> {
    await Promise.all([...new Set(urls)].map((url) => this.#deps.tier.delete(url)));
  }

  async #get(
    url: string,
    context: FetchContext,
    load: () => Promise<FetchedStatement>,
  ): Promise<FetchedStatement> {
    const { clock, metrics, tier } = this.#deps;
    const started = clock.now();
    const cached = context.refresh === true ? undefined : await tier.get(url);
    if (cached !== undefined) {
      if ('failure' in cached) {
        metrics?.cacheLookup('statements', true);
        throw errorFromDetail(cached.failure);
      }
      // Never serve past exp, whatever the tier's own timer says.
      if (cached.exp > clock.now()) {
        metrics?.cacheLookup('statements', true);
        return { jwt: cached.jwt, url, cacheHit: true, durationMs: (clock.now() - started) * 1000 };
      }
      await tier.delete(url);
    }
    metrics?.cacheLookup('statements', false);
    // The shared request runs without any caller's signal: one caller's deadline must not fail
    // the others. The fetcher's own timeout bounds it.
    return raceSignal(
      this.#inFlight.run(url, () => this.#load(url, load)),
      context.signal,
      url,
    );
  }

  async #load(url: string, load: () => Promise<FetchedStatement>): Promise<FetchedStatement> {
    const { clock, options, tier } = this.#deps;
    try {
      const fetched = await load();
      const exp = peekExp(fetched.jwt);
      const ttlSeconds = exp === undefined ? 0 : Math.min(exp - clock.now(), options.maxTtlSeconds);
      if (exp !== undefined && ttlSeconds > 0) {
        await tier.set(
          url,
          { jwt: fetched.jwt, exp },
          {
            ttlMs: Math.floor(ttlSeconds * 1000),
            sizeBytes: fetched.jwt.length + url.length,
          },
        );
      }
      return fetched;
    } catch (error) {
      const failure = toFederationError(error);
      const ttlMs = this.#failureTtlSeconds(failure) * 1000;
      if (ttlMs > 0) {
        const detail = failure.toDetail();
        await tier.set(url, { failure: detail }, { ttlMs, sizeBytes: failureSize(detail) });
      }
      throw failure;
    }
  }

  /**
   * How long a failure is remembered: permanent ones for the negative TTL; transient ones
   * briefly, or for as long as the upstream asked us to wait (Retry-After, capped); our own
   * deadline and our own congestion say nothing about the upstream and are not remembered.
   */
  #failureTtlSeconds(failure: FederationError): number {
    const { negativeTtlSeconds, transientTtlSeconds } = this.#deps.options;
    if (negativeTtlSeconds === 0) return 0;
    if (failure.reason === 'deadline_exceeded' || failure.reason === 'upstream_queue_timeout') {
      return 0;
    }
    if (failure.code !== 'temporarily_unavailable') return negativeTtlSeconds;
    const { retryAfter } = failure.location;
    return retryAfter === undefined
      ? Math.min(negativeTtlSeconds, transientTtlSeconds)
      : Math.min(retryAfter, MAX_RETRY_AFTER_SECONDS);
  }
}
