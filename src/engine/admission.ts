/**
 * Admission of work that costs upstream requests (§18.1: a resolver is an amplifier, so one
 * caller must not be able to make it work for nobody else). Two parts:
 *
 * - a budget per client: a token bucket of cold resolutions (`rate` per second, `burst` at
 *   once); answers from cache are never charged;
 * - fair shares of the cold-resolution slots: when every slot is taken, waiting requests are
 *   queued per client, and each slot that frees goes to the waiting client that holds the fewest,
 *   so no client keeps more than its share while others wait. A wait is bounded in time and the
 *   queue in length.
 *
 * Time comes from the Clock port (seconds); waiting uses the platform's timers.
 */
import { TemporarilyUnavailableError } from '../federation/errors.js';
import type { Clock } from '../federation/ports.js';

/** Who asks: the front door's idea of the client (its address, after trusted proxies). */
export interface Caller {
  readonly client: string;
  /** Work the service does for itself: never charged to a budget (it still takes fair slots). */
  readonly internal?: boolean;
}

/** Work the service does for itself (trust mark issuers' chains, refreshes): never charged. */
export const INTERNAL_CALLER: Caller = { client: '(internal)', internal: true };

/**
 * The crawler (crawler.ts): never charged either, but a client of its own for the fair shares
 * of the slots, so a crawl cannot take more of them than any client.
 */
export const CRAWLER_CALLER: Caller = { client: '(crawler)', internal: true };

/** Settings of {@link Admission}. */
export interface AdmissionOptions {
  /** Cold resolutions a client may start per second; 0 turns the budget off. */
  readonly clientRate: number;
  /** Cold resolutions a client may start at once. */
  readonly clientBurst: number;
  /** Cold resolutions in progress at most. */
  readonly slots: number;
  /** Longest wait for a slot, milliseconds. */
  readonly maxWaitMs: number;
  /** Most requests waiting for a slot, all clients together. */
  readonly maxWaiting: number;
  /** Most clients whose budget is remembered; idle (full) buckets are forgotten first. */
  readonly maxClients?: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

interface Waiter {
  readonly grant: (release: () => void) => void;
}

/** The default number of clients whose budgets are remembered. */
const DEFAULT_MAX_CLIENTS = 50_000;

/** Budgets and fair slots for cold resolutions. */
export class Admission {
  readonly #options: AdmissionOptions;
  readonly #clock: Clock;
  readonly #buckets = new Map<string, Bucket>();
  readonly #active = new Map<string, number>();
  readonly #waiting = new Map<string, Waiter[]>();
  #activeTotal = 0;
  #waitingTotal = 0;

  constructor(options: AdmissionOptions, clock: Clock) {
    this.#options = options;
    this.#clock = clock;
  }

  /** Cold-resolution slots in all. */
  get slots(): number {
    return this.#options.slots;
  }

  /** Cold resolutions in progress. */
  get active(): number {
    return this.#activeTotal;
  }

  /** Requests waiting for a slot. */
  get waiting(): number {
    return this.#waitingTotal;
  }

  /**
   * Charges one cold resolution to `caller`'s budget, or throws `rate_limited` with the seconds
   * until the next one is allowed.
   */
  charge(caller: Caller): void {
    const { clientRate, clientBurst } = this.#options;
    if (clientRate <= 0 || caller.internal === true) return;
    const now = this.#clock.now();
    let bucket = this.#buckets.get(caller.client);
    if (bucket === undefined) {
      this.#forgetOldestClients();
      bucket = { tokens: clientBurst, updatedAt: now };
    } else {
      bucket.tokens = Math.min(clientBurst, bucket.tokens + (now - bucket.updatedAt) * clientRate);
      bucket.updatedAt = now;
      this.#buckets.delete(caller.client);
    }
    this.#buckets.set(caller.client, bucket);
    if (bucket.tokens < 1) {
      const retryAfter = Math.max(1, Math.ceil((1 - bucket.tokens) / clientRate));
      throw new TemporarilyUnavailableError(
        `this client started more than ${clientRate} new resolutions per second (burst ${clientBurst}); answers from cache are not limited`,
        { reason: 'rate_limited', section: '§18.1', retryAfter },
      );
    }
    bucket.tokens -= 1;
  }

  /**
   * A cold-resolution slot for `caller`, waiting for a fair turn when all are taken; resolves to
   * the function that gives it back. Throws `overloaded` when the wait would be too long.
   */
  acquire(caller: Caller): Promise<() => void> {
    const { slots, maxWaiting, maxWaitMs } = this.#options;
    if (this.#activeTotal < slots && this.#waitingTotal === 0) {
      return Promise.resolve(this.#take(caller.client));
    }
    if (this.#waitingTotal >= maxWaiting) {
      return Promise.reject(overloaded(maxWaitMs));
    }
    return new Promise((resolve, reject) => {
      const queue = this.#waiting.get(caller.client) ?? [];
      let timer: NodeJS.Timeout | undefined;
      const leave = (error: TemporarilyUnavailableError): void => {
        const index = queue.indexOf(waiter);
        if (index === -1) return;
        queue.splice(index, 1);
        this.#waitingTotal--;
        if (queue.length === 0) this.#waiting.delete(caller.client);
        clearTimeout(timer);
        reject(error);
      };
      const waiter: Waiter = {
        grant: (release) => {
          clearTimeout(timer);
          resolve(release);
        },
      };
      queue.push(waiter);
      this.#waiting.set(caller.client, queue);
      this.#waitingTotal++;
      timer = setTimeout(() => leave(overloaded(maxWaitMs)), maxWaitMs);
    });
  }

  #take(client: string): () => void {
    this.#activeTotal++;
    this.#active.set(client, (this.#active.get(client) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#activeTotal--;
      const held = (this.#active.get(client) ?? 1) - 1;
      if (held === 0) this.#active.delete(client);
      else this.#active.set(client, held);
      this.#handOver();
    };
  }

  /** Gives a free slot to the waiting client that holds the fewest (the longest-waiting on ties). */
  #handOver(): void {
    while (this.#activeTotal < this.#options.slots && this.#waitingTotal > 0) {
      let chosen: string | undefined;
      let fewest = Infinity;
      for (const client of this.#waiting.keys()) {
        const held = this.#active.get(client) ?? 0;
        if (held < fewest) {
          fewest = held;
          chosen = client;
        }
      }
      if (chosen === undefined) return;
      const queue = this.#waiting.get(chosen) ?? [];
      const waiter = queue.shift();
      if (queue.length === 0) this.#waiting.delete(chosen);
      // A map keeps insertion order: a client served goes to the back among its equals.
      else {
        this.#waiting.delete(chosen);
        this.#waiting.set(chosen, queue);
      }
      if (waiter === undefined) continue;
      this.#waitingTotal--;
      waiter.grant(this.#take(chosen));
    }
  }

  /**
   * Keeps the budgets map bounded. The map is in order of last use (a charge moves a bucket to
   * the end), so the least recently seen tenth goes when it is full; a client forgotten starts
   * again with a full burst.
   */
  #forgetOldestClients(): void {
    const max = this.#options.maxClients ?? DEFAULT_MAX_CLIENTS;
    if (this.#buckets.size < max) return;
    let drop = Math.max(1, Math.floor(max / 10));
    for (const client of this.#buckets.keys()) {
      if (drop-- <= 0) break;
      this.#buckets.delete(client);
    }
  }
}

function overloaded(maxWaitMs: number): TemporarilyUnavailableError {
  return new TemporarilyUnavailableError('too many resolutions are in progress; retry shortly', {
    reason: 'overloaded',
    section: '§18.1',
    retryAfter: Math.max(1, Math.ceil(maxWaitMs / 1000)),
  });
}
