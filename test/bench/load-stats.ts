/**
 * What the sustained-load driver (load.ts) and its forked workers (load-worker.ts) exchange: the
 * kinds of request, the settings of one worker, and the bounded counters and histograms that
 * come back. Everything here is plain data (it crosses the IPC channel as JSON) plus the
 * functions that create and merge it.
 */
import { Histogram, type HistogramData } from './histogram.js';

/** The three categories of the report. */
export const CATEGORIES = ['warm', 'cold', 'hostile'] as const;
export type Category = (typeof CATEGORIES)[number];

/** One kind of request of the mix, for example `cold/big` or `hostile/silent`. */
export interface KindSpec {
  /** `<category>/<upstream kind>`, or `warm`. */
  readonly name: string;
  readonly category: Category;
  /** Share of the offered requests, any positive scale (normalized by the worker). */
  readonly weight: number;
  /**
   * Where its subjects come from: a fixed list (warm, resolved before the run), or a new Entity
   * Identifier `<prefix><client>-<sequence>` for every request (cold and hostile).
   */
  readonly subjects: { readonly fixed: readonly string[] } | { readonly prefix: string };
  /** The `trust_anchor` parameter of its requests. */
  readonly anchor: string;
}

/** Settings of one worker process. */
export interface WorkerConfig {
  readonly worker: number;
  /** Base URL of the resolver service. */
  readonly serviceUrl: string;
  /** The simulated clients of this worker, each with its own loopback source address. */
  readonly clients: readonly { readonly index: number; readonly address: string }[];
  /** Requests per second offered by each client. */
  readonly clientRate: number;
  readonly arrivals: 'uniform' | 'poisson';
  /** Wall-clock time (Date.now()) at which every worker starts sending. */
  readonly startAtEpochMs: number;
  readonly durationMs: number;
  /** How long requests in flight at the end may still take before they are abandoned. */
  readonly drainMs: number;
  /** Most requests in flight per client; a request due beyond it is shed by the driver. */
  readonly maxInFlight: number;
  /** The driver's own time-out of one request. */
  readonly requestTimeoutMs: number;
  readonly seed: number;
  readonly kinds: readonly KindSpec[];
  /** When set, every answered request is appended to this file as one tab-separated line. */
  readonly tracePath?: string;
}

/** Counters of one kind of request. */
export interface KindStats {
  /** Requests sent. */
  sent: number;
  /** Requests due but not sent because the client had `maxInFlight` requests in flight. */
  shed: number;
  /** Requests answered (any status). */
  answered: number;
  /** Requests answered before the end of the load window (the throughput figure). */
  answeredInWindow: number;
  /** Requests still in flight when the drain time ran out (abandoned). */
  unanswered: number;
  /** Answers per HTTP status. */
  statuses: Record<string, number>;
  /** Answers other than 200 per `error` code of the body (`(no error code)` when absent). */
  errors: Record<string, number>;
  /**
   * Answers other than 200 per `<status> <error>: <error_description>`, with URLs and numbers
   * replaced; at most {@link MAX_DESCRIPTIONS} distinct keys, the rest under `(other)`.
   */
  descriptions: Record<string, number>;
  /** Requests that got no HTTP answer, per failure (socket error, the driver's time-out). */
  driverErrors: Record<string, number>;
  /** Latency of answered requests, from sending to the end of the body. */
  latency: HistogramData;
  /** The {@link SLOWEST} slowest answered requests, slowest first, with their phases. */
  slowest: SlowRequest[];
}

/** Where the time of one slow request went, milliseconds from sending. */
export interface SlowRequest {
  readonly totalMs: number;
  /** Seconds from the start of the window to sending. */
  readonly sentAtS: number;
  readonly status: number;
  /** Sent on a kept-alive connection (else a new one was opened). */
  readonly reusedSocket: boolean;
  /** Until the connection was established (0 for a kept-alive one). */
  readonly connectedMs: number;
  /** Until the response headers arrived. */
  readonly headersMs: number;
}

/** Slow requests kept per kind. */
export const SLOWEST = 5;

/** Adds `request` to `list` if it is among the {@link SLOWEST} slowest. */
export function keepSlowest(list: SlowRequest[], request: SlowRequest): void {
  if (list.length >= SLOWEST && (list[list.length - 1]?.totalMs ?? 0) >= request.totalMs) return;
  list.push(request);
  list.sort((a, b) => b.totalMs - a.totalMs);
  if (list.length > SLOWEST) list.length = SLOWEST;
}

const MAX_DESCRIPTIONS = 30;

export function emptyKindStats(): KindStats {
  return {
    sent: 0,
    shed: 0,
    answered: 0,
    answeredInWindow: 0,
    unanswered: 0,
    statuses: {},
    errors: {},
    descriptions: {},
    driverErrors: {},
    latency: new Histogram().toJSON(),
    slowest: [],
  };
}

/** Adds one to `key` of a counter map. */
export function bump(map: Record<string, number>, key: string, by = 1): void {
  map[key] = (map[key] ?? 0) + by;
}

/** Adds one to `key` of a counter map of bounded size (see {@link KindStats.descriptions}). */
export function bumpBounded(map: Record<string, number>, key: string): void {
  if (key in map || Object.keys(map).length < MAX_DESCRIPTIONS) bump(map, key);
  else bump(map, '(other)');
}

/** An error description with the parts that vary per request (URLs, numbers) replaced. */
export function normalizeDescription(description: string): string {
  return description
    .replace(/https?:\/\/\S+/g, '<url>')
    .replace(/\d+(\.\d+)?/g, 'N')
    .slice(0, 160);
}

/** The sum of several kinds' counters. */
export function mergeKindStats(all: readonly KindStats[]): KindStats {
  const total = emptyKindStats();
  const latency = new Histogram();
  for (const stats of all) {
    total.sent += stats.sent;
    total.shed += stats.shed;
    total.answered += stats.answered;
    total.answeredInWindow += stats.answeredInWindow;
    total.unanswered += stats.unanswered;
    for (const [key, n] of Object.entries(stats.statuses)) bump(total.statuses, key, n);
    for (const [key, n] of Object.entries(stats.errors)) bump(total.errors, key, n);
    for (const [key, n] of Object.entries(stats.descriptions)) bump(total.descriptions, key, n);
    for (const [key, n] of Object.entries(stats.driverErrors)) bump(total.driverErrors, key, n);
    latency.merge(stats.latency);
    for (const slow of stats.slowest) keepSlowest(total.slowest, slow);
  }
  total.latency = latency.toJSON();
  return total;
}

/** What one category did in one sampling interval. */
export interface IntervalStats {
  sent: number;
  shed: number;
  answered: number;
  /** Answers other than 200. */
  failed: number;
  latency: HistogramData;
}

/** A worker's answer to `snapshot`: the interval since its previous snapshot. */
export interface WorkerSnapshot {
  readonly type: 'snapshot';
  readonly categories: Record<Category, IntervalStats>;
  readonly inFlight: number;
}

/** A worker's last message: the whole run. */
export interface WorkerFinal {
  readonly type: 'final';
  readonly kinds: Record<string, KindStats>;
  /** Wall-clock time the load window actually took in this worker, milliseconds. */
  readonly windowMs: number;
  /** CPU time (user + system) of the worker during the load window and the drain, ms. */
  readonly cpuMs: number;
  /** From the start of the window to the end of the drain, milliseconds. */
  readonly elapsedMs: number;
  /** How late requests were sent after their scheduled time (the driver keeping up). */
  readonly scheduleLag: HistogramData;
  /** Event-loop delay of the worker, milliseconds (perf_hooks.monitorEventLoopDelay). */
  readonly loopDelay: { readonly p50Ms: number; readonly p99Ms: number; readonly maxMs: number };
  /** Most requests in flight at once, all clients of this worker. */
  readonly maxInFlight: number;
}

/** Messages from the driver to a worker. */
export type WorkerCommand =
  | { readonly type: 'start'; readonly config: WorkerConfig }
  | { readonly type: 'snapshot' }
  /** Ends the window now; requests in flight may take `drainMs` more. */
  | { readonly type: 'stop'; readonly drainMs: number };
