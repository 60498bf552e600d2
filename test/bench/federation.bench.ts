/**
 * The whole federation benchmark (`npm run bench`, the last part): a testbed federation of one
 * Trust Anchor, 20 intermediates and 10,000 leaves (OPs and RPs with `display_name`), crawled
 * top-down (CRAWL=on) and resolved completely. The machine is shared and noisy, so each figure is
 * printed next to a baseline measured in the same run; compare the ratios.
 *
 * 1. One in-process resolver crawls and resolves the whole federation: the time (the pass's own
 *    `crawl_seconds` from the health report, and the wall time until the report answered),
 *    entities per second, and the upstream requests (the testbed's log) against the number of
 *    distinct statements (target: equal), listings apart.
 * 2. CPU per cold resolution, read in a resolver in a child process (its own CPU from its
 *    `/metrics`, so the testbed's CPU is not in it), over the whole pass of the process just
 *    started and over the second half of that pass (from the moment the testbed has answered
 *    half of the federation's statements, when the child's code is compiled and optimised: what
 *    a cold resolution costs a resolver that has been running), against the crypto floor
 *    measured here in the same run: as many ES256 verifications per resolution as the resolver made (its
 *    signature cache misses) plus one ES256 signature, with `node:crypto` and cached KeyObjects.
 * 3. Memory per cached resolved entity in that child (heapUsed, heapTotal and rss after GC,
 *    before the crawl's first request, right after the pass and after 10 s idle), against the
 *    size of one member's `/resolve` response (target: at most 2×).
 * 4. A second crawl pass over the federation with the default cache settings, which it does not
 *    fit: cache hits and misses of the second pass (`resolver_cache_hits_total` and
 *    `resolver_cache_misses_total`) and its upstream requests, against the first pass's.
 * 5. `/collection` page latency (limit=100, without and with `query`) over the whole view, p50
 *    and p99 of sequential requests on one keep-alive connection, against `/healthz`, interleaved.
 * 6. Three in-process replicas sharing Redis crawl the same federation: upstream requests
 *    against one replica's count of part 1 (target: equal), and the time until all three have it;
 *    once with the default REDIS_TIMEOUT_MS and once with a longer one. Each replica's log says
 *    when its Redis was marked down (one command that failed or timed out) and up again; a
 *    replica still without a view after FLEET_TIMEOUT_MS is reported as such, with its metrics.
 * 7. Resolution workers: the crawl of part 2 in a child with RESOLUTION_WORKERS=0 and with
 *    RESOLUTION_WORKERS=2, in alternation (`BENCH_WORKER_ROUNDS` rounds each, default 2), while a
 *    client asks for one cached resolution every 20 ms on one keep-alive connection: the
 *    pass's entities per second, its upstream requests, and that warm answer's p50 and p99.
 *
 * The testbed signs lazily, so an unmeasured pass first signs every statement (and compiles the
 * resolver's code). Everything listens on 127.0.0.1 and is closed at the end, child processes are
 * ended by their own handles, and a watchdog bounds the whole run. `BENCH_LEAVES` overrides the
 * number of leaves (for a quick try), `BENCH_FLEET_ROUNDS` the number of default fleets of
 * part 6 (default 1); `BENCH_CPU_PROF=<dir>` runs the child of parts 2 and 3 with
 * `--cpu-prof` into that folder (its CPU figure then includes the profiler's cost).
 */
import { generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino, type Logger } from 'pino';
import { startTestbed, type Testbed, type Topology } from '../../src/testbed/index.js';
import { testRedis } from '../support/redis.js';
import { startResolverProcess, type ResolverProcess } from '../support/resolver-process.js';
import { startTestResolver, type TestResolver } from '../support/service.js';
import { get, integer, median, ms, resolveUrl } from './service-support.js';

const LEAVES = Number(process.env['BENCH_LEAVES'] ?? 10_000);
const INTERMEDIATES = 20;
/**
 * Listings and resolutions the crawl runs at once (CRAWL_CONCURRENCY): the default
 * MAX_UPSTREAM_CONNECTIONS_PER_ORIGIN, since the testbed is one origin (more only queue there;
 * 8, 32, 64 and 128 were within the machine's noise of it).
 */
const CRAWL_CONCURRENCY = 16;
/** Sequential requests per target in part 5 (after 50 unmeasured ones each). */
const LATENCY_REQUESTS = 500;
const LATENCY_WARMUP = 50;
/** A `query` that matches fewer than a page (56 RPs of 10,000), so every request scans the view. */
const QUERY = 'party 77';
/** How often the health report is polled. */
const POLL_MS = 50;
/** Part 3: the testbed holds its answers this long while the child's memory is measured. */
const HOLD_MS = 1_000;
/** Part 3: how long the child is left idle after the pass before its memory is measured again. */
const SETTLE_MS = 10_000;
/** Part 6, second fleet: a command timeout that event-loop stalls of a busy process do not reach. */
const LONGER_REDIS_TIMEOUT_MS = 1_000;
/** Part 6: fleets with the default REDIS_TIMEOUT_MS, one after the other (`BENCH_FLEET_ROUNDS`). */
const FLEET_ROUNDS = Math.max(1, Number(process.env['BENCH_FLEET_ROUNDS'] ?? 1));
/** Longest wait for a fleet of replicas to have the view. */
const FLEET_TIMEOUT_MS = 120_000;
/** Part 7: rounds of each setting, in alternation (`BENCH_WORKER_ROUNDS`). */
const WORKER_ROUNDS = Math.max(1, Number(process.env['BENCH_WORKER_ROUNDS'] ?? 2));
/** Part 7: the warm client starts one request every this many milliseconds (or when the last ends). */
const WARM_CLIENT_PERIOD_MS = 20;
/** Part 7: the RESOLUTION_WORKERS settings compared. */
const WORKER_SETTINGS = [0, 2] as const;
/** Hard bound of the whole benchmark: 10 minutes, and more for each extra fleet round. */
const WATCHDOG_MS =
  600_000 + (FLEET_ROUNDS - 1) * (FLEET_TIMEOUT_MS + 10_000) + WORKER_ROUNDS * 2 * 120_000;
/** Longest wait for one crawl pass. */
const PASS_TIMEOUT_MS = 240_000;

/** The settings of a resolver that holds the whole federation. */
const CRAWL_ENV = {
  CRAWL: 'on',
  CRAWL_CONCURRENCY: String(CRAWL_CONCURRENCY),
  MAX_CONCURRENT_RESOLUTIONS: '1000',
  CACHE_MAX_BYTES: String(2 * 1024 ** 3),
  RESOLUTION_CACHE_MAX_ENTRIES: '100000',
  STATEMENT_CACHE_MAX_ENTRIES: '100000',
} as const;

const leafName = (i: number): string =>
  `${i % 2 === 0 ? 'op' : 'rp'}-${String(i).padStart(5, '0')}`;
const intermediateName = (j: number): string => `ia-${String(j).padStart(2, '0')}`;
const displayName = (i: number): string => (i % 2 === 0 ? `Provider ${i}` : `Relying Party ${i}`);

/** `ta` ← 20 intermediates ← LEAVES leaves, spread round-robin; even leaves are OPs, odd RPs. */
function benchFederation(): Topology {
  return {
    entities: [
      { name: 'ta', metadata: { federation_entity: { organization_name: 'Bench Federation' } } },
      ...Array.from({ length: INTERMEDIATES }, (_, j) => ({
        name: intermediateName(j),
        authorityHints: ['ta'],
        metadata: { federation_entity: { organization_name: `Intermediate ${j}` } },
      })),
      ...Array.from({ length: LEAVES }, (_, i) => ({
        name: leafName(i),
        authorityHints: [intermediateName(i % INTERMEDIATES)],
        metadata:
          i % 2 === 0
            ? {
                openid_provider: {
                  issuer: '{{self}}',
                  display_name: displayName(i),
                  authorization_endpoint: '{{self}}/authorize',
                  token_endpoint: '{{self}}/token',
                  jwks_uri: '{{self}}/jwks.json',
                  response_types_supported: ['code'],
                  subject_types_supported: ['public'],
                  id_token_signing_alg_values_supported: ['ES256'],
                },
              }
            : {
                openid_relying_party: {
                  display_name: displayName(i),
                  client_name: `RP ${i}`,
                  redirect_uris: ['{{self}}/cb'],
                  response_types: ['code'],
                  grant_types: ['authorization_code'],
                },
              },
      })),
    ],
  };
}

/** Members the crawl finds (the anchor is not one of its own members). */
const MEMBERS = INTERMEDIATES + LEAVES;
/** The anchor's configuration, each intermediate's configuration and statement, each leaf's. */
const DISTINCT_STATEMENTS = 1 + 2 * INTERMEDIATES + 2 * LEAVES;
/** The anchor's listing and each intermediate's. */
const LISTINGS = 1 + INTERMEDIATES;
/** Members whose searched text contains QUERY (case-insensitive). */
const QUERY_MATCHES = Array.from({ length: LEAVES }, (_, i) => displayName(i)).filter((name) =>
  name.toLowerCase().includes(QUERY),
).length;

interface Health {
  readonly checked_at: number;
  readonly crawl_seconds: number;
  readonly members: { readonly total: number; readonly resolved: number; readonly failed: number };
  readonly failures: ReadonlyArray<{ readonly entity_id: string; readonly reason: string }>;
  readonly list_failures: readonly unknown[];
  readonly bounds: readonly unknown[];
}

/**
 * Polls the health report of `anchor` until a pass has ended (after `newerThan`, when given);
 * returns it with the moment it was first seen. `horizon=0` keeps the report small.
 */
async function waitForPass(
  baseUrl: string,
  anchor: string,
  newerThan?: number,
  timeoutMs = PASS_TIMEOUT_MS,
): Promise<{ health: Health; at: number }> {
  const url = `${baseUrl}/api/v1/federation?trust_anchor=${encodeURIComponent(anchor)}&horizon=0`;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const response = await get(url);
    const at = performance.now();
    if (response.status === 200) {
      const health = JSON.parse(response.body.toString('utf8')) as Health;
      if (newerThan === undefined || health.checked_at > newerThan) return { health, at };
    } else if (response.status !== 503) {
      throw new Error(`the health report answered ${response.status}: ${response.body}`);
    }
    if (at > deadline) throw new PassTimeout(timeoutMs);
    await sleep(POLL_MS);
  }
}

/** No crawl pass ended in time. */
class PassTimeout extends Error {
  constructor(timeoutMs: number) {
    super(`no crawl pass ended within ${timeoutMs / 1000} s`);
  }
}

/** Prometheus samples by `name{labels}`. */
type Samples = ReadonlyMap<string, number>;

async function scrape(baseUrl: string): Promise<Samples> {
  const response = await get(`${baseUrl}/metrics`);
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  const samples = new Map<string, number>();
  for (const line of response.body.toString('utf8').split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

/** The sample of a cache metric, 0 when absent. */
const cacheSample = (samples: Samples, metric: string, cache: string): number =>
  samples.get(`${metric}{cache="${cache}"}`) ?? 0;

/** Hits and misses of `cache` between two scrapes. */
function lookups(before: Samples, after: Samples, cache: string) {
  const delta = (metric: string) =>
    cacheSample(after, metric, cache) - cacheSample(before, metric, cache);
  return { hits: delta('resolver_cache_hits_total'), misses: delta('resolver_cache_misses_total') };
}

/** The upstream requests in the testbed's log, by kind, with distinct URLs. */
interface Upstream {
  readonly total: number;
  readonly configurations: number;
  readonly fetches: number;
  readonly lists: number;
  readonly other: number;
  /** Distinct configuration and fetch URLs. */
  readonly distinctStatements: number;
  readonly distinctLists: number;
  readonly non200: number;
  /** False when the log kept fewer entries than it counted. */
  readonly complete: boolean;
}

function upstream(testbed: Testbed): Upstream {
  const entries = testbed.requests.entries();
  const statements = new Set<string>();
  const lists = new Set<string>();
  let non200 = 0;
  for (const entry of entries) {
    if (entry.status !== 200) non200++;
    if (entry.kind === 'configuration' || entry.kind === 'fetch') statements.add(entry.path);
    else if (entry.kind === 'list') lists.add(entry.path);
  }
  const count = (kind: 'configuration' | 'fetch' | 'list') => testbed.requests.count({ kind });
  const total = testbed.requests.total();
  const configurations = count('configuration');
  const fetches = count('fetch');
  const lists_ = count('list');
  return {
    total,
    configurations,
    fetches,
    lists: lists_,
    other: total - configurations - fetches - lists_,
    distinctStatements: statements.size,
    distinctLists: lists.size,
    non200,
    complete: entries.length === total,
  };
}

/** Statement requests (configurations and fetches) of `u`. */
const statementRequests = (u: Upstream): number => u.configurations + u.fetches;

/** One crawl by a new in-process resolver; the resolver stays up for the caller. */
async function crawlInProcess(
  testbed: Testbed,
  env: Readonly<Record<string, string>>,
): Promise<{
  resolver: TestResolver;
  health: Health;
  wallMs: number;
  cpuMs: number;
  upstream: Upstream;
}> {
  testbed.requests.reset();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const resolver = await startTestResolver(testbed, ['ta'], env);
  try {
    const { health, at } = await waitForPass(resolver.service.url, testbed.entityId('ta'));
    const cpu = process.cpuUsage(cpuBefore);
    return {
      resolver,
      health,
      wallMs: at - started,
      cpuMs: (cpu.user + cpu.system) / 1000,
      upstream: upstream(testbed),
    };
  } catch (error) {
    await resolver.close();
    throw error;
  }
}

/** Nearest-rank percentile `p` (0–100) of `values`. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** A GET on a keep-alive connection of `agent`: status, body and the time to the last byte. */
function timedGet(
  url: string,
  agent: Agent,
): Promise<{ status: number; body: Buffer; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(url, { agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks),
          ms: performance.now() - started,
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

interface LatencyFigures {
  readonly samples: Record<'healthz' | 'page' | 'query', number[]>;
  readonly bytes: Record<'healthz' | 'page' | 'query', number>;
  readonly pageEntities: number;
  readonly queryEntities: number;
  readonly errors: number;
}

/** Part 5: sequential requests, the three targets interleaved in rotating order. */
async function collectionLatency(baseUrl: string, anchor: string): Promise<LatencyFigures> {
  const collection = `${baseUrl}/collection?trust_anchor=${encodeURIComponent(anchor)}&limit=100`;
  const targets = {
    healthz: `${baseUrl}/healthz`,
    page: collection,
    query: `${collection}&query=${encodeURIComponent(QUERY)}`,
  } as const;
  const names = ['healthz', 'page', 'query'] as const;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const samples = { healthz: [] as number[], page: [] as number[], query: [] as number[] };
  const bytes = { healthz: 0, page: 0, query: 0 };
  let pageEntities = 0;
  let queryEntities = 0;
  let errors = 0;
  try {
    for (let i = 0; i < LATENCY_WARMUP + LATENCY_REQUESTS; i++) {
      for (let k = 0; k < names.length; k++) {
        const name = names[(i + k) % names.length] ?? 'healthz';
        const answer = await timedGet(targets[name], agent);
        if (answer.status !== 200) errors++;
        if (i < LATENCY_WARMUP) continue;
        samples[name].push(answer.ms);
        bytes[name] = answer.body.length;
        if (name !== 'healthz' && i === LATENCY_WARMUP) {
          const page = JSON.parse(answer.body.toString('utf8')) as { entities: unknown[] };
          if (name === 'page') pageEntities = page.entities.length;
          else queryEntities = page.entities.length;
        }
      }
    }
  } finally {
    agent.destroy();
  }
  return { samples, bytes, pageEntities, queryEntities, errors };
}

/** Parts 2 and 3: a cold crawl by a resolver in a child process, its CPU and memory. */
async function crawlInChild(testbed: Testbed, watch: (child: ResolverProcess | undefined) => void) {
  const profileDir = process.env['BENCH_CPU_PROF'];
  const execArgv =
    profileDir === undefined || profileDir === ''
      ? []
      : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
  // The crawl's first request (the anchor's configuration) waits while the child is measured.
  testbed.setLatency(HOLD_MS);
  testbed.requests.reset();
  const child = await startResolverProcess(
    [testbed.trustAnchor('ta')],
    { ...CRAWL_ENV, CLIENT_COLD_RATE: '0', CIRCUIT_BREAKER_FAILURES: '0' },
    execArgv,
  );
  watch(child);
  try {
    const before = await child.measure();
    const metricsBefore = await scrape(child.url);
    const heldRequests = testbed.requests.total();
    testbed.setLatency(0);
    const anchor = testbed.entityId('ta');
    // Halfway through the pass, once the child's code is compiled and optimised: the second half
    // is the cost of cold resolutions in a process that has been running for a while.
    const halfway = requestsReached(testbed, Math.floor(DISTINCT_STATEMENTS / 2)).then(
      async () => ({
        metrics: await scrape(child.url),
        requests: testbed.requests.total(),
      }),
    );
    const { health } = await waitForPass(child.url, anchor);
    const metricsAfter = await scrape(child.url);
    const half = await halfway;
    const after = await child.measure();
    // Left alone, V8 gives back the space between live objects that the pass left behind.
    await sleep(SETTLE_MS);
    const settled = await child.measure();
    const cpu = (samples: Samples) => samples.get('process_cpu_seconds_total') ?? NaN;
    const leaf = testbed.entityId(leafName(0));
    const resolve = await get(resolveUrl(child.url, leaf, anchor));
    if (resolve.status !== 200) throw new Error(`/resolve of ${leaf} answered ${resolve.status}`);
    const api = await get(
      `${child.url}/api/v1/resolve?${new URLSearchParams({ sub: leaf, trust_anchor: anchor }).toString()}`,
    );
    const cacheBytes = [...metricsAfter]
      .filter(([name]) => name.startsWith('resolver_cache_bytes{'))
      .reduce((sum, [, value]) => sum + value, 0);
    // The listings are read at the start of the pass: what the second half fetched is statements.
    const secondHalfStatements = testbed.requests.total() - half.requests;
    return {
      health,
      heldRequests,
      cpuSeconds: cpu(metricsAfter) - cpu(metricsBefore),
      secondHalf: {
        cpuSeconds: cpu(metricsAfter) - cpu(half.metrics),
        // Two statements per leaf: its configuration and its intermediate's statement about it.
        members: secondHalfStatements / 2,
      },
      signatures: lookups(metricsBefore, metricsAfter, 'signatures'),
      before,
      after,
      settled,
      cacheBytes,
      resolveBytes: resolve.body.length,
      apiResolveBytes: api.body.length,
      upstream: upstream(testbed),
    };
  } finally {
    testbed.setLatency(0);
    await child.close();
    watch(undefined);
  }
}

/** Part 7: one round of a crawl in a child with `workers`, a client asking for a warm answer. */
async function crawlWithWarmClient(
  testbed: Testbed,
  workers: number,
  watch: (child: ResolverProcess | undefined) => void,
) {
  testbed.requests.reset();
  const child = await startResolverProcess([testbed.trustAnchor('ta')], {
    ...CRAWL_ENV,
    CLIENT_COLD_RATE: '0',
    CIRCUIT_BREAKER_FAILURES: '0',
    RESOLUTION_WORKERS: String(workers),
  });
  watch(child);
  const anchor = testbed.entityId('ta');
  // The anchor's own resolution: the crawl's first, cached from then on.
  const warm = `${child.url}/api/v1/resolve?${new URLSearchParams({ sub: anchor, trust_anchor: anchor }).toString()}`;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const samples: number[] = [];
  let errors = 0;
  let passEnded = false;
  try {
    const client = (async () => {
      // At a steady pace, so both settings serve about as many warm requests during the pass.
      for (let i = 0; !passEnded; i++) {
        const next = performance.now() + WARM_CLIENT_PERIOD_MS;
        const answer = await timedGet(warm, agent);
        if (answer.status !== 200) errors++;
        else if (i >= 5) samples.push(answer.ms);
        await sleep(Math.max(0, next - performance.now()));
      }
    })();
    const { health } = await waitForPass(child.url, anchor);
    passEnded = true;
    await client;
    return { workers, health, samples, errors, upstream: upstream(testbed) };
  } finally {
    agent.destroy();
    await child.close();
    watch(undefined);
  }
}

/**
 * Resolves once the testbed has answered `count` requests (polled every 10 ms; the total is
 * read in constant time, so the poll costs the testbed nothing).
 */
async function requestsReached(testbed: Testbed, count: number): Promise<void> {
  const deadline = performance.now() + PASS_TIMEOUT_MS;
  while (testbed.requests.total() < count) {
    if (performance.now() > deadline) throw new PassTimeout(PASS_TIMEOUT_MS);
    await sleep(10);
  }
}

/** CPU microseconds per call of `fn`, the median of `rounds` rounds of `calls` calls. */
function cpuPerCall(fn: () => unknown, calls: number, rounds: number): number {
  const perCall: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const before = process.cpuUsage();
    for (let i = 0; i < calls; i++) fn();
    const cpu = process.cpuUsage(before);
    perCall.push((cpu.user + cpu.system) / calls);
  }
  return median(perCall);
}

/**
 * The crypto floor: ES256 verification and signing of a JWS signing input as long as a leaf's
 * Entity Configuration, with `node:crypto` and KeyObjects made once.
 */
function cryptoFloor(jwt: string): { verifyUs: number; signUs: number; inputBytes: number } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' }) as {
    publicKey: KeyObject;
    privateKey: KeyObject;
  };
  const input = Buffer.from(jwt.slice(0, jwt.lastIndexOf('.')));
  const signature = sign('sha256', input, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  const doVerify = () => {
    if (!verify('sha256', input, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)) {
      throw new Error('the floor signature does not verify');
    }
  };
  const doSign = () => sign('sha256', input, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  for (let i = 0; i < 500; i++) {
    doVerify();
    doSign();
  }
  return {
    verifyUs: cpuPerCall(doVerify, 2_000, 5),
    signUs: cpuPerCall(doSign, 2_000, 5),
    inputBytes: input.length,
  };
}

/** Part 4: two passes with the default cache settings, the second against the first. */
async function secondPass(testbed: Testbed, intervalSeconds: number) {
  testbed.requests.reset();
  const resolver = await startTestResolver(testbed, ['ta'], {
    CRAWL: 'on',
    CRAWL_CONCURRENCY: String(CRAWL_CONCURRENCY),
    MAX_CONCURRENT_RESOLUTIONS: '1000',
    CRAWL_INTERVAL_SECONDS: String(intervalSeconds),
  });
  try {
    const url = resolver.service.url;
    const anchor = testbed.entityId('ta');
    // A new resolver: its counters start at zero, also for the lookups made before a scrape could.
    const start: Samples = new Map();
    const first = await waitForPass(url, anchor);
    const afterFirst = await scrape(url);
    const upstreamFirst = upstream(testbed);
    testbed.requests.reset();
    const second = await waitForPass(url, anchor, first.health.checked_at);
    const afterSecond = await scrape(url);
    const upstreamSecond = upstream(testbed);
    const caches = ['resolutions', 'statements', 'signatures'] as const;
    const pass = (before: Samples, after: Samples) =>
      Object.fromEntries(caches.map((cache) => [cache, lookups(before, after, cache)])) as Record<
        (typeof caches)[number],
        { hits: number; misses: number }
      >;
    return {
      first: { health: first.health, upstream: upstreamFirst, caches: pass(start, afterFirst) },
      second: {
        health: second.health,
        upstream: upstreamSecond,
        caches: pass(afterFirst, afterSecond),
      },
      held: Object.fromEntries(
        ['resolutions', 'statements'].map((cache) => [
          cache,
          {
            entries: cacheSample(afterFirst, 'resolver_cache_entries', cache),
            bytes: cacheSample(afterFirst, 'resolver_cache_bytes', cache),
          },
        ]),
      ) as Record<'resolutions' | 'statements', { entries: number; bytes: number }>,
    };
  } finally {
    await resolver.close();
  }
}

/**
 * A logger that keeps what the shared tier and the crawl said: when Redis was marked down (a
 * command failed or timed out) and up again, and when a pass ended.
 */
function replicaLog(started: number): { logger: Logger; events: () => readonly string[] } {
  const events: string[] = [];
  const logger = pino(
    { level: 'info' },
    {
      write(line: string) {
        const entry = JSON.parse(line) as { msg?: unknown };
        if (
          entry.msg === 'redis is down' ||
          entry.msg === 'redis is up' ||
          entry.msg === 'crawl pass'
        ) {
          events.push(
            `${String(entry.msg).replace('redis is ', 'Redis ')} at ${seconds((performance.now() - started) / 1000)}`,
          );
        }
      },
    },
  );
  return { logger, events: () => [...events] };
}

/** One replica of a fleet: its view (or none in time) and what its log said. */
interface ReplicaFigures {
  readonly health: Health | undefined;
  readonly ms: number;
  readonly events: readonly string[];
  /** Resolutions by outcome and slots in use when it had no view in time. */
  readonly stalled?: string;
}

/** Part 6: three in-process replicas on one Redis crawl the federation. */
async function threeReplicas(
  testbed: Testbed,
  redis: Awaited<ReturnType<typeof testRedis>>,
  name: string,
  extra: Readonly<Record<string, string>> = {},
): Promise<{ replicas: readonly ReplicaFigures[]; upstream: Upstream }> {
  const env = {
    ...CRAWL_ENV,
    ...extra,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: `${redis.prefix}${name}:`,
  };
  testbed.requests.reset();
  const started = performance.now();
  const logs = [replicaLog(started), replicaLog(started), replicaLog(started)];
  const replicas: TestResolver[] = [];
  try {
    for (const log of logs) {
      replicas.push(await startTestResolver(testbed, ['ta'], env, log.logger));
    }
    const anchor = testbed.entityId('ta');
    const figures = await Promise.all(
      replicas.map(async (replica, i): Promise<ReplicaFigures> => {
        const events = () => logs[i]?.events() ?? [];
        try {
          const { health, at } = await waitForPass(
            replica.service.url,
            anchor,
            undefined,
            FLEET_TIMEOUT_MS - (performance.now() - started),
          );
          return { health, ms: at - started, events: events() };
        } catch (error) {
          if (!(error instanceof PassTimeout)) throw error;
          const metrics = await scrape(replica.service.url);
          const pick = (prefix: string) =>
            [...metrics]
              .filter(([key]) => key.startsWith(prefix))
              .map(([key, value]) => `${key.slice(prefix.length)} ${integer(value)}`)
              .join(', ');
          return {
            health: undefined,
            ms: performance.now() - started,
            events: events(),
            stalled: `resolutions ${pick('resolver_resolutions_total')}; slots ${pick('resolver_resolution_slots')}; shared resolutions hits ${integer(cacheSample(metrics, 'resolver_cache_hits_total', 'shared_resolutions'))} misses ${integer(cacheSample(metrics, 'resolver_cache_misses_total', 'shared_resolutions'))}`,
          };
        }
      }),
    );
    return { replicas: figures, upstream: upstream(testbed) };
  } finally {
    for (const replica of replicas) await replica.close();
  }
}

const MiB = 1024 * 1024;
const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;
const ratio = (value: number): string => value.toFixed(2);
const seconds = (value: number): string => `${value.toFixed(2)} s`;
const us = (value: number): string => `${Math.round(value)} µs`;

/** "resolved/total, failed" of a health report, with the first failure's reason. */
function outcome(health: Health): string {
  const { total, resolved, failed } = health.members;
  const first = health.failures[0];
  const extra =
    health.list_failures.length + health.bounds.length > 0
      ? `, ${health.list_failures.length} list failures, ${health.bounds.length} bounds reached`
      : '';
  return `${integer(resolved)} of ${integer(total)} members resolved, ${failed} failed${first === undefined ? '' : ` (first: ${first.reason})`}${extra}`;
}

function upstreamLine(u: Upstream): string {
  return `${integer(statementRequests(u))} statement requests (${integer(u.configurations)} configurations, ${integer(u.fetches)} fetches; ${integer(u.distinctStatements)} distinct), ${integer(u.lists)} listing requests (${u.distinctLists} distinct), ${u.other} other, ${u.non200} non-200${u.complete ? '' : ' (log truncated)'}`;
}

async function main(): Promise<void> {
  const runStarted = performance.now();
  let redis: Awaited<ReturnType<typeof testRedis>> | undefined;
  let child: ResolverProcess | undefined;
  const watchdog = setTimeout(() => {
    console.error(`federation bench: still running after ${WATCHDOG_MS / 1000} s; stopping`);
    // Both signals are sent at once, before exiting: nothing this run started outlives it.
    child?.child.kill('SIGKILL');
    void redis?.stop();
    setTimeout(() => process.exit(1), 500);
  }, WATCHDOG_MS);
  watchdog.unref();

  const setupStarted = performance.now();
  const testbed = await startTestbed(benchFederation(), { maxLogEntries: 4 * DISTINCT_STATEMENTS });
  try {
    const setupMs = performance.now() - setupStarted;
    const anchor = testbed.entityId('ta');

    // Unmeasured: the testbed signs every statement once; this process compiles the resolver.
    const warmup = await crawlInProcess(testbed, CRAWL_ENV);
    await warmup.resolver.close();

    // Part 1, then part 5 on the same resolver and its view.
    const one = await crawlInProcess(testbed, CRAWL_ENV);
    let latency: LatencyFigures;
    try {
      latency = await collectionLatency(one.resolver.service.url, anchor);
    } finally {
      await one.resolver.close();
    }

    // Parts 2 and 3, then the floor.
    const inChild = await crawlInChild(testbed, (running) => (child = running));
    const floor = cryptoFloor(await testbed.entityConfiguration(leafName(0)));

    // Part 4: passes come every interval from the start; one pass fits well within it.
    const interval = Math.max(10, Math.ceil(1.5 * one.health.crawl_seconds + 5));
    const passes = await secondPass(testbed, interval);

    // Part 7: the settings in alternation.
    const workerRounds: Array<Awaited<ReturnType<typeof crawlWithWarmClient>>> = [];
    for (let round = 0; round < WORKER_ROUNDS; round++) {
      for (const workers of WORKER_SETTINGS) {
        workerRounds.push(
          await crawlWithWarmClient(testbed, workers, (running) => (child = running)),
        );
      }
    }

    // Part 6.
    // Part 6: with the default REDIS_TIMEOUT_MS, then with a longer one.
    redis = await testRedis();
    const defaultFleets: Array<Awaited<ReturnType<typeof threeReplicas>>> = [];
    for (let round = 0; round < FLEET_ROUNDS; round++) {
      defaultFleets.push(await threeReplicas(testbed, redis, `fleet-default-${round}`));
    }
    const longerFleet = await threeReplicas(testbed, redis, 'fleet-longer', {
      REDIS_TIMEOUT_MS: String(LONGER_REDIS_TIMEOUT_MS),
    });

    const totalMs = performance.now() - runStarted;
    console.log(
      report({
        setupMs,
        warmup,
        one,
        latency,
        inChild,
        floor,
        interval,
        passes,
        workerRounds,
        defaultFleets,
        longerFleet,
        totalMs,
      }),
    );
  } finally {
    await testbed.close();
    await redis?.stop();
    clearTimeout(watchdog);
  }
}

/** Part 7's lines: each round, then the ratios of the medians to RESOLUTION_WORKERS=0's. */
function workerLines(
  rounds: ReadonlyArray<Awaited<ReturnType<typeof crawlWithWarmClient>>>,
): string[] {
  const rate = (r: (typeof rounds)[number]) => r.health.members.resolved / r.health.crawl_seconds;
  const lines = rounds.map(
    (r) =>
      `    RESOLUTION_WORKERS=${r.workers}: ${outcome(r.health)}, ${seconds(r.health.crawl_seconds)}, ${integer(rate(r))} entities/s; statement requests ${integer(statementRequests(r.upstream))} (${integer(r.upstream.distinctStatements)} distinct); warm answer p50 ${ms(percentile(r.samples, 50))}, p99 ${ms(percentile(r.samples, 99))} over ${integer(r.samples.length)} requests, ${r.errors} non-200`,
  );
  const medianOf = (workers: number, value: (r: (typeof rounds)[number]) => number) =>
    median(rounds.filter((r) => r.workers === workers).map(value));
  const base = WORKER_SETTINGS[0];
  for (const workers of WORKER_SETTINGS.slice(1)) {
    const against = (value: (r: (typeof rounds)[number]) => number) =>
      ratio(medianOf(workers, value) / medianOf(base, value));
    lines.push(
      `    RESOLUTION_WORKERS=${workers} / ${base} (medians): entities/s ${against(rate)}, warm p50 ${against((r) => percentile(r.samples, 50))}, warm p99 ${against((r) => percentile(r.samples, 99))}`,
    );
  }
  return lines;
}

function report(figures: {
  setupMs: number;
  warmup: Awaited<ReturnType<typeof crawlInProcess>>;
  one: Awaited<ReturnType<typeof crawlInProcess>>;
  latency: LatencyFigures;
  inChild: Awaited<ReturnType<typeof crawlInChild>>;
  floor: ReturnType<typeof cryptoFloor>;
  interval: number;
  passes: Awaited<ReturnType<typeof secondPass>>;
  workerRounds: ReadonlyArray<Awaited<ReturnType<typeof crawlWithWarmClient>>>;
  defaultFleets: ReadonlyArray<Awaited<ReturnType<typeof threeReplicas>>>;
  longerFleet: Awaited<ReturnType<typeof threeReplicas>>;
  totalMs: number;
}): string {
  const { setupMs, warmup, one, latency, inChild, floor, interval, passes, totalMs } = figures;
  const resolved = one.health.members.resolved;
  const rate = resolved / one.health.crawl_seconds;

  // Part 2.
  const childMembers = inChild.health.members.resolved;
  const cpuPerMemberMs = (inChild.cpuSeconds * 1000) / childMembers;
  const secondHalfMs = (inChild.secondHalf.cpuSeconds * 1000) / inChild.secondHalf.members;
  const verificationsPerMember = inChild.signatures.misses / childMembers;
  const lookupsPerMember = (inChild.signatures.misses + inChild.signatures.hits) / childMembers;
  const floorUs = verificationsPerMember * floor.verifyUs + floor.signUs;
  const childSeconds = inChild.health.crawl_seconds - HOLD_MS / 1000;

  // Part 3.
  const heapPerMember = (inChild.after.heapUsed - inChild.before.heapUsed) / childMembers;
  const rssPerMember = (inChild.after.rss - inChild.before.rss) / childMembers;
  const perMember = (what: 'heapUsed' | 'heapTotal' | 'rss', when: 'after' | 'settled') =>
    (inChild[when][what] - inChild.before[what]) / childMembers;

  // Part 5.
  const p = (name: 'healthz' | 'page' | 'query', q: number) => percentile(latency.samples[name], q);
  const latencyRow = (label: string, name: 'healthz' | 'page' | 'query', extra: string) =>
    `    ${label} p50 ${ms(p(name, 50))} (${ratio(p(name, 50) / p('healthz', 50))}×), p99 ${ms(p(name, 99))} (${ratio(p(name, 99) / p('healthz', 99))}×), ${integer(latency.bytes[name])} bytes${extra}`;

  // Part 4.
  const lookupLine = (caches: Awaited<ReturnType<typeof secondPass>>['first']['caches']) =>
    (['resolutions', 'statements', 'signatures'] as const)
      .map((cache) => {
        const { hits, misses } = caches[cache];
        const share = hits + misses === 0 ? 0 : (100 * hits) / (hits + misses);
        return `${cache} ${integer(hits)} hits / ${integer(misses)} misses (${share.toFixed(1)} %)`;
      })
      .join('; ');

  // Part 6.
  const oneStatements = statementRequests(one.upstream);
  const fleetLines = (fleet: Awaited<ReturnType<typeof threeReplicas>>, label: string) => {
    const fleetStatements = statementRequests(fleet.upstream);
    const fleetMs = Math.max(...fleet.replicas.map((replica) => replica.ms));
    const complete = fleet.replicas.every((replica) => replica.health !== undefined);
    return [
      `    ${label}:`,
      ...fleet.replicas.flatMap((replica, i) => [
        replica.health === undefined
          ? `      replica ${i + 1}: NO VIEW after ${seconds(replica.ms / 1000)}: ${replica.stalled ?? ''}`
          : `      replica ${i + 1}: ${outcome(replica.health)}, report after ${seconds(replica.ms / 1000)} (crawl_seconds ${seconds(replica.health.crawl_seconds)})`,
        `        log: ${replica.events.length === 0 ? '(nothing)' : replica.events.join('; ')}`,
      ]),
      `      upstream: ${upstreamLine(fleet.upstream)}`,
      `      statement requests 3 replicas / 1 replica (part 1) ${ratio(fleetStatements / oneStatements)} (${integer(fleetStatements)} / ${integer(oneStatements)}; target 1.00); listing requests ${integer(fleet.upstream.lists)} / ${integer(one.upstream.lists)}`,
      complete
        ? `      time until all 3 have the view / 1 replica's (part 1) ${ratio(fleetMs / one.wallMs)} (${seconds(fleetMs / 1000)} / ${seconds(one.wallMs / 1000)})`
        : `      not every replica had the view within ${FLEET_TIMEOUT_MS / 1000} s`,
    ];
  };
  return [
    '',
    `The whole federation — Node ${process.version}: 1 anchor, ${INTERMEDIATES} intermediates, ${integer(LEAVES)} leaves (${integer(MEMBERS)} members), CRAWL_CONCURRENCY=${CRAWL_CONCURRENCY}`,
    `  testbed started in ${ms(setupMs)}; unmeasured warm-up pass (the testbed signs every statement): ${seconds(warmup.health.crawl_seconds)}`,
    '',
    `  1. crawl and resolve, one in-process resolver (testbed in the same process):`,
    `    ${outcome(one.health)}`,
    `    crawl_seconds ${seconds(one.health.crawl_seconds)} (until the report answered: ${seconds(one.wallMs / 1000)}), ${integer(rate)} entities/s (target ≥ 1,500)`,
    `    upstream: ${upstreamLine(one.upstream)}`,
    `    distinct statements of the federation ${integer(DISTINCT_STATEMENTS)} (1 + 2 × ${INTERMEDIATES} + 2 × ${integer(LEAVES)}), listings ${LISTINGS}: statement requests / distinct statements ${ratio(oneStatements / DISTINCT_STATEMENTS)} (target 1.00), listing requests / listings ${ratio(one.upstream.lists / LISTINGS)}`,
    `    CPU of this process during the pass (resolver + testbed + poller): ${ms(one.cpuMs / resolved)} per member`,
    '',
    `  2. CPU per cold resolution, resolver in a child process (its process_cpu_seconds_total${process.env['BENCH_CPU_PROF'] ? ', under --cpu-prof' : ''}):`,
    `    ${outcome(inChild.health)}`,
    `    ${seconds(inChild.cpuSeconds)} CPU for ${integer(childMembers)} members: ${ms(cpuPerMemberMs)} per member over the whole pass of a process just started (target ≤ 0.8 ms)`,
    `    the second half of the pass (its code compiled and optimised by then): ${seconds(inChild.secondHalf.cpuSeconds)} CPU for ${integer(inChild.secondHalf.members)} members, ${ms(secondHalfMs)} per member (target ≤ 0.8 ms), ${ratio(secondHalfMs / cpuPerMemberMs)} of the whole pass's`,
    `    upstream: ${upstreamLine(inChild.upstream)}`,
    `    its pass, without the ${HOLD_MS / 1000} s hold of the first request: ${seconds(childSeconds)}, ${integer(childMembers / childSeconds)} entities/s (resolver and testbed in separate processes), ${ratio(inChild.cpuSeconds / childSeconds)} cores busy in the resolver`,
    `    signature verifications: ${integer(inChild.signatures.misses)} made (${ratio(verificationsPerMember)} per member), ${integer(inChild.signatures.hits)} answered by the signature cache (${ratio(lookupsPerMember)} checks per member)`,
    `    crypto floor (node:crypto, KeyObjects made once, ${floor.inputBytes}-byte signing input): ES256 verify ${us(floor.verifyUs)}, sign ${us(floor.signUs)}`,
    `    (a leaf's chain is 4 statements: its configuration, ia → leaf, ta → ia, ta's configuration; the last two are verified once for the whole federation, so 2 per leaf are new)`,
    `    floor per resolution: ${ratio(verificationsPerMember)} verifications + 1 signature (a /resolve answer's; the crawl itself signs nothing) = ${us(floorUs)}; CPU per member / floor ${ratio((cpuPerMemberMs * 1000) / floorUs)} (whole pass), ${ratio((secondHalfMs * 1000) / floorUs)} (second half)`,
    '',
    `  3. memory per cached resolved entity (the same child, after GC; before = while the crawl's first request was held, ${inChild.heldRequests} upstream answers received by then):`,
    `    heapUsed  ${mib(inChild.before.heapUsed)} → ${mib(inChild.after.heapUsed)}: ${integer(heapPerMember)} bytes per member`,
    `    heapTotal ${mib(inChild.before.heapTotal)} → ${mib(inChild.after.heapTotal)}: ${integer(perMember('heapTotal', 'after'))} bytes per member (the V8 heap as committed: live objects and the space between them)`,
    `    rss       ${mib(inChild.before.rss)} → ${mib(inChild.after.rss)}: ${integer(rssPerMember)} bytes per member`,
    `    after ${SETTLE_MS / 1000} s idle: heapUsed ${integer(perMember('heapUsed', 'settled'))}, heapTotal ${integer(perMember('heapTotal', 'settled'))}, rss ${integer(perMember('rss', 'settled'))} bytes per member (rss / response ${ratio(perMember('rss', 'settled') / inChild.resolveBytes)})`,
    `    caches as charged against CACHE_MAX_BYTES: ${mib(inChild.cacheBytes)}, ${integer(inChild.cacheBytes / childMembers)} bytes per member`,
    `    one member's /resolve response: ${integer(inChild.resolveBytes)} bytes (/api/v1/resolve: ${integer(inChild.apiResolveBytes)} bytes); heapUsed per member / response ${ratio(heapPerMember / inChild.resolveBytes)}, rss per member / response ${ratio(rssPerMember / inChild.resolveBytes)} (target ≤ 2.00)`,
    '',
    `  4. second pass with the default cache settings (CACHE_MAX_BYTES 256 MiB, 10,000 entries per cache; CRAWL_INTERVAL_SECONDS=${interval}):`,
    `    held after pass 1: resolutions ${integer(passes.held.resolutions.entries)} entries (${mib(passes.held.resolutions.bytes)} charged), statements ${integer(passes.held.statements.entries)} entries (${mib(passes.held.statements.bytes)} charged)`,
    `    pass 1: ${outcome(passes.first.health)}, ${seconds(passes.first.health.crawl_seconds)}`,
    `      ${lookupLine(passes.first.caches)}`,
    `      upstream: ${upstreamLine(passes.first.upstream)}`,
    `    pass 2: ${outcome(passes.second.health)}, ${seconds(passes.second.health.crawl_seconds)}`,
    `      ${lookupLine(passes.second.caches)}`,
    `      upstream: ${upstreamLine(passes.second.upstream)}`,
    `    pass 2 / pass 1: statement requests ${ratio(statementRequests(passes.second.upstream) / statementRequests(passes.first.upstream))}, time ${ratio(passes.second.health.crawl_seconds / passes.first.health.crawl_seconds)}`,
    '',
    `  5. /collection latency over the ${integer(one.health.members.resolved)}-member view, ${LATENCY_REQUESTS} sequential requests each on one keep-alive connection, interleaved (ratio to /healthz):`,
    latencyRow('/healthz — baseline:    ', 'healthz', ''),
    latencyRow('limit=100:              ', 'page', `, ${latency.pageEntities} entities`),
    latencyRow(
      `limit=100&query=${QUERY}:`,
      'query',
      `, ${latency.queryEntities} entities (expected ${QUERY_MATCHES}: the whole view is scanned)`,
    ),
    `    non-200 answers: ${latency.errors}`,
    '',
    `  6. 3 replicas sharing Redis (in-process, CRAWL=on, one REDIS_KEY_PREFIX per fleet), started one after the other:`,
    ...figures.defaultFleets.flatMap((fleet, round) =>
      fleetLines(
        fleet,
        `REDIS_TIMEOUT_MS=100 (the default)${FLEET_ROUNDS > 1 ? `, round ${round + 1} of ${FLEET_ROUNDS}` : ''}`,
      ),
    ),
    ...fleetLines(
      figures.longerFleet,
      `REDIS_TIMEOUT_MS=${LONGER_REDIS_TIMEOUT_MS} (the same fleet, a longer command timeout)`,
    ),
    '',
    `  7. resolution workers: the crawl in a child, RESOLUTION_WORKERS=${WORKER_SETTINGS.join(' and ')} in alternation, while one client asks for a cached resolution (the anchor's) every ${WARM_CLIENT_PERIOD_MS} ms on one keep-alive connection:`,
    ...workerLines(figures.workerRounds),
    '',
    `  whole run: ${seconds(totalMs / 1000)}`,
  ].join('\n');
}

await main();
