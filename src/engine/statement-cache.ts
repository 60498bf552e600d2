/**
 * The statement cache in front of the upstream StatementSource (§10.2: statements MAY be cached
 * until they expire): raw statements by URL until their own `exp` (capped), failures for a few
 * seconds so a broken upstream is not hammered (§10.5), and concurrent requests for one URL share
 * a single upstream request. Storage is a {@link CacheTier}; statements the resolver rejected are
 * forgotten through {@link CachingStatementSource.discard}.
 */
import { WELL_KNOWN_FEDERATION_PATH } from '../federation/constants.js';
import { entityConfigurationUrl, fetchEndpointUrl } from '../federation/entity-id.js';
import {
  TemporarilyUnavailableError,
  errorFromDetail,
  readFailureDetail,
  toFederationError,
  type FailureDetail,
  type FederationError,
} from '../federation/errors.js';
import { getOwn, isPlainObject, parseJsonObject } from '../federation/json.js';
import type {
  Clock,
  FetchContext,
  FetchedStatement,
  StatementSource,
} from '../federation/ports.js';
import { Coalescer } from './coalescer.js';
import type { CacheTier, EngineMetrics, SharedStore } from './ports.js';

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
  | { readonly jwt: string; readonly exp: number }
  | { readonly failure: FailureDetail; readonly until?: number };

/** Dependencies of {@link CachingStatementSource}. */
export interface StatementCacheDependencies {
  readonly upstream: StatementSource;
  readonly tier: CacheTier<CachedStatement>;
  readonly clock: Clock;
  readonly options: StatementCacheOptions;
  readonly metrics?: EngineMetrics;
  /**
   * The tier shared by every replica (Redis), behind the process tier. What it holds is raw
   * statements, checked by the resolver like fetched ones; a failure read from it is held at
   * most for this replica's own failure TTL.
   */
  readonly shared?: SharedStore;
  /** Longest wait for another replica fetching the same statement, milliseconds. */
  readonly sharedWaitMs?: number;
}

/** Most URLs remembered as served from the shared tier (to tell tampered entries apart). */
const MAX_SHARED_ORIGINS = 10_000;

/** The shared-tier key of a statement URL. */
function sharedKey(url: string): string {
  return `s:${url}`;
}

/**
 * The entities a cached statement concerns (what a purge of one of them removes): its `iss` and
 * `sub`, or for a failure the entity its URL asks about.
 */
export function statementEntities(url: string, cached: CachedStatement): string[] {
  if ('jwt' in cached) {
    const claims = peekClaims(cached.jwt);
    return [claims?.['iss'], claims?.['sub']].filter((id): id is string => typeof id === 'string');
  }
  return [entityOfUrl(url)].filter((id): id is string => id !== undefined);
}

/** The entity a statement URL asks about: the `sub` of a fetch, or the configuration's owner. */
function entityOfUrl(url: string): string | undefined {
  if (url.endsWith(WELL_KNOWN_FEDERATION_PATH)) {
    return url.slice(0, -WELL_KNOWN_FEDERATION_PATH.length);
  }
  try {
    return new URL(url).searchParams.get('sub') ?? undefined;
  } catch {
    return undefined;
  }
}

/** Bytes a cached failure is charged: its detail as JSON (URL and message included). */
function failureSize(failure: FailureDetail): number {
  return JSON.stringify(failure).length + 64;
}

/** The claims of a compact JWS, read without verification, or undefined. */
function peekClaims(jwt: string): Record<string, unknown> | undefined {
  const payload = jwt.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return isPlainObject(claims) ? claims : undefined;
  } catch {
    return undefined;
  }
}

/** `exp` of a compact JWS, read without verification, or undefined. */
function peekExp(jwt: string): number | undefined {
  const claims = peekClaims(jwt);
  const exp = claims === undefined ? undefined : getOwn(claims, 'exp');
  return typeof exp === 'number' && Number.isFinite(exp) ? exp : undefined;
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
  /** URLs whose statement came from the shared tier (see discard). */
  readonly #fromShared = new Set<string>();

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
   * Forgets the cached copies of `urls`, in the process tier and the shared one: the resolver
   * found them unusable, and a fixed statement published upstream must be picked up without
   * waiting for the old one's exp. Resolves with those of them that were read from the shared
   * tier (whoever wrote them there, the resolver would not vouch for them).
   */
  async discard(urls: Iterable<string>): Promise<string[]> {
    const unique = [...new Set(urls)];
    await Promise.all(unique.map((url) => this.#deps.tier.delete(url)));
    await this.#deps.shared?.delete(unique.map(sharedKey));
    const shared = unique.filter((url) => this.#fromShared.has(url));
    for (const url of shared) this.#fromShared.delete(url);
    return shared;
  }

  /** Forgets, in the process tier only, every statement by or about `entity` (all when undefined). */
  purgeLocal(entity: string | undefined): Promise<number> {
    return this.#deps.tier.deleteWhere(
      (url, cached) => entity === undefined || statementEntities(url, cached).includes(entity),
    );
  }

  async #get(
    url: string,
    context: FetchContext,
    load: () => Promise<FetchedStatement>,
  ): Promise<FetchedStatement> {
    const { clock, metrics, tier } = this.#deps;
    const started = clock.now();
    const cached =
      context.refresh === true
        ? undefined
        : ((await tier.get(url)) ?? (await this.#fromSharedTier(url)));
    // Never serve past exp (or a failure past its time), whatever the tier's own timer says.
    const live =
      cached !== undefined &&
      ('failure' in cached ? (cached.until ?? Infinity) > clock.now() : cached.exp > clock.now());
    if (cached !== undefined && live) {
      metrics?.cacheLookup('statements', true);
      if ('failure' in cached) throw errorFromDetail(cached.failure);
      return { jwt: cached.jwt, url, cacheHit: true, durationMs: (clock.now() - started) * 1000 };
    }
    if (cached !== undefined) await tier.delete(url);
    metrics?.cacheLookup('statements', false);
    // The shared request runs without any caller's signal: one caller's deadline must not fail
    // the others. The fetcher's own timeout bounds it.
    return raceSignal(
      this.#inFlight.run(url, () => this.#load(url, load)),
      context.signal,
      url,
    );
  }

  /**
   * A statement another replica cached, put into the process tier. Its `exp` is read from the JWS
   * itself and a failure is kept no longer than this replica's own TTL for it: nothing stored in
   * the shared tier is taken on trust, and the statement is still checked by the resolver.
   */
  async #fromSharedTier(url: string): Promise<CachedStatement | undefined> {
    const { clock, options, shared, tier } = this.#deps;
    if (shared === undefined) return undefined;
    const raw = await shared.get(sharedKey(url));
    this.#deps.metrics?.cacheLookup('shared_statements', raw !== undefined);
    if (raw === undefined) return undefined;
    const now = clock.now();
    const value = this.#decodeShared(raw, now);
    if (value === undefined) {
      this.#deps.metrics?.sharedRejected('statement');
      await shared.delete([sharedKey(url)]);
      return undefined;
    }
    const ttlSeconds =
      'jwt' in value
        ? Math.min(value.exp - now, options.maxTtlSeconds)
        : (value.until ?? now) - now;
    if (ttlSeconds <= 0) return undefined;
    const sizeBytes = 'jwt' in value ? value.jwt.length + url.length : failureSize(value.failure);
    await tier.set(url, value, { ttlMs: Math.floor(ttlSeconds * 1000), sizeBytes });
    if ('jwt' in value) {
      if (this.#fromShared.size >= MAX_SHARED_ORIGINS) this.#fromShared.clear();
      this.#fromShared.add(url);
    }
    return value;
  }

  #decodeShared(raw: string, now: number): CachedStatement | undefined {
    const parsed = parseJsonObject(raw);
    if (parsed === undefined) return undefined;
    const jwt = getOwn(parsed, 'jwt');
    if (typeof jwt === 'string') {
      if (jwt.length > 1024 * 1024) return undefined;
      const exp = peekExp(jwt);
      return exp === undefined || exp <= now ? undefined : { jwt, exp };
    }
    const failure = readFailureDetail(getOwn(parsed, 'failure'));
    const until = getOwn(parsed, 'until');
    if (failure === undefined || typeof until !== 'number') return undefined;
    const ttl = this.#failureTtlSeconds(errorFromDetail(failure));
    return { failure, until: Math.min(until, now + ttl) };
  }

  async #load(url: string, load: () => Promise<FetchedStatement>): Promise<FetchedStatement> {
    const { shared, sharedWaitMs } = this.#deps;
    // Across replicas: one fetches, the others wait for its result (or, after the wait, fetch).
    if (shared !== undefined && shared.state === 'up') {
      const key = sharedKey(url);
      const waitMs = sharedWaitMs ?? 5000;
      if (!(await shared.lease(key, waitMs))) {
        await shared.awaitRelease(key, waitMs);
        const cached = await this.#fromSharedTier(url);
        if (cached !== undefined) {
          if ('failure' in cached) throw errorFromDetail(cached.failure);
          return { jwt: cached.jwt, url, cacheHit: true, durationMs: 0 };
        }
      } else {
        try {
          // Another replica may have stored it between this replica's miss and its lease.
          const stored = await this.#fromSharedTier(url);
          if (stored !== undefined && 'jwt' in stored) {
            return { jwt: stored.jwt, url, cacheHit: true, durationMs: 0 };
          }
          return await this.#fetchAndStore(url, load);
        } finally {
          await shared.release(key);
        }
      }
    }
    return this.#fetchAndStore(url, load);
  }

  async #fetchAndStore(
    url: string,
    load: () => Promise<FetchedStatement>,
  ): Promise<FetchedStatement> {
    const { clock, tier } = this.#deps;
    try {
      const fetched = await load();
      const held = await this.#hold(url, fetched.jwt);
      if (held !== undefined) await this.#share(url, held.value, held.ttlMs);
      return fetched;
    } catch (error) {
      const failure = toFederationError(error);
      const ttlMs = this.#failureTtlSeconds(failure) * 1000;
      if (ttlMs > 0) {
        const value = { failure: failure.toDetail(), until: clock.now() + ttlMs / 1000 };
        await tier.set(url, value, { ttlMs, sizeBytes: failureSize(value.failure) });
        await this.#share(url, value, ttlMs);
      }
      throw failure;
    }
  }

  /**
   * Holds `jwt`, received from `url` by another thread of this process (a resolution runner
   * that validated it), as if fetched here, unless a copy is held already. Like any cached
   * statement it is checked again by the resolver that uses it.
   */
  async hold(url: string, jwt: string): Promise<void> {
    if ((await this.#deps.tier.get(url)) === undefined) await this.#hold(url, jwt);
  }

  /** Puts a statement into the process tier until its own `exp` (capped); what was stored. */
  async #hold(
    url: string,
    jwt: string,
  ): Promise<{ value: CachedStatement; ttlMs: number } | undefined> {
    const { clock, options, tier } = this.#deps;
    const exp = peekExp(jwt);
    const ttlSeconds = exp === undefined ? 0 : Math.min(exp - clock.now(), options.maxTtlSeconds);
    if (exp === undefined || ttlSeconds <= 0) return undefined;
    const value = { jwt, exp };
    const ttlMs = Math.floor(ttlSeconds * 1000);
    await tier.set(url, value, { ttlMs, sizeBytes: jwt.length + url.length });
    return { value, ttlMs };
  }

  async #share(url: string, value: CachedStatement, ttlMs: number): Promise<void> {
    await this.#deps.shared?.set(
      sharedKey(url),
      JSON.stringify(value),
      ttlMs,
      statementEntities(url, value),
    );
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
