/**
 * Sustained load on the real resolver service: `npm run load`.
 *
 * Runs the service in a child process (test/support/resolver-process.ts) with its production
 * defaults (only LOG_LEVEL=silent, plus loopback and http allowed so that it can reach the
 * loopback upstream), in front of the hostile upstream (test/support/hostile-upstream.ts), and
 * drives it for a set time with a mix of warm, cold and hostile resolutions (`GET /resolve`) from
 * several simulated clients, each sending from its own loopback source address (127.0.0.N), so
 * the per-client budget (CLIENT_COLD_RATE, CLIENT_COLD_BURST) applies as in production. The
 * clients run in forked workers (load-worker.ts) at a fixed offered rate (open loop: a request
 * goes out at its scheduled time whether or not earlier ones have been answered; a client with
 * LOAD_MAX_IN_FLIGHT requests in flight sheds the next ones, counted as "shed by driver").
 *
 * - warm: one of LOAD_WARM_SUBJECTS `ok` subjects, each resolved once before the run;
 * - cold: a new `ok` or `big` subject every time (LOAD_COLD_BIG percent of them `big`);
 * - hostile: a new subject of one of LOAD_HOSTILE_KINDS every time.
 *
 * It reports, per category and overall, requests sent, answers per status and per `error` code,
 * throughput, latency p50/p90/p99/max; the service's memory (rss, heapUsed, external after a full
 * GC through measure(), and the raw RSS from /proc/<pid>/status without GC) after the warm-up,
 * every LOAD_SAMPLE_SECONDS, at the middle and at the end; the upstream requests the service
 * made; the CPU of the driver's processes and of the service; and ends with the memory verdict
 * (growth from the middle to the end). Markdown on stdout, the raw figures as JSON in
 * LOAD_REPORT when set. Latencies are kept in log-bucket histograms (histogram.ts), so a long
 * run costs the driver no more memory than a short one.
 *
 * Settings (environment variables):
 *
 * | variable                 | default                                                 | meaning                                                                                                                            |
 * | ------------------------ | ------------------------------------------------------- | ---------------------------------------------------------------------------------------------------------------------------------- |
 * | LOAD_SECONDS             | 60                                                      | length of the load window                                                                                                          |
 * | LOAD_CLIENTS             | 8                                                       | simulated clients, each from its own source address 127.0.0.N                                                                       |
 * | LOAD_RATE                | 400                                                     | requests per second offered, all clients together (evenly shared)                                                                  |
 * | LOAD_WARM                | 80                                                      | share of warm requests (weights, any scale)                                                                                        |
 * | LOAD_COLD                | 15                                                      | share of cold requests                                                                                                             |
 * | LOAD_HOSTILE             | 5                                                       | share of hostile requests                                                                                                          |
 * | LOAD_COLD_BIG            | 25                                                      | percent of the cold requests whose subject is `big` (a ~200 KB configuration) instead of `ok`                                      |
 * | LOAD_HOSTILE_KINDS       | hints,silent,reset,oversized,status-503-0,status-429-5  | hostile kinds of hostile-upstream.ts, `kind` or `kind:weight` (equal weights by default)                                           |
 * | LOAD_HOSTILE_ORIGIN      | shared                                                  | `shared`: hostile subjects on the same upstream origin as the valid ones; `separate`: on a second upstream (its own origin, anchor) |
 * | LOAD_WARM_SUBJECTS       | 50                                                      | size of the warm set                                                                                                               |
 * | LOAD_SAMPLE_SECONDS      | 30                                                      | memory (and interval throughput) sample period, besides start, middle and end                                                      |
 * | LOAD_WORKERS             | 1                                                       | forked client processes (1–4); the clients are dealt among them                                                                    |
 * | LOAD_MAX_IN_FLIGHT       | 64                                                      | most requests in flight per client; more are shed by the driver                                                                    |
 * | LOAD_ARRIVALS            | uniform                                                 | `uniform` (fixed gaps) or `poisson` (exponential gaps) per client                                                                  |
 * | LOAD_REQUEST_TIMEOUT_MS  | 30000                                                   | the driver's own time-out of one request                                                                                           |
 * | LOAD_DRAIN_SECONDS       | 15                                                      | after the window, how long answers in flight are still awaited                                                                     |
 * | LOAD_UPSTREAM_LATENCY_MS | 0                                                       | delay of every upstream answer                                                                                                     |
 * | LOAD_HINT_COUNT          | 5000                                                    | authority_hints of a `hints` configuration                                                                                         |
 * | LOAD_BIG_BYTES           | 204800                                                  | length of a `big` configuration, bytes                                                                                             |
 * | LOAD_SEED                | 1                                                       | seed of the mix                                                                                                                    |
 * | LOAD_REPORT              | (none)                                                  | path of a JSON file with the raw figures                                                                                           |
 * | LOAD_TRACE               | (none)                                                  | path of a file getting one tab-separated line per answer (sent at, kind, client, connection, phases, status), for short runs      |
 * | LOAD_SERVICE_ENV         | (none)                                                  | JSON object of service settings, e.g. `{"CACHE_MAX_BYTES":"67108864"}`                                                             |
 * | SERVICE_<NAME>           | (none)                                                  | the service setting <NAME>, e.g. SERVICE_CLIENT_COLD_RATE=0 (wins over LOAD_SERVICE_ENV)                                           |
 * | LOAD_SERVICE_EXEC_ARGV   | (none)                                                  | extra Node options of the service, space-separated, e.g. `--max-old-space-size=512`                                                |
 *
 * Reading the figures:
 *
 * - Latency runs from sending to the end of the body; the five slowest answers per category are
 *   listed with their phases (new or kept-alive connection, connected after, headers after).
 *   The driver's own health is its schedule lag and event-loop delay (CPU table).
 * - The CPU table also gives the whole machine (/proc/stat): when "other processes" is large,
 *   another job shared the cores and every figure is distorted (the report says so).
 * - Each sample's measure() runs two full collections in the service; that pause falls into the
 *   next interval (its duration is in the memory table).
 * - With CACHE_MAX_BYTES split into fixed shares per cache, "caches (as charged)" levels off
 *   below CACHE_MAX_BYTES once the statement, resolution and response caches are full.
 * - `shared` origin (the default): `silent` subjects hold upstream connections for the whole
 *   FETCH_TIMEOUT_MS, so they compete with cold subjects for the origin's
 *   MAX_UPSTREAM_CONNECTIONS_PER_ORIGIN. `separate`: the hostile origin's circuit opens after a
 *   few failures and most hostile requests are then answered `circuit_open` without a fetch.
 *
 * SIGINT or SIGTERM ends the window early and reports what was measured; a second one stops
 * everything at once. Every server and child process is stopped in either case.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SETTINGS } from '../../src/config/config.js';
import { startHostileUpstream, type HostileUpstream } from '../support/hostile-upstream.js';
import {
  startResolverProcess,
  type ChildMemory,
  type ResolverProcess,
} from '../support/resolver-process.js';
import { Histogram, type Percentiles } from './histogram.js';
import {
  CATEGORIES,
  mergeKindStats,
  type Category,
  type IntervalStats,
  type KindSpec,
  type KindStats,
  type WorkerCommand,
  type WorkerConfig,
  type WorkerFinal,
  type WorkerSnapshot,
} from './load-stats.js';
import { closeChild, get, integer, ms, resolveUrl } from './service-support.js';

// ---------------------------------------------------------------------------------------------
// Settings

const env = process.env;

function numberSetting(name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new Error(`${name} must be a number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function choiceSetting<T extends string>(name: string, choices: readonly T[]): T {
  const raw = env[name]?.trim() || choices[0];
  const choice = choices.find((c) => c === raw);
  if (choice === undefined) throw new Error(`${name} must be one of ${choices.join(', ')}`);
  return choice;
}

function hostileKinds(): { kind: string; weight: number }[] {
  const raw = env['LOAD_HOSTILE_KINDS']?.trim() || DEFAULT_HOSTILE_KINDS;
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0)
    .map((item) => {
      const [kind = '', weight = '1'] = item.split(':');
      if (!/^[a-z0-9-]+$/.test(kind) || !(Number(weight) > 0)) {
        throw new Error(`LOAD_HOSTILE_KINDS: ${JSON.stringify(item)} is not kind or kind:weight`);
      }
      return { kind, weight: Number(weight) };
    });
}

/** Service settings passed through: LOAD_SERVICE_ENV (JSON), then SERVICE_<NAME>. */
function serviceEnv(): Record<string, string> {
  const result: Record<string, string> = {};
  const json = env['LOAD_SERVICE_ENV']?.trim();
  if (json !== undefined && json !== '') {
    const parsed = JSON.parse(json) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new Error('LOAD_SERVICE_ENV must be a JSON object');
    }
    for (const [key, value] of Object.entries(parsed)) result[key] = String(value);
  }
  for (const [key, value] of Object.entries(env)) {
    if (key.startsWith('SERVICE_') && key.length > 8 && value !== undefined) {
      result[key.slice(8)] = value;
    }
  }
  return result;
}

const DEFAULT_HOSTILE_KINDS = 'hints,silent,reset,oversized,status-503-0,status-429-5';

const settings = {
  seconds: numberSetting('LOAD_SECONDS', 60, 1, 86_400),
  clients: numberSetting('LOAD_CLIENTS', 8, 1, 60_000),
  rate: numberSetting('LOAD_RATE', 400, 0.1, 100_000),
  warm: numberSetting('LOAD_WARM', 80, 0, 1e6),
  cold: numberSetting('LOAD_COLD', 15, 0, 1e6),
  hostile: numberSetting('LOAD_HOSTILE', 5, 0, 1e6),
  coldBigPercent: numberSetting('LOAD_COLD_BIG', 25, 0, 100),
  hostileKinds: hostileKinds(),
  hostileOrigin: choiceSetting('LOAD_HOSTILE_ORIGIN', ['shared', 'separate'] as const),
  warmSubjects: numberSetting('LOAD_WARM_SUBJECTS', 50, 1, 100_000),
  sampleSeconds: numberSetting('LOAD_SAMPLE_SECONDS', 30, 1, 86_400),
  workers: numberSetting('LOAD_WORKERS', 1, 1, 4),
  maxInFlight: numberSetting('LOAD_MAX_IN_FLIGHT', 64, 1, 10_000),
  arrivals: choiceSetting('LOAD_ARRIVALS', ['uniform', 'poisson'] as const),
  requestTimeoutMs: numberSetting('LOAD_REQUEST_TIMEOUT_MS', 30_000, 100, 600_000),
  drainSeconds: numberSetting('LOAD_DRAIN_SECONDS', 15, 0, 600),
  upstreamLatencyMs: numberSetting('LOAD_UPSTREAM_LATENCY_MS', 0, 0, 60_000),
  hintCount: numberSetting('LOAD_HINT_COUNT', 5000, 0, 100_000),
  bigBytes: numberSetting('LOAD_BIG_BYTES', 204_800, 2_048, 10 * 1024 * 1024),
  seed: numberSetting('LOAD_SEED', 1, 0, 2 ** 31),
  report: env['LOAD_REPORT']?.trim() || undefined,
  trace: env['LOAD_TRACE']?.trim() || undefined,
  serviceEnv: serviceEnv(),
  serviceExecArgv: (env['LOAD_SERVICE_EXEC_ARGV'] ?? '').split(/\s+/).filter((a) => a !== ''),
};
if (settings.warm + settings.cold + settings.hostile <= 0) {
  throw new Error('LOAD_WARM + LOAD_COLD + LOAD_HOSTILE must be positive');
}
settings.workers = Math.min(settings.workers, settings.clients);

// ---------------------------------------------------------------------------------------------
// Small helpers

const MIB = 1024 * 1024;
const mib = (bytes: number | undefined): string =>
  bytes === undefined ? 'n/a' : `${(bytes / MIB).toFixed(1)} MiB`;
const signedMib = (bytes: number): string => `${bytes >= 0 ? '+' : ''}${(bytes / MIB).toFixed(1)}`;
const percent = (share: number): string => `${(share * 100).toFixed(0)} %`;
const sleep = (msToWait: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, msToWait)));

/** A loopback address per number: 127.0.0.2, 127.0.0.3, … (and on into 127.0.1.0 and so on). */
function loopbackAddress(n: number, block = 0): string {
  return `127.${block + ((n >> 16) & 255)}.${(n >> 8) & 255}.${n & 255}`;
}

/** Resident set size of `pid` without collecting garbage (VmRSS), bytes. */
function rawRss(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] === undefined ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) of `pid` so far, milliseconds (USER_HZ is 100 on Linux). */
function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** Machine-wide CPU ticks so far (/proc/stat, USER_HZ = 100): all, idle (with iowait), steal. */
function machineCpu(): { total: number; idle: number; steal: number; cores: number } | undefined {
  try {
    const lines = readFileSync('/proc/stat', 'utf8').split('\n');
    const fields = (lines[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] =
      fields;
    return {
      total: user + nice + system + idle + iowait + irq + softirq + steal,
      idle: idle + iowait,
      steal,
      cores: lines.filter((line) => /^cpu\d+ /.test(line)).length,
    };
  } catch {
    return undefined;
  }
}

/** Some figures of the service's /metrics. */
interface ServiceMetrics {
  /** Bytes held by the caches as charged against CACHE_MAX_BYTES, all caches. */
  readonly cacheBytes: number;
  readonly cacheBytesByCache: Record<string, number>;
  readonly cacheEntriesByCache: Record<string, number>;
  /** Upstream origin circuits that entered each state. */
  readonly circuitChanges: Record<string, number>;
  /** Upstream fetches by result. */
  readonly upstreamFetches: Record<string, number>;
  /**
   * The service's event-loop delay since the previous scrape (prom-client resets its histogram at
   * every scrape), beyond the monitor's 10 ms period, milliseconds.
   */
  readonly eventLoopDelayP99Ms: number | undefined;
  readonly eventLoopDelayMaxMs: number | undefined;
}

/** Period of prom-client's event-loop monitor (its default eventLoopMonitoringPrecision). */
const PROM_LOOP_RESOLUTION_MS = 10;

async function scrapeMetrics(baseUrl: string): Promise<ServiceMetrics | undefined> {
  try {
    const response = await withTimeout(get(`${baseUrl}/metrics`), 15_000);
    if (response === undefined || response.status !== 200) return undefined;
    const families: Record<string, Record<string, number>> = {};
    const plain: Record<string, number> = {};
    for (const line of response.body.toString('utf8').split('\n')) {
      const labelled = /^(resolver_\w+)\{(\w+)="([^"]*)"\}\s+(\S+)$/.exec(line);
      if (labelled !== null) {
        const [, name = '', , label = '', value = '0'] = labelled;
        (families[name] ??= {})[label] = Number(value);
      }
      const unlabelled = /^(nodejs_eventloop_lag_\w+)\s+(\S+)$/.exec(line);
      if (unlabelled !== null) plain[unlabelled[1] ?? ''] = Number(unlabelled[2]);
    }
    const lag = (name: string): number | undefined => {
      const seconds = plain[name];
      return seconds === undefined || !Number.isFinite(seconds)
        ? undefined
        : Math.max(0, seconds * 1000 - PROM_LOOP_RESOLUTION_MS);
    };
    const bytes = families['resolver_cache_bytes'] ?? {};
    return {
      cacheBytes: Object.values(bytes).reduce((sum, n) => sum + n, 0),
      cacheBytesByCache: bytes,
      cacheEntriesByCache: families['resolver_cache_entries'] ?? {},
      circuitChanges: families['resolver_upstream_circuit_changes_total'] ?? {},
      upstreamFetches: families['resolver_upstream_fetches_total'] ?? {},
      eventLoopDelayP99Ms: lag('nodejs_eventloop_lag_p99_seconds'),
      eventLoopDelayMaxMs: lag('nodejs_eventloop_lag_max_seconds'),
    };
  } catch {
    return undefined;
  }
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------
// Workers

/** One forked load-worker.js. */
class Worker {
  readonly child: ChildProcess;
  readonly #waiting = new Map<string, ((message: unknown) => void)[]>();
  final: WorkerFinal | undefined;

  constructor() {
    const script = fileURLToPath(new URL('./load-worker.js', import.meta.url));
    this.child = fork(script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (message: { type?: string }) => {
      if (message.type === 'final') this.final = message as WorkerFinal;
      const waiters = this.#waiting.get(message.type ?? '');
      waiters?.shift()?.(message);
    });
  }

  /** The next message of `type`, or undefined after `timeoutMs` or when the worker exits. */
  next<T>(type: string, timeoutMs: number): Promise<T | undefined> {
    if (type === 'final' && this.final !== undefined) return Promise.resolve(this.final as T);
    if (!this.child.connected) return Promise.resolve(undefined);
    let onExit: (() => void) | undefined;
    const message = new Promise<T | undefined>((resolve) => {
      const waiters = this.#waiting.get(type) ?? [];
      waiters.push((m) => resolve(m as T));
      this.#waiting.set(type, waiters);
      onExit = () => resolve(undefined);
      this.child.once('exit', onExit);
    });
    return withTimeout(message, timeoutMs).finally(() => {
      if (onExit !== undefined) this.child.off('exit', onExit);
    });
  }

  send(command: WorkerCommand): void {
    if (this.child.connected) this.child.send(command);
  }

  close(): Promise<void> {
    return closeChild(this.child);
  }
}

// ---------------------------------------------------------------------------------------------
// The run

/** One memory (and interval) sample. */
interface Sample {
  label: string;
  /** Seconds since the start of the load window (0 = after the warm-up, before the load). */
  t: number;
  rawRss: number | undefined;
  afterGc: ChildMemory | undefined;
  /** How long measure() (two full collections in the service, and the IPC) took. */
  measureMs: number;
  metrics: ServiceMetrics | undefined;
  upstreamRequests: number;
  upstreamConnections: number;
  /** Since the previous sample, all workers together. */
  interval:
    | {
        seconds: number;
        categories: Record<Category, IntervalStats>;
        inFlight: number;
      }
    | undefined;
}

const resources: {
  upstreams: HostileUpstream[];
  service: ResolverProcess | undefined;
  workers: Worker[];
  timers: NodeJS.Timeout[];
} = { upstreams: [], service: undefined, workers: [], timers: [] };

let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const timer of resources.timers) clearInterval(timer);
    await Promise.allSettled(resources.workers.map((worker) => worker.close()));
    await resources.service?.close().catch(() => undefined);
    await Promise.allSettled(resources.upstreams.map((upstream) => upstream.close()));
  })();
  return cleaning;
}

let interrupted: string | undefined;
let interrupt: (() => void) | undefined;
const interruption = new Promise<void>((resolve) => (interrupt = resolve));
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted !== undefined) {
      console.error(`\n${signal} again: stopping everything now`);
      void cleanup().finally(() => process.exit(130));
      return;
    }
    interrupted = signal;
    console.error(`\n${signal}: ending the load window early (again to stop at once)`);
    interrupt?.();
  });
}

async function main(): Promise<void> {
  const started = new Date();
  const cacheMaxBytes = Number(
    settings.serviceEnv['CACHE_MAX_BYTES'] ?? SETTINGS.CACHE_MAX_BYTES[0],
  );
  printSettings();

  // Upstreams and the service.
  const upstreamOptions = {
    latencyMs: settings.upstreamLatencyMs,
    hintCount: settings.hintCount,
    bigBytes: settings.bigBytes,
  };
  const valid = await startHostileUpstream(upstreamOptions);
  resources.upstreams.push(valid);
  let hostile = valid;
  if (settings.hostileOrigin === 'separate') {
    hostile = await startHostileUpstream(upstreamOptions);
    resources.upstreams.push(hostile);
  }
  const anchors = [...new Set(resources.upstreams)].map((u) => u.trustAnchor);
  const service = await startResolverProcess(
    anchors,
    { LOG_LEVEL: 'silent', ...settings.serviceEnv },
    settings.serviceExecArgv,
  );
  resources.service = service;
  let serviceExit: string | undefined;
  service.child.once('exit', (code, signal) => {
    serviceExit = `the service exited (code ${String(code)}, signal ${String(signal)})`;
    if (cleaning === undefined) {
      console.error(`\n${serviceExit}: ending the load window`);
      interrupt?.();
    }
  });
  console.log(
    `service ${service.url} (pid ${service.pid}), upstream ${valid.url}` +
      (hostile === valid ? '' : `, hostile upstream ${hostile.url}`),
  );

  // Warm-up: every warm subject resolved once, each from a source address of its own (outside
  // the clients' block), so the warm-up spends no client's budget.
  const warmSubjects = Array.from({ length: settings.warmSubjects }, (_, i) =>
    valid.entityId('ok', `warm-${i}`),
  );
  const warmAnchor = valid.trustAnchor.entity_id;
  const warmStarted = performance.now();
  let nextWarm = 0;
  await Promise.all(
    Array.from({ length: Math.min(8, warmSubjects.length) }, async () => {
      while (nextWarm < warmSubjects.length) {
        const i = nextWarm++;
        const subject = warmSubjects[i] ?? '';
        const response = await get(resolveUrl(service.url, subject, warmAnchor), {
          localAddress: loopbackAddress(i + 1, 100),
        });
        if (response.status !== 200) {
          throw new Error(
            `warm-up of ${subject}: status ${response.status} ${response.body.toString('utf8')}`,
          );
        }
      }
    }),
  );
  console.log(
    `warm-up: ${warmSubjects.length} subjects resolved in ${ms(performance.now() - warmStarted)}`,
  );

  // Workers, ready before the window is scheduled.
  for (let w = 0; w < settings.workers; w++) resources.workers.push(new Worker());
  const alive = await Promise.all(resources.workers.map((w) => w.next('alive', 15_000)));
  if (alive.some((a) => a === undefined)) throw new Error('a load worker did not start');

  const upstreamRequests = (): number =>
    resources.upstreams.reduce((sum, upstream) => sum + upstream.requests(), 0);
  const upstreamConnections = (): number =>
    resources.upstreams.reduce((sum, upstream) => sum + upstream.connections(), 0);
  let maxRawRss = rawRss(service.pid) ?? 0;
  resources.timers.push(
    setInterval(() => {
      maxRawRss = Math.max(maxRawRss, rawRss(service.pid) ?? 0);
    }, 1_000),
  );

  let lastSnapshotAt = 0;
  const takeSample = async (label: string, t: number, withInterval: boolean): Promise<Sample> => {
    const raw = rawRss(service.pid);
    if (raw !== undefined) maxRawRss = Math.max(maxRawRss, raw);
    let interval: Sample['interval'];
    if (withInterval) {
      resources.workers.forEach((w) => w.send({ type: 'snapshot' }));
      const snapshots = await Promise.all(
        resources.workers.map((w) => w.next<WorkerSnapshot>('snapshot', 5_000)),
      );
      const now = performance.now();
      interval = {
        seconds: (now - lastSnapshotAt) / 1000,
        categories: mergeIntervals(snapshots.filter((s) => s !== undefined)),
        inFlight: snapshots.reduce((sum, s) => sum + (s?.inFlight ?? 0), 0),
      };
      lastSnapshotAt = now;
    }
    const requests = upstreamRequests();
    const connections = upstreamConnections();
    const metrics = await scrapeMetrics(service.url);
    // measure() collects garbage in the service (a pause its next interval's latency includes).
    const measureStarted = performance.now();
    const afterGc = service.child.connected
      ? await withTimeout(service.measure(), 15_000)
      : undefined;
    const measureMs = performance.now() - measureStarted;
    const sample: Sample = {
      label,
      t,
      rawRss: raw,
      afterGc,
      measureMs,
      metrics,
      upstreamRequests: requests,
      upstreamConnections: connections,
      interval,
    };
    printSampleLine(sample);
    return sample;
  };

  const samples: Sample[] = [await takeSample('start (after warm-up)', 0, false)];
  const upstreamAtStart = new Map<string, number>();
  const upstreamKinds = ['ta', 'ok', 'big', 'g', ...settings.hostileKinds.map((h) => h.kind)];
  const upstreamLabel = (upstream: HostileUpstream, kind: string): string =>
    resources.upstreams.length === 1 ? kind : `${upstream === valid ? 'valid' : 'hostile'} ${kind}`;
  for (const upstream of resources.upstreams) {
    for (const kind of upstreamKinds) {
      upstreamAtStart.set(upstreamLabel(upstream, kind), upstream.requests(kind));
    }
  }
  const upstreamTotalAtStart = upstreamRequests();

  // The mix.
  const kinds: KindSpec[] = [];
  const add = (spec: KindSpec): void => {
    if (spec.weight > 0) kinds.push(spec);
  };
  add({
    name: 'warm',
    category: 'warm',
    weight: settings.warm,
    subjects: { fixed: warmSubjects },
    anchor: warmAnchor,
  });
  for (const [kind, share] of [
    ['ok', 100 - settings.coldBigPercent],
    ['big', settings.coldBigPercent],
  ] as const) {
    add({
      name: `cold/${kind}`,
      category: 'cold',
      weight: (settings.cold * share) / 100,
      subjects: { prefix: `${valid.url}/${kind}/` },
      anchor: warmAnchor,
    });
  }
  const hostileWeight = settings.hostileKinds.reduce((sum, h) => sum + h.weight, 0);
  for (const { kind, weight } of settings.hostileKinds) {
    add({
      name: `hostile/${kind}`,
      category: 'hostile',
      weight: (settings.hostile * weight) / hostileWeight,
      subjects: { prefix: `${hostile.url}/${kind}/` },
      anchor: hostile.trustAnchor.entity_id,
    });
  }

  // The window.
  if (settings.trace !== undefined) writeFileSync(settings.trace, '');
  const durationMs = settings.seconds * 1000;
  const startAtEpochMs = Date.now() + 300;
  const windowStartPerf = performance.now() + 300;
  lastSnapshotAt = windowStartPerf;
  const parentCpuBefore = process.cpuUsage();
  const serviceCpuBefore = processCpuMs(service.pid);
  const machineBefore = machineCpu();
  resources.workers.forEach((worker, w) => {
    const config: WorkerConfig = {
      worker: w,
      serviceUrl: service.url,
      clients: Array.from({ length: settings.clients }, (_, index) => ({
        index,
        address: loopbackAddress(index + 2),
      })).filter((client) => client.index % settings.workers === w),
      clientRate: settings.rate / settings.clients,
      arrivals: settings.arrivals,
      startAtEpochMs,
      durationMs,
      drainMs: settings.drainSeconds * 1000,
      maxInFlight: settings.maxInFlight,
      requestTimeoutMs: settings.requestTimeoutMs,
      seed: settings.seed,
      kinds,
      ...(settings.trace === undefined ? {} : { tracePath: settings.trace }),
    };
    worker.send({ type: 'start', config });
  });
  const finals = Promise.all(
    resources.workers.map((w) =>
      w.next<WorkerFinal>('final', durationMs + 60_000 + settings.drainSeconds * 1000),
    ),
  );

  // Samples every LOAD_SAMPLE_SECONDS and at the middle, until the end or an interruption.
  const points = new Map<number, string[]>();
  for (let t = settings.sampleSeconds; t < settings.seconds - 1e-9; t += settings.sampleSeconds) {
    points.set(t, [`${t} s`]);
  }
  const middle = settings.seconds / 2;
  points.set(middle, [...(points.get(middle) ?? []), 'middle']);
  let middleSample: Sample | undefined;
  for (const t of [...points.keys()].sort((a, b) => a - b)) {
    const due = windowStartPerf + t * 1000 - performance.now();
    const stopped = await Promise.race([
      sleep(due).then(() => false),
      interruption.then(() => true),
    ]);
    if (stopped) break;
    const labels = points.get(t) ?? [];
    const sample = await takeSample(labels.join(', '), t, true);
    samples.push(sample);
    if (labels.includes('middle')) middleSample = sample;
  }
  // An interruption (now or while the workers drain) ends the window and shortens the drain.
  void interruption.then(() =>
    resources.workers.forEach((w) => w.send({ type: 'stop', drainMs: 2_000 })),
  );
  const workerFinals = await finals;
  const windowEndPerf = Math.min(performance.now(), windowStartPerf + durationMs);
  const parentCpu = process.cpuUsage(parentCpuBefore);
  const serviceCpuAfter = processCpuMs(service.pid);
  const machineAfter = machineCpu();
  const endT = (performance.now() - windowStartPerf) / 1000;
  const endSample = await takeSample('end (after the drain)', Number(endT.toFixed(1)), true);
  samples.push(endSample);

  // Figures.
  const completed = workerFinals.filter((f): f is WorkerFinal => f !== undefined);
  const windowSeconds =
    Math.max(...completed.map((f) => f.windowMs), windowEndPerf - windowStartPerf) / 1000;
  const byKind: Record<string, KindStats> = {};
  for (const spec of kinds) {
    byKind[spec.name] = mergeKindStats(
      completed.map((f) => f.kinds[spec.name]).filter((k): k is KindStats => k !== undefined),
    );
  }
  const byCategory = Object.fromEntries(
    CATEGORIES.map((c) => [
      c,
      mergeKindStats(kinds.filter((k) => k.category === c).map((k) => byKind[k.name] as KindStats)),
    ]),
  ) as Record<Category, KindStats>;
  const overall = mergeKindStats(Object.values(byCategory));
  const scheduleLag = new Histogram();
  completed.forEach((f) => scheduleLag.merge(f.scheduleLag));
  const upstreamByKind: Record<string, number> = {};
  for (const upstream of resources.upstreams) {
    for (const kind of upstreamKinds) {
      const label = upstreamLabel(upstream, kind);
      upstreamByKind[label] = upstream.requests(kind) - (upstreamAtStart.get(label) ?? 0);
    }
  }
  const upstreamTotal = upstreamRequests() - upstreamTotalAtStart;
  const elapsedSeconds = Math.max(...completed.map((f) => f.elapsedMs), 1) / 1000;
  const driver = {
    parent: {
      cpuMs: (parentCpu.user + parentCpu.system) / 1000,
      share: (parentCpu.user + parentCpu.system) / 1000 / (elapsedSeconds * 1000),
    },
    workers: completed.map((f) => ({
      cpuMs: f.cpuMs,
      share: f.cpuMs / f.elapsedMs,
      loopDelay: f.loopDelay,
      maxInFlight: f.maxInFlight,
    })),
    scheduleLag: scheduleLag.percentiles(),
  };
  const serviceCpu =
    serviceCpuBefore === undefined || serviceCpuAfter === undefined
      ? undefined
      : {
          cpuMs: serviceCpuAfter - serviceCpuBefore,
          share: (serviceCpuAfter - serviceCpuBefore) / (elapsedSeconds * 1000),
        };

  // The whole machine over the same time, in cores: what the driver and the service used, and
  // what other processes did (another test run would show here and distort every figure).
  const machine =
    machineBefore === undefined || machineAfter === undefined
      ? undefined
      : (() => {
          const total = machineAfter.total - machineBefore.total;
          const busy = total - (machineAfter.idle - machineBefore.idle);
          const cores = machineAfter.cores;
          const ours =
            driver.parent.share +
            driver.workers.reduce((sum, w) => sum + w.share, 0) +
            (serviceCpu?.share ?? 0);
          const busyCores = total === 0 ? 0 : (busy / total) * cores;
          return {
            cores,
            busyShare: total === 0 ? 0 : busy / total,
            stealShare: total === 0 ? 0 : (machineAfter.steal - machineBefore.steal) / total,
            busyCores,
            othersCores: Math.max(0, busyCores - ours),
          };
        })();

  const verdict = memoryVerdict(
    // Interrupted before the middle: from the start, which the line names.
    middleSample ?? samples[0],
    endSample,
    cacheMaxBytes,
  );

  // Report.
  const lines: string[] = [];
  const title = `## Sustained load, ${started.toISOString()}, Node ${process.version}`;
  lines.push('', title, '');
  lines.push(
    `Offered ${integer(settings.rate)} requests/s for ${settings.seconds} s (window measured: ${windowSeconds.toFixed(1)} s) from ${settings.clients} clients ` +
      `(${(settings.rate / settings.clients).toFixed(1)} requests/s each, ${settings.arrivals} arrivals, at most ${settings.maxInFlight} in flight each) in ${settings.workers} worker process(es); ` +
      `mix warm ${settings.warm} / cold ${settings.cold} (${settings.coldBigPercent} % big) / hostile ${settings.hostile} ` +
      `(${settings.hostileKinds.map((h) => h.kind + (h.weight === 1 ? '' : `:${h.weight}`)).join(', ')}; ${settings.hostileOrigin} origin); ` +
      `${settings.warmSubjects} warm subjects; service settings: ${Object.keys(settings.serviceEnv).length === 0 ? 'production defaults' : JSON.stringify(settings.serviceEnv)} (LOG_LEVEL=silent).` +
      (interrupted === undefined ? '' : ` **Interrupted by ${interrupted}: partial figures.**`) +
      (serviceExit === undefined ? '' : ` **${serviceExit}.**`),
  );
  if (machine !== undefined && machine.othersCores > 0.25) {
    lines.push(
      '',
      `**Warning: other processes used ${percent(machine.othersCores)} of a core on this ${machine.cores}-core machine during the run; every figure below is distorted by that.**`,
    );
  }
  lines.push('');
  lines.push(requestsTable(kinds, byKind, byCategory, overall, windowSeconds));
  lines.push('');
  lines.push(descriptionsTable(byCategory));
  lines.push('');
  lines.push(slowestTable(byCategory));
  lines.push('');
  lines.push(memoryTable(samples, maxRawRss));
  lines.push('');
  lines.push(
    `Upstream requests made by the service during the window and the drain: ${integer(upstreamTotal)} ` +
      `(${(upstreamTotal / elapsedSeconds).toFixed(0)}/s): ` +
      Object.entries(upstreamByKind)
        .filter(([, n]) => n > 0)
        .map(([kind, n]) => `${kind} ${integer(n)}`)
        .join(', ') +
      `. Upstream connections open at the end: ${endSample.upstreamConnections}. ` +
      `Circuit changes (service metrics): ${formatCounts(endSample.metrics?.circuitChanges ?? {}) || 'none'}.`,
  );
  lines.push('');
  lines.push(cpuTable(driver, serviceCpu, machine, elapsedSeconds));
  lines.push('');
  lines.push(verdict.line);
  const report = lines.join('\n');
  console.log(report);

  if (settings.report !== undefined) {
    const json = {
      started: started.toISOString(),
      node: process.version,
      settings,
      interrupted: interrupted ?? null,
      serviceExit: serviceExit ?? null,
      windowSeconds,
      elapsedSeconds,
      kinds: Object.fromEntries(Object.entries(byKind).map(([k, s]) => [k, withPercentiles(s)])),
      categories: Object.fromEntries(CATEGORIES.map((c) => [c, withPercentiles(byCategory[c])])),
      overall: withPercentiles(overall),
      samples: samples.map((s) => ({
        ...s,
        interval:
          s.interval === undefined
            ? undefined
            : {
                ...s.interval,
                categories: Object.fromEntries(
                  CATEGORIES.map((c) => {
                    const stats = s.interval?.categories[c] as IntervalStats;
                    return [
                      c,
                      { ...stats, percentiles: Histogram.from(stats.latency).percentiles() },
                    ];
                  }),
                ),
              },
      })),
      maxRawRss,
      upstream: { total: upstreamTotal, byKind: upstreamByKind },
      driver,
      service: { cpu: serviceCpu, pid: service.pid },
      machine,
      verdict,
      markdown: report,
    };
    writeFileSync(settings.report, JSON.stringify(json, null, 2));
    console.log(`\nraw figures: ${settings.report}`);
  }
  if (interrupted !== undefined || serviceExit !== undefined) process.exitCode = 1;
}

function withPercentiles(stats: KindStats): KindStats & { percentiles: Percentiles } {
  return { ...stats, percentiles: Histogram.from(stats.latency).percentiles() };
}

function mergeIntervals(snapshots: readonly WorkerSnapshot[]): Record<Category, IntervalStats> {
  return Object.fromEntries(
    CATEGORIES.map((c) => {
      const latency = new Histogram();
      const total = { sent: 0, shed: 0, answered: 0, failed: 0 };
      for (const snapshot of snapshots) {
        const part = snapshot.categories[c];
        total.sent += part.sent;
        total.shed += part.shed;
        total.answered += part.answered;
        total.failed += part.failed;
        latency.merge(part.latency);
      }
      return [c, { ...total, latency: latency.toJSON() }];
    }),
  ) as Record<Category, IntervalStats>;
}

// ---------------------------------------------------------------------------------------------
// Output

function printSettings(): void {
  console.log('federation-resolver sustained load (test/bench/load.ts); settings:');
  const shown: [string, string][] = [
    ['LOAD_SECONDS', String(settings.seconds)],
    ['LOAD_CLIENTS', String(settings.clients)],
    ['LOAD_RATE', String(settings.rate)],
    [
      'LOAD_WARM / LOAD_COLD / LOAD_HOSTILE',
      `${settings.warm} / ${settings.cold} / ${settings.hostile}`,
    ],
    ['LOAD_COLD_BIG', `${settings.coldBigPercent} %`],
    ['LOAD_HOSTILE_KINDS', settings.hostileKinds.map((h) => `${h.kind}:${h.weight}`).join(',')],
    ['LOAD_HOSTILE_ORIGIN', settings.hostileOrigin],
    ['LOAD_WARM_SUBJECTS', String(settings.warmSubjects)],
    ['LOAD_SAMPLE_SECONDS', String(settings.sampleSeconds)],
    ['LOAD_WORKERS', String(settings.workers)],
    ['LOAD_MAX_IN_FLIGHT', `${settings.maxInFlight} per client`],
    ['LOAD_ARRIVALS', settings.arrivals],
    ['LOAD_REQUEST_TIMEOUT_MS', String(settings.requestTimeoutMs)],
    ['LOAD_DRAIN_SECONDS', String(settings.drainSeconds)],
    ['LOAD_UPSTREAM_LATENCY_MS', String(settings.upstreamLatencyMs)],
    ['LOAD_HINT_COUNT', String(settings.hintCount)],
    ['LOAD_BIG_BYTES', String(settings.bigBytes)],
    ['LOAD_SEED', String(settings.seed)],
    ['LOAD_REPORT', settings.report ?? '(none)'],
    ['LOAD_TRACE', settings.trace ?? '(none)'],
    ['service env (LOAD_SERVICE_ENV, SERVICE_*)', JSON.stringify(settings.serviceEnv)],
    ['LOAD_SERVICE_EXEC_ARGV', settings.serviceExecArgv.join(' ') || '(none)'],
  ];
  for (const [name, value] of shown) console.log(`  ${name.padEnd(44)} ${value}`);
}

function printSampleLine(sample: Sample): void {
  const m = sample.afterGc;
  const interval = sample.interval;
  const answered =
    interval === undefined
      ? undefined
      : CATEGORIES.reduce((sum, c) => sum + interval.categories[c].answered, 0);
  console.log(
    `[${sample.t.toFixed(0).padStart(5)} s] ${sample.label}: rss ${mib(sample.rawRss)} (after GC ${mib(m?.rss)}, heapUsed ${mib(m?.heapUsed)}, external ${mib(m?.external)}), ` +
      `caches ${mib(sample.metrics?.cacheBytes)}, upstream requests ${integer(sample.upstreamRequests)}` +
      (interval === undefined || answered === undefined
        ? ''
        : `, ${(answered / interval.seconds).toFixed(0)} answers/s, in flight ${interval.inFlight}`),
  );
}

function formatCounts(counts: Readonly<Record<string, number>>): string {
  return Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, n]) => `${key}: ${integer(n)}`)
    .join(', ');
}

function requestsTable(
  kinds: readonly KindSpec[],
  byKind: Readonly<Record<string, KindStats>>,
  byCategory: Readonly<Record<Category, KindStats>>,
  overall: KindStats,
  windowSeconds: number,
): string {
  const rows: string[] = [
    '| requests | sent | shed by driver | answered | answers/s | p50 | p90 | p99 | max | answers by status | non-200 answers by `error` | driver errors | unanswered at the end |',
    '| --- | --: | --: | --: | --: | --: | --: | --: | --: | --- | --- | --- | --: |',
  ];
  const row = (name: string, stats: KindStats): string => {
    const p = Histogram.from(stats.latency).percentiles();
    return `| ${name} | ${integer(stats.sent)} | ${integer(stats.shed)} | ${integer(stats.answered)} | ${(stats.answeredInWindow / windowSeconds).toFixed(1)} | ${ms(p.p50Ms)} | ${ms(p.p90Ms)} | ${ms(p.p99Ms)} | ${ms(p.maxMs)} | ${formatCounts(stats.statuses) || '—'} | ${formatCounts(stats.errors) || '—'} | ${formatCounts(stats.driverErrors) || '0'} | ${integer(stats.unanswered)} |`;
  };
  for (const category of CATEGORIES) {
    const members = kinds.filter((k) => k.category === category);
    if (members.length === 0) continue;
    rows.push(row(`**${category}**`, byCategory[category]));
    if (members.length > 1 || members[0]?.name !== category) {
      for (const kind of members)
        rows.push(row(`&nbsp;&nbsp;${kind.name}`, byKind[kind.name] as KindStats));
    }
  }
  rows.push(row('**overall**', overall));
  return rows.join('\n');
}

function slowestTable(byCategory: Readonly<Record<Category, KindStats>>): string {
  const rows = [
    '| category | slowest answers: total (sent at; status; connection; connected after; headers after) |',
    '| --- | --- |',
  ];
  for (const category of CATEGORIES) {
    const slowest = byCategory[category].slowest;
    if (slowest.length === 0) continue;
    rows.push(
      `| ${category} | ${slowest
        .map(
          (r) =>
            `${ms(r.totalMs)} (${r.sentAtS.toFixed(1)} s; ${r.status}; ${r.reusedSocket ? 'kept-alive' : 'new'}; ${ms(r.connectedMs)}; ${ms(r.headersMs)})`,
        )
        .join('; ')} |`,
    );
  }
  return rows.join('\n');
}

function descriptionsTable(byCategory: Readonly<Record<Category, KindStats>>): string {
  const rows = [
    '| category | non-200 answer (status, `error`, `error_description` with URLs and numbers replaced) | count |',
    '| --- | --- | --: |',
  ];
  for (const category of CATEGORIES) {
    const entries = Object.entries(byCategory[category].descriptions)
      .sort(([, a], [, b]) => b - a)
      .slice(0, 12);
    for (const [description, count] of entries) {
      rows.push(`| ${category} | ${description.replace(/\|/g, '\\|')} | ${integer(count)} |`);
    }
  }
  if (rows.length === 2) rows.push('| — | no answers other than 200 | 0 |');
  return rows.join('\n');
}

function loopDelay(metrics: ServiceMetrics | undefined): string {
  const p99 = metrics?.eventLoopDelayP99Ms;
  const max = metrics?.eventLoopDelayMaxMs;
  return p99 === undefined || max === undefined ? 'n/a' : `${ms(p99)} / ${ms(max)}`;
}

function memoryTable(samples: readonly Sample[], maxRawRss: number): string {
  const rows = [
    '| sample | t | rss (raw, no GC) | rss after GC | heapUsed after GC | external after GC | arrayBuffers after GC | caches (as charged) | upstream requests (cumulative) | upstream connections open | answers/s in the interval | warm p99 in the interval | cold p99 in the interval | hostile p99 in the interval | non-200 in the interval | in flight | service event-loop delay p99 / max in the interval | measure() (forced GC) |',
    '| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |',
  ];
  for (const s of samples) {
    const interval = s.interval;
    const p99 = (c: Category): string =>
      interval === undefined || interval.categories[c].answered === 0
        ? '—'
        : ms(Histogram.from(interval.categories[c].latency).quantile(0.99));
    const answered =
      interval === undefined
        ? undefined
        : CATEGORIES.reduce((sum, c) => sum + interval.categories[c].answered, 0);
    const failed =
      interval === undefined
        ? undefined
        : CATEGORIES.reduce((sum, c) => sum + interval.categories[c].failed, 0);
    rows.push(
      `| ${s.label} | ${s.t} s | ${mib(s.rawRss)} | ${mib(s.afterGc?.rss)} | ${mib(s.afterGc?.heapUsed)} | ${mib(s.afterGc?.external)} | ${mib(s.afterGc?.arrayBuffers)} | ${mib(s.metrics?.cacheBytes)} | ${integer(s.upstreamRequests)} | ${s.upstreamConnections} | ` +
        `${interval === undefined || answered === undefined ? '—' : (answered / interval.seconds).toFixed(0)} | ${p99('warm')} | ${p99('cold')} | ${p99('hostile')} | ${failed === undefined ? '—' : integer(failed)} | ${interval?.inFlight ?? '—'} | ${loopDelay(s.metrics)} | ${ms(s.measureMs)} |`,
    );
  }
  rows.push('');
  rows.push(`Highest raw rss of the service (sampled every second): ${mib(maxRawRss)}.`);
  return rows.join('\n');
}

function cpuTable(
  driver: {
    parent: { cpuMs: number; share: number };
    workers: {
      cpuMs: number;
      share: number;
      loopDelay: { p50Ms: number; p99Ms: number; maxMs: number };
      maxInFlight: number;
    }[];
    scheduleLag: Percentiles;
  },
  service: { cpuMs: number; share: number } | undefined,
  machine:
    | {
        cores: number;
        busyShare: number;
        stealShare: number;
        busyCores: number;
        othersCores: number;
      }
    | undefined,
  elapsedSeconds: number,
): string {
  const rows = [
    `| process (over ${elapsedSeconds.toFixed(1)} s: window and drain) | CPU (share of one core) | notes |`,
    '| --- | --: | --- |',
    `| driver: main process (upstream servers, sampling) | ${percent(driver.parent.share)} | signs every upstream statement; ${integer(driver.parent.cpuMs)} ms CPU |`,
  ];
  driver.workers.forEach((w, i) => {
    rows.push(
      `| driver: load worker ${i} (clients) | ${percent(w.share)} | event-loop delay p50 ${ms(w.loopDelay.p50Ms)}, p99 ${ms(w.loopDelay.p99Ms)}, max ${ms(w.loopDelay.maxMs)}; most in flight ${w.maxInFlight} |`,
    );
  });
  rows.push(
    `| driver: schedule lag (sent after the scheduled time), all workers | — | p50 ${ms(driver.scheduleLag.p50Ms)}, p99 ${ms(driver.scheduleLag.p99Ms)}, max ${ms(driver.scheduleLag.maxMs)} |`,
  );
  rows.push(
    `| service (from /proc/<pid>/stat) | ${service === undefined ? 'n/a' : percent(service.share)} | ${service === undefined ? '' : `${integer(service.cpuMs)} ms CPU`} |`,
  );
  if (machine !== undefined) {
    rows.push(
      `| machine, all processes (/proc/stat) | ${percent(machine.busyCores)} | ${machine.cores} cores, ${percent(machine.busyShare)} busy, steal ${percent(machine.stealShare)} |`,
      `| other processes (machine − driver − service) | ${percent(machine.othersCores)} | other work on the machine distorts every figure when this is large |`,
    );
  }
  return rows.join('\n');
}

interface Verdict {
  readonly line: string;
  readonly from: string;
  readonly to: string;
  readonly rssGrowthMiB: number | null;
  readonly heapUsedGrowthMiB: number | null;
  readonly externalGrowthMiB: number | null;
  readonly cacheGrowthMiB: number | null;
  readonly beyondCachesMiB: number | null;
  readonly flat: boolean | null;
}

/**
 * Growth from the middle sample to the end sample, after GC. "Flat" when heapUsed + external grew
 * by at most 8 MiB (or 2 %); otherwise the growth is set against what the caches (bounded by
 * CACHE_MAX_BYTES) took on, since a cache still filling is growth by design.
 */
function memoryVerdict(from: Sample | undefined, to: Sample, cacheMaxBytes: number): Verdict {
  const a = from?.afterGc;
  const b = to.afterGc;
  if (from === undefined || a === undefined || b === undefined) {
    return {
      line: `**Memory verdict: not measured** (no middle or end sample after GC).`,
      from: from?.label ?? '',
      to: to.label,
      rssGrowthMiB: null,
      heapUsedGrowthMiB: null,
      externalGrowthMiB: null,
      cacheGrowthMiB: null,
      beyondCachesMiB: null,
      flat: null,
    };
  }
  const rss = b.rss - a.rss;
  const heap = b.heapUsed - a.heapUsed;
  const external = b.external - a.external;
  const js = heap + external;
  const cache =
    from.metrics === undefined || to.metrics === undefined
      ? undefined
      : to.metrics.cacheBytes - from.metrics.cacheBytes;
  const beyond = cache === undefined ? undefined : js - cache;
  const flat = js <= Math.max(8 * MIB, 0.02 * (a.heapUsed + a.external));
  const cacheEnd = to.metrics?.cacheBytes;
  let judgement: string;
  if (flat) judgement = 'FLAT';
  else if (beyond === undefined) judgement = 'GROWING (what the caches took on is unknown)';
  else if (beyond <= Math.max(8 * MIB, 0.25 * (cache ?? 0)))
    judgement = `GROWING WITH THE CACHES (they hold ${mib(cacheEnd)} of CACHE_MAX_BYTES ${mib(cacheMaxBytes)}${(cache ?? 0) > MIB ? ', still filling: a longer run shows whether memory levels off once they are full' : ''})`;
  else judgement = 'GROWING BEYOND THE CACHES (look for a leak)';
  return {
    line:
      `**Memory verdict: ${judgement}.** From ${from.label} (${from.t} s) to ${to.label} (${to.t} s), after GC: ` +
      `rss ${signedMib(rss)} MiB, heapUsed ${signedMib(heap)} MiB, external ${signedMib(external)} MiB; ` +
      `caches as charged ${cache === undefined ? 'n/a' : `${signedMib(cache)} MiB`}; heapUsed + external beyond the caches' growth ${beyond === undefined ? 'n/a' : `${signedMib(beyond)} MiB`}.`,
    from: from.label,
    to: to.label,
    rssGrowthMiB: rss / MIB,
    heapUsedGrowthMiB: heap / MIB,
    externalGrowthMiB: external / MIB,
    cacheGrowthMiB: cache === undefined ? null : cache / MIB,
    beyondCachesMiB: beyond === undefined ? null : beyond / MIB,
    flat,
  };
}

try {
  await main();
} catch (error) {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
} finally {
  const stopping = performance.now();
  await cleanup();
  console.error(
    `stopped the service, the workers and the upstreams in ${ms(performance.now() - stopping)}`,
  );
}
