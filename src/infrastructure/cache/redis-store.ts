/**
 * The shared tier on Redis (ioredis): the engine's {@link SharedStore} port. Every key carries the
 * deployment's prefix and a format version, so two deployments can share one Redis and a new
 * format never reads an old one. Every command has a timeout; a failing Redis is skipped (calls
 * answer nothing) until the connection is ready again or a background probe succeeds, so Redis
 * never fails a resolution. Purges and lease releases are announced over pub/sub, on a second
 * connection. Redis Sentinel is supported through ioredis' own discovery of the primary.
 */
import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger, SharedStore } from '../../engine/ports.js';

/** The format version in every key: bump it when what is stored changes shape. */
export const SHARED_FORMAT_VERSION = 'v1';

/** How to reach Redis. */
export interface RedisStoreOptions {
  /** `redis://…` or `rediss://…`, unless `sentinels` are given. */
  readonly url?: string;
  /** Sentinels (`host`, `port`) and the name of the monitored primary. */
  readonly sentinels?: ReadonlyArray<{ readonly host: string; readonly port: number }>;
  readonly sentinelName?: string;
  /** Prefix of every key and channel of this deployment. */
  readonly keyPrefix: string;
  /** Longest wait for one command, milliseconds. */
  readonly timeoutMs: number;
  /** How often a Redis that failed is probed again, seconds. */
  readonly retrySeconds: number;
  readonly logger: Logger;
  /** Told whenever the store goes up or down. */
  readonly onStateChange?: (state: 'up' | 'down') => void;
}

/** Deletes the lease only when it is still ours (another replica may hold it after expiry). */
const RELEASE_SCRIPT =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/** Extends the lease only when it is still ours. */
const RENEW_SCRIPT =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";

/**
 * Consecutive failed commands before the store is skipped: one slow command on a busy process is
 * not a dead Redis (a lost connection is seen at once through the connection's own events).
 */
const FAILURES_BEFORE_DOWN = 3;

/** How often a replica waiting on a lease looks whether it is still held (announcements can be lost). */
const LEASE_POLL_MS = 250;

/** Most keys removed per command when purging a whole deployment. */
const PURGE_BATCH = 500;

/** A {@link SharedStore} on Redis. */
export class RedisStore implements SharedStore {
  readonly #options: RedisStoreOptions;
  readonly #redis: Redis;
  readonly #subscriber: Redis;
  readonly #base: string;
  readonly #leases = new Map<string, string>();
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #purgeListeners: Array<(entity: string | undefined) => void> = [];
  #state: 'up' | 'down' = 'down';
  #failures = 0;
  #probe: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: RedisStoreOptions) {
    this.#options = options;
    this.#base = `${options.keyPrefix}${SHARED_FORMAT_VERSION}:`;
    const common: RedisOptions = {
      // Fail fast instead of queueing while disconnected: a cache must never make callers wait.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.timeoutMs,
      connectTimeout: Math.max(options.timeoutMs * 10, 1000),
      retryStrategy: (attempt) => Math.min(attempt * 200, options.retrySeconds * 1000),
      lazyConnect: false,
    };
    this.#redis =
      options.sentinels !== undefined && options.sentinels.length > 0
        ? new Redis({
            ...common,
            sentinels: options.sentinels.map((s) => ({ host: s.host, port: s.port })),
            name: options.sentinelName ?? 'mymaster',
          })
        : new Redis(options.url ?? 'redis://127.0.0.1:6379', common);
    this.#subscriber = this.#redis.duplicate({ enableOfflineQueue: true });
    this.#redis.on('ready', () => this.#setState('up'));
    this.#redis.on('end', () => this.#setState('down'));
    this.#redis.on('close', () => this.#setState('down'));
    // Errors are reported through the state; ioredis reconnects by itself.
    this.#redis.on('error', () => undefined);
    this.#subscriber.on('error', () => undefined);
    this.#subscriber.on('message', (channel: string, message: string) =>
      this.#onMessage(channel, message),
    );
    void this.#subscriber
      .subscribe(this.#channel('purge'), this.#channel('released'))
      .catch(() => undefined);
  }

  get state(): 'up' | 'down' {
    return this.#state;
  }

  /**
   * Resolves once the first connection is ready, or after `timeoutMs` (a Redis unreachable at
   * boot is not fatal: the service starts, and uses it once it answers).
   */
  connected(timeoutMs: number): Promise<void> {
    if (this.#state === 'up') return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#redis.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      timer.unref();
      this.#redis.once('ready', done);
    });
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.#call((redis) => redis.get(this.#key(key)))) ?? undefined;
  }

  async set(
    key: string,
    value: string,
    ttlMs: number,
    entities: readonly string[],
  ): Promise<boolean> {
    const ttl = Math.max(1, Math.floor(ttlMs));
    const done = await this.#call((redis) => {
      const batch = redis.multi().set(this.#key(key), value, 'PX', ttl);
      for (const entity of new Set(entities)) {
        const index = this.#indexKey(entity);
        // The index lives as long as the longest entry it names (NX for a new set, GT after).
        batch.sadd(index, key).pexpire(index, ttl, 'NX').pexpire(index, ttl, 'GT');
      }
      return batch.exec();
    });
    return done !== undefined && done !== null;
  }

  async delete(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.#call((redis) => redis.unlink(...keys.map((key) => this.#key(key))));
  }

  async lease(key: string, ttlMs: number): Promise<boolean> {
    const token = randomUUID();
    const lease = this.#leaseKey(key);
    let taken = await this.#call((redis) =>
      redis.set(lease, token, 'PX', Math.max(1, Math.floor(ttlMs)), 'NX'),
    );
    // A command that timed out may still have been carried out: then the lease is ours, and
    // nobody else would take it until it lapses.
    if (taken === undefined && (await this.#call((redis) => redis.get(lease))) === token) {
      taken = 'OK';
    }
    if (taken !== 'OK') return false;
    this.#leases.set(key, token);
    return true;
  }

  async release(key: string): Promise<void> {
    const token = this.#leases.get(key);
    if (token === undefined) return;
    this.#leases.delete(key);
    // Tried even while the store is skipped: replicas waiting on this lease depend on it.
    await this.#call(async (redis) => {
      await redis.eval(RELEASE_SCRIPT, 1, this.#leaseKey(key), token);
      return redis.publish(this.#channel('released'), key);
    }, true);
  }

  /** Extends a lease this replica holds (a long piece of work keeps it while it runs). */
  async renew(key: string, ttlMs: number): Promise<boolean> {
    const token = this.#leases.get(key);
    if (token === undefined) return false;
    const renewed = await this.#call(
      (redis) => redis.eval(RENEW_SCRIPT, 1, this.#leaseKey(key), token, String(Math.floor(ttlMs))),
      true,
    );
    return renewed === 1;
  }

  awaitRelease(key: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const waiters = this.#waiters.get(key) ?? new Set<() => void>();
      this.#waiters.set(key, waiters);
      const done = () => {
        clearTimeout(timer);
        clearInterval(poll);
        waiters.delete(done);
        if (waiters.size === 0) this.#waiters.delete(key);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      timer.unref();
      // The announcement may never come (a holder that died, a lost message): the lease itself
      // is looked at too, and its absence ends the wait.
      const poll = setInterval(() => {
        void this.#call((redis) => redis.exists(this.#leaseKey(key))).then((held) => {
          if (held === 0) done();
        });
      }, LEASE_POLL_MS);
      poll.unref();
      waiters.add(done);
    });
  }

  async purge(entity: string | undefined): Promise<number> {
    const removed = await this.#call(async (redis) =>
      entity === undefined ? this.#purgeAll(redis) : this.#purgeEntity(redis, entity),
    );
    // Announced even when Redis could not delete: each replica still purges its process tier
    // when the announcement reaches it; the caller purges its own process tier in any case.
    await this.#call((redis) =>
      redis.publish(this.#channel('purge'), JSON.stringify({ entity: entity ?? null })),
    );
    return removed ?? 0;
  }

  onPurge(listener: (entity: string | undefined) => void): void {
    this.#purgeListeners.push(listener);
  }

  /** Closes both connections; afterwards every call answers nothing. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#probe !== undefined) clearInterval(this.#probe);
    for (const waiters of this.#waiters.values()) for (const done of [...waiters]) done();
    await Promise.all([
      this.#redis.quit().catch(() => this.#redis.disconnect()),
      this.#subscriber.quit().catch(() => this.#subscriber.disconnect()),
    ]);
  }

  async #purgeEntity(redis: Redis, entity: string): Promise<number> {
    const index = this.#indexKey(entity);
    const keys = await redis.smembers(index);
    const removed = keys.length === 0 ? 0 : await redis.unlink(...keys.map((k) => this.#key(k)));
    await redis.unlink(index);
    return removed;
  }

  async #purgeAll(redis: Redis): Promise<number> {
    let cursor = '0';
    let removed = 0;
    do {
      const [next, keys] = await redis.scan(
        cursor,
        'MATCH',
        `${this.#base}*`,
        'COUNT',
        PURGE_BATCH,
      );
      cursor = next;
      // Index sets and leases go too, but only data entries are counted.
      const data = keys.filter((key) => key.startsWith(`${this.#base}d:`)).length;
      if (keys.length > 0) await redis.unlink(...keys);
      removed += data;
    } while (cursor !== '0');
    return removed;
  }

  #onMessage(channel: string, message: string): void {
    if (channel === this.#channel('released')) {
      for (const done of [...(this.#waiters.get(message) ?? [])]) done();
      return;
    }
    if (channel !== this.#channel('purge')) return;
    let entity: string | undefined;
    try {
      const parsed = JSON.parse(message) as { entity?: unknown };
      entity = typeof parsed.entity === 'string' ? parsed.entity : undefined;
    } catch {
      return;
    }
    for (const listener of this.#purgeListeners) listener(entity);
  }

  /** Runs one command unless the store is down; a failure marks it down and answers nothing. */
  /**
   * Runs one command unless the store is skipped (`always`: even then, for what other replicas
   * wait on); a failure answers nothing, and a few in a row skip the store until it answers.
   */
  async #call<T>(command: (redis: Redis) => Promise<T>, always = false): Promise<T | undefined> {
    if (this.#closed || (this.#state === 'down' && !always)) return undefined;
    try {
      const result = await command(this.#redis);
      this.#failures = 0;
      return result;
    } catch (error) {
      if (++this.#failures < FAILURES_BEFORE_DOWN) return undefined;
      this.#options.logger.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'redis calls failed; serving from the process tier until it answers again',
      );
      this.#setState('down');
      this.#startProbe();
      return undefined;
    }
  }

  /** While down with an open connection (timeouts), PING in the background until it answers. */
  #startProbe(): void {
    if (this.#probe !== undefined || this.#closed) return;
    this.#probe = setInterval(() => {
      if (this.#redis.status !== 'ready') return; // the reconnect's 'ready' will bring it up
      this.#redis.ping().then(
        () => this.#setState('up'),
        () => undefined,
      );
    }, this.#options.retrySeconds * 1000);
    this.#probe.unref();
  }

  #setState(state: 'up' | 'down'): void {
    if (this.#closed && state === 'up') return;
    if (state === 'up' && this.#probe !== undefined) {
      clearInterval(this.#probe);
      this.#probe = undefined;
    }
    if (this.#state === state) return;
    this.#state = state;
    this.#options.logger[state === 'up' ? 'info' : 'warn']({ redis: state }, `redis is ${state}`);
    this.#options.onStateChange?.(state);
  }

  #key(key: string): string {
    return `${this.#base}d:${key}`;
  }

  #indexKey(entity: string): string {
    return `${this.#base}i:${entity}`;
  }

  #leaseKey(key: string): string {
    return `${this.#base}l:${key}`;
  }

  #channel(name: 'purge' | 'released'): string {
    return `${this.#base}${name}`;
  }
}
