/**
 * A per-origin circuit breaker for the outbound HTTP client (docs/architecture.md, floor
 * `infrastructure/`): when one origin's transient failures reach `failureThreshold` within
 * `windowMs` and outnumber its successes there, its requests fail at once for a while instead of
 * each waiting for the same timeout or error. An origin that answers at least as often as it
 * fails stays closed, so a few failing paths of a shared host cannot cut off the rest of it.
 *
 * States of one origin:
 *
 * - `closed`: requests go; transient failures and successes are counted over a sliding window
 *   (the current `windowMs` and the one before it, weighted by how much of it still overlaps); an
 *   origin with nothing to count for two windows is forgotten.
 * - `open`: requests are refused without a connection until `openMs` (or the upstream's
 *   Retry-After, RFC 9110 §10.2.3, when longer; at most 300 s) has passed.
 * - `half_open`: one request at a time (the probe) goes; its success closes the circuit, its
 *   transient failure opens it again, and any other outcome lets the next request probe.
 *
 * The move from `open` to `half_open` happens when the origin is next looked at (a request or
 * {@link CircuitBreaker.state}); no timer runs. What counts as a transient failure is the
 * caller's decision: this class only counts what it is told.
 */
import { performance } from 'node:perf_hooks';

/** The state of one origin's circuit. */
export type CircuitState = 'closed' | 'open' | 'half_open';

/** Called when an origin's circuit changes state. */
export type CircuitChangeListener = (
  origin: string,
  state: 'open' | 'half_open' | 'closed',
) => void;

/** Configuration of a CircuitBreaker. */
export interface CircuitBreakerOptions {
  /** Transient failures within `windowMs` that open the circuit (default 5). */
  readonly failureThreshold?: number;
  /** How long failures are counted together, in milliseconds (default 10000). */
  readonly windowMs?: number;
  /** How long an opened circuit refuses requests, in milliseconds (default 30000). */
  readonly openMs?: number;
  /** A monotonic clock in milliseconds (default `performance.now`). */
  readonly now?: () => number;
  /** Most origins remembered (default 10000); the least recently failed are forgotten first. */
  readonly maxOrigins?: number;
  /** Observer of state changes (metrics, logs). An exception it throws is ignored. */
  readonly onChange?: CircuitChangeListener;
}

/** Default of `failureThreshold`. */
export const DEFAULT_FAILURE_THRESHOLD = 5;
/** Default of `openMs`. */
export const DEFAULT_OPEN_MS = 30_000;
/** Default of `windowMs`. */
export const DEFAULT_WINDOW_MS = 10_000;
/** Default of `maxOrigins`. */
export const DEFAULT_MAX_CIRCUIT_ORIGINS = 10_000;
/** Longest time an upstream's Retry-After keeps a circuit open, in seconds. */
export const MAX_RETRY_AFTER_SECONDS = 300;

/** Leave to send one request to an origin; hand it back with {@link CircuitBreaker.record}. */
export interface CircuitPermit {
  readonly origin: string;
  /** Set when this request is the half-open probe: the opening it probes. */
  readonly probeOf: number | undefined;
}

/** The answer of {@link CircuitBreaker.admit}. */
export type CircuitAdmission =
  | { readonly admitted: true; readonly permit: CircuitPermit }
  | {
      readonly admitted: false;
      /** Whole seconds until the circuit may let a request through again, at least 1. */
      readonly retryAfterSeconds: number;
    };

/** How a request ended, as far as the origin's health is concerned. */
export type CircuitOutcome =
  /** The upstream answered with what was asked for. */
  | { readonly kind: 'success' }
  /** A transient upstream failure; `retryAfterSeconds` is the upstream's Retry-After, if any. */
  | { readonly kind: 'failure'; readonly retryAfterSeconds?: number }
  /** Says nothing about the origin's health (our own deadline, a permanent refusal, …). */
  | { readonly kind: 'neutral' };

interface Entry {
  state: CircuitState;
  /** Transient failures while closed, in the current window. */
  failures: number;
  /** Successes while closed, in the current window. */
  successes: number;
  /** The counts of the window before the current one. */
  previousFailures: number;
  previousSuccesses: number;
  /** When the current window began (clock milliseconds). */
  windowStart: number;
  /** While open: when the circuit may let a probe through (clock milliseconds). */
  openUntil: number;
  /** Identifies the current opening, so that only its own probe can close or reopen it. */
  opening: number;
  /** While half-open: a probe is in flight. */
  probing: boolean;
}

/** Counts transient failures per origin and refuses requests to origins that keep failing. */
export class CircuitBreaker {
  readonly #failureThreshold: number;
  readonly #openMs: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #maxOrigins: number;
  readonly #onChange: CircuitChangeListener | undefined;
  /** Origins with recent outcomes or a circuit that is not closed, least recently used first. */
  readonly #entries = new Map<string, Entry>();
  #openings = 0;

  constructor(options: CircuitBreakerOptions = {}) {
    this.#failureThreshold = options.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD;
    this.#openMs = options.openMs ?? DEFAULT_OPEN_MS;
    this.#windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
    this.#now = options.now ?? (() => performance.now());
    this.#maxOrigins = options.maxOrigins ?? DEFAULT_MAX_CIRCUIT_ORIGINS;
    this.#onChange = options.onChange;
    for (const [name, value] of [
      ['failureThreshold', this.#failureThreshold],
      ['openMs', this.#openMs],
      ['windowMs', this.#windowMs],
      ['maxOrigins', this.#maxOrigins],
    ] as const) {
      if (!Number.isSafeInteger(value) || value <= 0) {
        throw new RangeError(`circuit breaker: ${name} must be a positive integer`);
      }
    }
  }

  /** The state of `origin`'s circuit (an origin never seen, or forgotten, is closed). */
  state(origin: string): CircuitState {
    const entry = this.#entries.get(origin);
    return entry === undefined ? 'closed' : this.#current(origin, entry).state;
  }

  /** Number of origins remembered (for tests and metrics). */
  get size(): number {
    return this.#entries.size;
  }

  /** Asks to send one request to `origin`; an admitted request must be recorded once. */
  admit(origin: string): CircuitAdmission {
    const entry = this.#entries.get(origin);
    if (entry === undefined) return { admitted: true, permit: { origin, probeOf: undefined } };
    this.#current(origin, entry);
    switch (entry.state) {
      case 'closed':
        return { admitted: true, permit: { origin, probeOf: undefined } };
      case 'open':
        return {
          admitted: false,
          retryAfterSeconds: Math.max(1, Math.ceil((entry.openUntil - this.#now()) / 1000)),
        };
      case 'half_open':
        if (entry.probing) return { admitted: false, retryAfterSeconds: 1 };
        entry.probing = true;
        return { admitted: true, permit: { origin, probeOf: entry.opening } };
    }
  }

  /** Records how an admitted request ended. */
  record(permit: CircuitPermit, outcome: CircuitOutcome): void {
    const { origin } = permit;
    const entry = this.#entries.get(origin);
    const isProbe =
      entry !== undefined &&
      entry.state === 'half_open' &&
      permit.probeOf !== undefined &&
      permit.probeOf === entry.opening;
    switch (outcome.kind) {
      case 'success': {
        if (entry === undefined || entry.state === 'closed') {
          const counted = this.#counted(entry);
          counted.successes += 1;
          this.#remember(origin, counted);
          return;
        }
        // The upstream answered properly while open or probed: it is healthy again.
        this.#remember(origin, this.#fresh('closed'));
        this.#notify(origin, 'closed');
        return;
      }
      case 'neutral': {
        if (isProbe) entry.probing = false;
        return;
      }
      case 'failure': {
        if (entry === undefined || entry.state === 'closed') {
          const counted = this.#counted(entry);
          counted.failures += 1;
          const weight = Math.max(0, 1 - (this.#now() - counted.windowStart) / this.#windowMs);
          const failures = counted.failures + counted.previousFailures * weight;
          const successes = counted.successes + counted.previousSuccesses * weight;
          if (failures >= this.#failureThreshold && failures > successes) {
            this.#open(origin, outcome.retryAfterSeconds);
          } else {
            this.#remember(origin, counted);
          }
        } else if (isProbe) {
          this.#open(origin, outcome.retryAfterSeconds);
        }
        // Otherwise the circuit is already open, or half-open with a probe that will decide:
        // a request admitted before the circuit opened says nothing new.
        return;
      }
    }
  }

  /** A closed entry whose counts start now. */
  #fresh(state: CircuitState): Entry {
    return {
      state,
      failures: 0,
      successes: 0,
      previousFailures: 0,
      previousSuccesses: 0,
      windowStart: this.#now(),
      openUntil: 0,
      opening: 0,
      probing: false,
    };
  }

  /** The closed entry of `origin` with its windows moved up to now. */
  #counted(entry: Entry | undefined): Entry {
    if (entry === undefined) return this.#fresh('closed');
    const elapsed = this.#now() - entry.windowStart;
    if (elapsed >= 2 * this.#windowMs) return this.#fresh('closed');
    if (elapsed >= this.#windowMs) {
      entry.previousFailures = entry.failures;
      entry.previousSuccesses = entry.successes;
      entry.failures = 0;
      entry.successes = 0;
      entry.windowStart += this.#windowMs;
    }
    return entry;
  }

  /** Opens `origin`'s circuit from now, for openMs or the upstream's longer Retry-After. */
  #open(origin: string, retryAfterSeconds: number | undefined): void {
    const upstreamMs = Math.min(retryAfterSeconds ?? 0, MAX_RETRY_AFTER_SECONDS) * 1000;
    this.#openings += 1;
    this.#remember(origin, {
      ...this.#fresh('open'),
      openUntil: this.#now() + Math.max(this.#openMs, upstreamMs),
      opening: this.#openings,
    });
    this.#notify(origin, 'open');
  }

  /** Stores `entry` as the most recent one, forgetting the oldest beyond maxOrigins. */
  #remember(origin: string, entry: Entry): void {
    this.#entries.delete(origin);
    this.#entries.set(origin, entry);
    while (this.#entries.size > this.#maxOrigins) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
  }

  /** Moves an open circuit whose time has passed to half-open; forgets a quiet closed origin. */
  #current(origin: string, entry: Entry): Entry {
    if (entry.state === 'closed' && this.#now() - entry.windowStart >= 2 * this.#windowMs) {
      this.#entries.delete(origin);
      return entry;
    }
    if (entry.state === 'open' && this.#now() >= entry.openUntil) {
      entry.state = 'half_open';
      entry.probing = false;
      this.#notify(origin, 'half_open');
    }
    return entry;
  }

  #notify(origin: string, state: 'open' | 'half_open' | 'closed'): void {
    if (this.#onChange === undefined) return;
    try {
      this.#onChange(origin, state);
    } catch {
      // An observer must not change the outcome of a request.
    }
  }
}
