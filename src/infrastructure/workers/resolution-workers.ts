/**
 * Resolution workers (RESOLUTION_WORKERS): cold resolutions run in worker threads instead of on
 * the service's event loop, so a federation is crawled and cold subjects are resolved on every
 * core while the service's own thread answers from its caches (docs/decisions.md). Each worker
 * runs the same TrustChainResolver with an HTTP client and statement caches of its own; the
 * service keeps everything else (resolution caches, admission, trust marks, signing).
 *
 * A resolution goes to the worker with the fewest in progress. A worker that stops (a crash, its
 * heap limit) hands what it had in progress back to the service's own resolver and is started
 * again, unless it keeps stopping; then resolutions run on the service's thread.
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { Logger, ResolutionRunner } from '../../engine/ports.js';
import { TemporarilyUnavailableError, errorFromDetail } from '../../federation/errors.js';
import {
  failedOutcome,
  type ResolutionContext,
  type ResolutionOutcome,
  type ResolutionRun,
} from '../../federation/resolver.js';
import type { DecodedEntityStatement, ResolutionQuery } from '../../federation/types.js';
import type { WorkerMetrics } from '../metrics.js';
import type { FromWorker, OutcomeData, ToWorker } from './protocol.js';

/** Settings of {@link ResolutionWorkers}. */
export interface ResolutionWorkersOptions {
  /** Threads to start. */
  readonly count: number;
  /** The worker's entry point (resolution-worker.js). */
  readonly script: URL;
  /** What each worker is started with (its `workerData`: the worker's settings). */
  readonly workerData: unknown;
  /** The deadline of one resolution, as RESOLUTION_TIMEOUT_MS. */
  readonly timeoutMs: number;
  /** The service's own resolver: what runs when no worker can. */
  readonly fallback: Pick<ResolutionRunner, 'start'>;
  readonly logger?: Logger;
  /** Heap bounds of each worker; one that reaches them stops and is started again. */
  readonly resourceLimits?: ResourceLimits;
}

/** Stops of one worker within {@link RESTART_WINDOW_MS} after which it is not started again. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;
/** How long a worker may take past a resolution's deadline before the service stops waiting. */
const DEADLINE_GRACE_MS = 2_000;
/** Longest wait for a worker's answer to a purge or a metrics request. */
const REQUEST_TIMEOUT_MS = 2_000;

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A resolution handed to a worker. */
interface Pending {
  readonly query: ResolutionQuery;
  readonly context: ResolutionContext;
  readonly subject: Deferred<DecodedEntityStatement | undefined>;
  readonly outcome: Deferred<ResolutionOutcome>;
  readonly stopWaiting: () => void;
}

/** One worker thread and what it has in progress. */
interface Slot {
  worker: Worker | undefined;
  readonly pending: Map<number, Pending>;
  readonly requests: Map<number, (value: unknown) => void>;
  readonly stops: number[];
}

/** The outcome of data a worker sent: its error a FederationError again. */
function outcomeOf(data: OutcomeData): ResolutionOutcome {
  if (data.ok) return data;
  return { ...data, ok: false, error: errorFromDetail(data.error) };
}

/** A worker pool that runs cold resolutions; see the module comment. */
export class ResolutionWorkers implements ResolutionRunner {
  readonly #options: ResolutionWorkersOptions;
  readonly #slots: Slot[];
  #nextId = 0;
  #closed = false;

  constructor(options: ResolutionWorkersOptions) {
    this.#options = options;
    this.#slots = Array.from({ length: options.count }, () => ({
      worker: undefined,
      pending: new Map(),
      requests: new Map(),
      stops: [],
    }));
    for (const slot of this.#slots) this.#spawn(slot);
  }

  /** Workers running now. */
  get running(): number {
    return this.#slots.filter((slot) => slot.worker !== undefined).length;
  }

  start(query: ResolutionQuery, context: ResolutionContext): ResolutionRun {
    const slot = this.#leastBusy();
    if (slot?.worker === undefined) return this.#options.fallback.start(query, context);
    const id = ++this.#nextId;
    const subject = deferred<DecodedEntityStatement | undefined>();
    const outcome = deferred<ResolutionOutcome>();
    const onAbort = () => {
      this.#post(slot, { type: 'cancel', id });
      // A worker answers a cancelled resolution at once; one that does not is not waited for.
      const timer = setTimeout(() => {
        this.#take(slot, id)?.outcome.resolve(this.#deadlineOutcome(query));
      }, DEADLINE_GRACE_MS);
      timer.unref();
    };
    context.signal?.addEventListener('abort', onAbort, { once: true });
    if (slot.pending.size === 0) slot.worker.ref();
    slot.pending.set(id, {
      query,
      context,
      subject,
      outcome,
      stopWaiting: () => context.signal?.removeEventListener('abort', onAbort),
    });
    const { trustAnchors, now, exhaustive, refresh } = context;
    this.#post(slot, {
      type: 'resolve',
      id,
      query,
      context: {
        trustAnchors,
        now,
        ...(exhaustive === undefined ? {} : { exhaustive }),
        ...(refresh === undefined ? {} : { refresh }),
      },
      timeoutMs: this.#options.timeoutMs,
    });
    // A deadline that passed already (a resolution run again) cancels it at once.
    if (context.signal?.aborted === true) onAbort();
    return { subjectConfiguration: subject.promise, outcome: outcome.promise };
  }

  hold(statements: readonly DecodedEntityStatement[]): void {
    const held = statements.flatMap((statement) =>
      statement.source === undefined ? [] : [{ url: statement.source, jwt: statement.jwt }],
    );
    if (held.length === 0) return;
    for (const slot of this.#slots) this.#post(slot, { type: 'hold', statements: held });
  }

  async purge(entity: string | undefined): Promise<number> {
    const counts = await Promise.all(
      this.#slots.map((slot) =>
        this.#request<number>(slot, (id) => ({ type: 'purge', id, entity }), 0),
      ),
    );
    return counts.reduce((sum, count) => sum + count, 0);
  }

  /** Every running worker's metrics (those that do not answer in time are left out). */
  async metrics(): Promise<WorkerMetrics[]> {
    const all = await Promise.all(
      this.#slots.map((slot) =>
        this.#request<WorkerMetrics | undefined>(
          slot,
          (id) => ({ type: 'metrics', id }),
          undefined,
        ),
      ),
    );
    return all.filter((metrics): metrics is WorkerMetrics => metrics !== undefined);
  }

  /** Stops every worker; what they still had in progress ends as a transient failure. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(
      this.#slots.map(async (slot) => {
        const worker = slot.worker;
        slot.worker = undefined;
        for (const id of [...slot.pending.keys()]) {
          const pending = this.#take(slot, id);
          pending?.outcome.resolve(this.#deadlineOutcome(pending.query));
        }
        for (const answer of slot.requests.values()) answer(undefined);
        slot.requests.clear();
        await worker?.terminate();
      }),
    );
  }

  /**
   * Removes a resolution from its worker's, its subject configuration settled (to undefined if
   * not yet); the worker no longer keeps the process running once it has none left.
   */
  #take(slot: Slot, id: number): Pending | undefined {
    const pending = slot.pending.get(id);
    if (pending === undefined) return undefined;
    slot.pending.delete(id);
    pending.stopWaiting();
    pending.subject.resolve(undefined);
    if (slot.pending.size === 0) slot.worker?.unref();
    return pending;
  }

  #leastBusy(): Slot | undefined {
    let best: Slot | undefined;
    for (const slot of this.#slots) {
      if (slot.worker === undefined) continue;
      if (best === undefined || slot.pending.size < best.pending.size) best = slot;
    }
    return best;
  }

  #post(slot: Slot, message: ToWorker): void {
    slot.worker?.postMessage(message);
  }

  /** Asks a worker something; `fallback` when it is not running or does not answer in time. */
  #request<T>(slot: Slot, message: (id: number) => ToWorker, fallback: T): Promise<T> {
    if (slot.worker === undefined) return Promise.resolve(fallback);
    const id = ++this.#nextId;
    return new Promise<T>((resolve) => {
      const timer = setTimeout(() => {
        slot.requests.delete(id);
        resolve(fallback);
      }, REQUEST_TIMEOUT_MS);
      timer.unref();
      slot.requests.set(id, (value) => {
        clearTimeout(timer);
        resolve(value === undefined ? fallback : (value as T));
      });
      this.#post(slot, message(id));
    });
  }

  #spawn(slot: Slot): void {
    const { script, workerData, resourceLimits } = this.#options;
    const worker = new Worker(script, {
      workerData,
      ...(resourceLimits === undefined ? {} : { resourceLimits }),
    });
    // A worker keeps the process running only while it has resolutions in progress.
    worker.unref();
    slot.worker = worker;
    worker.on('message', (message: FromWorker) => this.#answer(slot, message));
    worker.on('error', (error) =>
      this.#options.logger?.error({ err: error }, 'resolution worker failed'),
    );
    worker.on('exit', (code) => {
      if (slot.worker !== worker) return;
      slot.worker = undefined;
      this.#stopped(slot, code);
    });
  }

  #answer(slot: Slot, message: FromWorker): void {
    switch (message.type) {
      case 'subject':
        slot.pending.get(message.id)?.subject.resolve(message.configuration);
        return;
      case 'outcome':
        this.#take(slot, message.id)?.outcome.resolve(outcomeOf(message.outcome));
        return;
      case 'purged':
        slot.requests.get(message.id)?.(message.count);
        slot.requests.delete(message.id);
        return;
      case 'metrics':
        slot.requests.get(message.id)?.(message.metrics);
        slot.requests.delete(message.id);
        return;
    }
  }

  /** A worker stopped: its resolutions run here, and it starts again unless it keeps stopping. */
  #stopped(slot: Slot, code: number): void {
    for (const [id, pending] of slot.pending) {
      slot.pending.delete(id);
      pending.stopWaiting();
      const run = this.#options.fallback.start(pending.query, pending.context);
      void run.subjectConfiguration.then(
        (configuration) => pending.subject.resolve(configuration),
        () => pending.subject.resolve(undefined),
      );
      void run.outcome.then(pending.outcome.resolve, () =>
        pending.outcome.resolve(this.#deadlineOutcome(pending.query)),
      );
    }
    for (const answer of slot.requests.values()) answer(undefined);
    slot.requests.clear();
    if (this.#closed) return;
    const now = Date.now();
    slot.stops.push(now);
    while ((slot.stops[0] ?? now) < now - RESTART_WINDOW_MS) slot.stops.shift();
    if (slot.stops.length > MAX_RESTARTS) {
      this.#options.logger?.error(
        { exit_code: code, workers_running: this.running },
        'a resolution worker keeps stopping and is not started again; its share of cold resolutions runs on the service thread',
      );
      return;
    }
    this.#options.logger?.warn({ exit_code: code }, 'resolution worker stopped; starting it again');
    this.#spawn(slot);
  }

  /** What a resolution whose worker could not answer ends with: a retry may succeed. */
  #deadlineOutcome(query: ResolutionQuery): ResolutionOutcome {
    return failedOutcome(
      query,
      new TemporarilyUnavailableError('the resolution deadline passed', {
        reason: 'deadline_exceeded',
      }),
    );
  }
}
