/**
 * Shared pieces of the service benchmark (service.bench.ts and the trust mark part in
 * trust-mark-cost.ts): statistics and formatting, one-shot GETs, the forked load client, rounds
 * of interleaved load, a fresh resolver in front of a running testbed, and counting the
 * sequential waves of upstream requests.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { RequestLogEntry, Testbed } from '../../src/testbed/index.js';
import { startTestResolver } from '../support/service.js';
import type { LoadRequest, LoadResult } from './load-client.js';

/** The median; the mean of the middle two for an even count (6 throughput rounds). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? 0;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? upper) + upper) / 2;
}

/** A rounded count with thousands separators. */
export const integer = (value: number): string => Math.round(value).toLocaleString('en-US');

/** Milliseconds with one decimal. */
export const ms = (value: number): string => `${value.toFixed(1)} ms`;

/** `min–max` of integers, or the single value when they are all equal. */
export function range(values: readonly number[]): string {
  const min = Math.min(...values);
  const max = Math.max(...values);
  return min === max ? String(min) : `${min}–${max}`;
}

/** The URL of `/resolve` on `base` for `subject` and `anchor` (Entity Identifiers). */
export function resolveUrl(base: string, subject: string, anchor: string): string {
  return `${base}/resolve?${new URLSearchParams({ sub: subject, trust_anchor: anchor }).toString()}`;
}

/** A whole response of {@link get}. */
export interface Fetched {
  readonly status: number;
  readonly contentType: string;
  readonly body: Buffer;
}

/**
 * GET on a new connection (no agent). Used where one request is timed, so the figure includes
 * what a cold client pays, and no pooled socket outlives the benchmark. `localAddress` picks the
 * source address (any 127.0.0.0/8 address on loopback), so the service sees a client of its own.
 */
export function get(
  url: string,
  options: { readonly localAddress?: string } = {},
): Promise<Fetched> {
  return new Promise<Fetched>((resolve, reject) => {
    const source = options.localAddress === undefined ? {} : { localAddress: options.localAddress };
    const req = request(url, { agent: false, ...source }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: res.headers['content-type'] ?? '',
          body: Buffer.concat(chunks),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The forked load generator (load-client.ts), one round at a time. */
export class LoadClient {
  readonly #child: ChildProcess;

  private constructor(child: ChildProcess) {
    this.#child = child;
  }

  static start(): LoadClient {
    const script = fileURLToPath(new URL('./load-client.js', import.meta.url));
    return new LoadClient(fork(script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  }

  run(load: LoadRequest): Promise<LoadResult> {
    return new Promise<LoadResult>((resolve, reject) => {
      const child = this.#child;
      const cleanup = (): void => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      const onMessage = (message: unknown): void => {
        cleanup();
        resolve(message as LoadResult);
      };
      const onExit = (code: number | null): void => {
        cleanup();
        reject(new Error(`the load client exited (code ${String(code)}) during a round`));
      };
      // A round that does not come back well after its duration means a hung server.
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error('the load client did not report in time'));
      }, load.durationMs + 15_000);
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send(load);
    });
  }

  /** Closes the channel (the child then exits by itself); kills this child only if it lingers. */
  close(): Promise<void> {
    return closeChild(this.#child);
  }
}

/**
 * Stops a forked helper that exits when its IPC channel closes: closes the channel, and kills
 * this child (and only it) if it has not exited after `graceMs`.
 */
export async function closeChild(child: ChildProcess, graceMs = 3_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.disconnect();
  const timer = setTimeout(() => child.kill(), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Concurrent keep-alive connections of the load client. */
export const CONNECTIONS = 16;
/** Length of one throughput round. */
export const ROUND_MS = 2_000;
/**
 * Throughput rounds per server (interleaved). Many short rounds rather than a few long ones: on
 * shared cores a neighbour's burst can halve one round, and a median of 6 shrugs off two of them.
 */
export const ROUNDS = 6;
/** Unmeasured load per server before the rounds, so that both are JIT-warm. */
export const WARMUP_MS = 1_000;
/** Latency the testbed adds to every upstream response in the cold parts. */
export const LATENCY_MS = 50;

/** The rounds of one server (or one URL of a server). */
export interface ServerRounds {
  /** Successful responses per second, one value per round. */
  readonly rates: number[];
  /**
   * CPU time of this process (the server under test; the idle testbed costs nothing) per
   * successful response, in microseconds. Less exposed than throughput to cores lent to other
   * work, since time spent waiting for a core is not counted.
   */
  readonly serverCpuUs: number[];
  /** CPU of the load client as a share of one core: near 1 means the client limited the round. */
  readonly clientLoad: number[];
  errors: number;
  /** The first error seen, to say what went wrong. */
  firstError: string | undefined;
}

/** One URL under load, with the exact body length each of its responses must have. */
export interface LoadTarget {
  readonly url: string;
  readonly expectedBytes: number;
}

/** How {@link interleavedRounds} loads its targets. */
export interface RoundSettings {
  /** Concurrent keep-alive connections of the load client. */
  readonly connections: number;
  /** Rounds per target. */
  readonly rounds: number;
  /** Length of one measured round. */
  readonly roundMs: number;
  /** Unmeasured load per target before the rounds, so that every code path is JIT-warm. */
  readonly warmupMs: number;
}

/**
 * Loads two targets alternately, round by round, in ABBA order: a drift in machine load over the
 * run then favours neither. Both targets must be served by this process (the CPU figure is this
 * process's).
 */
export async function interleavedRounds<Name extends string>(
  client: LoadClient,
  targets: Readonly<Record<Name, LoadTarget>>,
  order: readonly [Name, Name],
  settings: RoundSettings,
): Promise<Record<Name, ServerRounds>> {
  const round = (name: Name, durationMs: number): Promise<LoadResult> =>
    client.run({
      url: targets[name].url,
      connections: settings.connections,
      durationMs,
      expectedBytes: targets[name].expectedBytes,
    });
  for (const name of order) await round(name, settings.warmupMs);
  const rounds = {} as Record<Name, ServerRounds>;
  for (const name of order) {
    rounds[name] = { rates: [], serverCpuUs: [], clientLoad: [], errors: 0, firstError: undefined };
  }
  const [a, b] = order;
  for (let i = 0; i < settings.rounds; i++) {
    for (const name of i % 2 === 0 ? [a, b] : [b, a]) {
      const cpuBefore = process.cpuUsage();
      const result = await round(name, settings.roundMs);
      const cpu = process.cpuUsage(cpuBefore);
      const r = rounds[name];
      r.rates.push((result.ok / result.elapsedMs) * 1000);
      r.serverCpuUs.push((cpu.user + cpu.system) / Math.max(1, result.ok));
      r.clientLoad.push(result.cpuMs / result.elapsedMs);
      r.errors += result.errors;
      r.firstError ??= result.firstError;
    }
  }
  return rounds;
}

/**
 * A new resolver service in front of an existing testbed, with the settings of the test harness
 * (plus `env`). A new service has empty statement, verification, resolution, trust mark status and
 * response caches, so its first /resolve is fully cold.
 */
export async function startResolver(
  testbed: Testbed,
  anchors: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<{ url: string; close(): Promise<void> }> {
  const started = await startTestResolver(testbed, anchors, env);
  return { url: started.service.url, close: () => started.close() };
}

/**
 * Number of sequential waves in which upstream requests arrived. A request can only depend on a
 * response, which arrives a full latency after its request, so requests sent together arrive well
 * within half a latency of each other and the next wave at least a latency later.
 */
export function countWaves(entries: readonly RequestLogEntry[], latencyMs: number): number {
  const arrivals = entries.map((entry) => entry.at).sort((a, b) => a - b);
  let waves = 0;
  let waveStart = Number.NEGATIVE_INFINITY;
  for (const at of arrivals) {
    if (at - waveStart >= latencyMs / 2) {
      waves++;
      waveStart = at;
    }
  }
  return waves;
}
