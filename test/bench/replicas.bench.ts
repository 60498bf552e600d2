/**
 * Replicas benchmark (`npm run bench`, after service.bench): what the shared Redis tier costs and
 * saves, each figure beside a baseline measured in the same run.
 *
 * 1. Warm `/resolve` throughput of a resolver with REDIS_URL against one without, interleaved
 *    round by round: the process tier answers warm requests, so the ratio should be 1.
 * 2. A cold resolution on replica B after replica A resolved the subject (upstream requests: 0),
 *    against a cold resolution by a resolver alone, with a fixed latency on every upstream answer.
 * 3. Upstream requests of 3 replicas resolving the same 1,000 entities at once, against one
 *    replica's count (target: equal).
 *
 * Redis is the one REDIS_URL names or one started for the run; everything listens on loopback
 * and is closed at the end; a watchdog bounds the whole run.
 */
import { performance } from 'node:perf_hooks';
import { MEDIA_TYPES } from '../../src/federation/constants.js';
import { startTestbed, type Testbed, type Topology } from '../../src/testbed/index.js';
import { testRedis } from '../support/redis.js';
import { threeLevel } from '../support/topologies.js';
import {
  get,
  integer,
  interleavedRounds,
  LoadClient,
  median,
  ms,
  resolveUrl,
  startResolver,
  CONNECTIONS,
  LATENCY_MS,
  ROUND_MS,
  ROUNDS,
  WARMUP_MS,
} from './service-support.js';

const COLD_SAMPLES = 5;
const ENTITIES = 1_000;
/** Concurrent resolutions each replica keeps going in part 3. */
const PER_REPLICA_CONCURRENCY = 25;
const WATCHDOG_MS = 240_000;

/** `ta` with ENTITIES leaves under one intermediate. */
function wideFederation(): Topology {
  return {
    entities: [
      { name: 'ta' },
      { name: 'ia', authorityHints: ['ta'] },
      ...Array.from({ length: ENTITIES }, (_, i) => ({
        name: `op-${i}`,
        authorityHints: ['ia'],
        metadata: { openid_provider: { issuer: '{{self}}' } },
      })),
    ],
  };
}

type Redis = Awaited<ReturnType<typeof testRedis>>;

const shared = (redis: Redis, prefix: string) => ({
  REDIS_URL: redis.url,
  REDIS_KEY_PREFIX: `${redis.prefix}${prefix}:`,
});

async function warmThroughput(client: LoadClient, redis: Redis) {
  const testbed = await startTestbed(threeLevel());
  const alone = await startResolver(testbed, ['ta']);
  const withRedis = await startResolver(testbed, ['ta'], shared(redis, 'warm'));
  try {
    const subject = testbed.entityId('op');
    const anchor = testbed.entityId('ta');
    const targets = {
      alone: resolveUrl(alone.url, subject, anchor),
      redis: resolveUrl(withRedis.url, subject, anchor),
    };
    const bytes: Record<string, number> = {};
    for (const [name, url] of Object.entries(targets)) {
      const first = await get(url);
      if (first.status !== 200 || first.contentType !== MEDIA_TYPES.resolveResponse) {
        throw new Error(`warm-up of ${name} answered ${first.status}`);
      }
      bytes[name] = first.body.length;
    }
    const before = testbed.requests.total();
    const rounds = await interleavedRounds(
      client,
      {
        alone: { url: targets.alone, expectedBytes: bytes['alone'] ?? 0 },
        redis: { url: targets.redis, expectedBytes: bytes['redis'] ?? 0 },
      },
      ['alone', 'redis'],
      { connections: CONNECTIONS, rounds: ROUNDS, roundMs: ROUND_MS, warmupMs: WARMUP_MS },
    );
    return { rounds, upstream: testbed.requests.total() - before };
  } finally {
    await alone.close();
    await withRedis.close();
    await testbed.close();
  }
}

async function coldOnB(redis: Redis) {
  const testbed = await startTestbed(threeLevel());
  try {
    const subject = testbed.entityId('op');
    const anchor = testbed.entityId('ta');
    testbed.setLatency(LATENCY_MS);
    const alone: number[] = [];
    const onB: number[] = [];
    const requestsOnB: number[] = [];
    for (let i = 0; i < COLD_SAMPLES + 1; i++) {
      // The first sample of each is unmeasured: the testbed signs on first request.
      const single = await startResolver(testbed, ['ta']);
      let started = performance.now();
      await get(resolveUrl(single.url, subject, anchor));
      if (i > 0) alone.push(performance.now() - started);
      await single.close();

      const env = shared(redis, `cold-${i}`);
      const a = await startResolver(testbed, ['ta'], env);
      const b = await startResolver(testbed, ['ta'], env);
      try {
        await get(resolveUrl(a.url, subject, anchor));
        testbed.requests.reset();
        started = performance.now();
        const answer = await get(resolveUrl(b.url, subject, anchor));
        if (answer.status !== 200) throw new Error(`B answered ${answer.status}`);
        if (i > 0) {
          onB.push(performance.now() - started);
          requestsOnB.push(testbed.requests.total());
        }
      } finally {
        await a.close();
        await b.close();
      }
    }
    return { alone, onB, requestsOnB };
  } finally {
    await testbed.close();
  }
}

/** Resolves every leaf on every replica at once; the upstream requests it took. */
async function resolveAll(
  testbed: Testbed,
  replicas: ReadonlyArray<{ url: string }>,
): Promise<{ requests: number; failures: number; ms: number }> {
  const anchor = testbed.entityId('ta');
  testbed.requests.reset();
  let failures = 0;
  const started = performance.now();
  await Promise.all(
    replicas.map(async (replica, offset) => {
      // Each replica walks the entities from another starting point, as a balancer would mix.
      const order = Array.from({ length: ENTITIES }, (_, i) => (i + offset * 333) % ENTITIES);
      let next = 0;
      const worker = async () => {
        while (next < order.length) {
          const index = order[next++] ?? 0;
          const answer = await get(
            resolveUrl(replica.url, testbed.entityId(`op-${index}`), anchor),
          );
          if (answer.status !== 200) failures++;
        }
      };
      await Promise.all(Array.from({ length: PER_REPLICA_CONCURRENCY }, worker));
    }),
  );
  return { requests: testbed.requests.total(), failures, ms: performance.now() - started };
}

async function threeReplicas(redis: Redis) {
  const testbed = await startTestbed(wideFederation());
  try {
    // Unmeasured: the testbed signs every statement once.
    const warmup = await startResolver(testbed, ['ta'], { MAX_CONCURRENT_RESOLUTIONS: '200' });
    await resolveAll(testbed, [warmup]);
    await warmup.close();

    const settings = { MAX_CONCURRENT_RESOLUTIONS: '200' };
    const one = await startResolver(testbed, ['ta'], settings);
    const single = await resolveAll(testbed, [one]);
    await one.close();

    const env = { ...settings, ...shared(redis, 'fleet') };
    const fleet = [
      await startResolver(testbed, ['ta'], env),
      await startResolver(testbed, ['ta'], env),
      await startResolver(testbed, ['ta'], env),
    ];
    try {
      return { single, three: await resolveAll(testbed, fleet) };
    } finally {
      for (const replica of fleet) await replica.close();
    }
  } finally {
    await testbed.close();
  }
}

/** Lowest and highest of `values`, formatted. */
function spread(values: readonly number[], format: (value: number) => string): string {
  return `${format(Math.min(...values))}–${format(Math.max(...values))}`;
}

async function main(): Promise<void> {
  const watchdog = setTimeout(() => {
    console.error(`replicas bench: still running after ${WATCHDOG_MS / 1000} s; stopping`);
    process.exit(1);
  }, WATCHDOG_MS);
  watchdog.unref();
  const redis = await testRedis();
  const client = LoadClient.start();
  try {
    const warm = await warmThroughput(client, redis);
    const cold = await coldOnB(redis);
    const fleet = await threeReplicas(redis);
    const alone = median(warm.rounds.alone.rates);
    const withRedis = median(warm.rounds.redis.rates);
    const cpuAlone = median(warm.rounds.alone.serverCpuUs);
    const cpuRedis = median(warm.rounds.redis.serverCpuUs);
    console.log(
      [
        '',
        'replicas (shared Redis tier)',
        `  warm /resolve, ${CONNECTIONS} connections, ${ROUNDS} × ${ROUND_MS / 1000} s rounds each:`,
        `    without Redis ${integer(alone)} /s (${spread(warm.rounds.alone.rates, integer)}), ${integer(cpuAlone)} µs CPU per response`,
        `    with Redis    ${integer(withRedis)} /s (${spread(warm.rounds.redis.rates, integer)}), ${integer(cpuRedis)} µs CPU per response`,
        `    ratio with/without: throughput ${(withRedis / alone).toFixed(2)}, CPU per response ${(cpuRedis / cpuAlone).toFixed(2)}; upstream requests during the rounds: ${warm.upstream}; errors ${warm.rounds.alone.errors + warm.rounds.redis.errors}`,
        `  cold /resolve with ${LATENCY_MS} ms upstream latency, ${COLD_SAMPLES} samples:`,
        `    a resolver alone:            ${ms(median(cold.alone))} (${spread(cold.alone, ms)})`,
        `    replica B after A resolved:  ${ms(median(cold.onB))} (${spread(cold.onB, ms)}), upstream requests ${cold.requestsOnB.join(', ')}`,
        `  ${integer(ENTITIES)} entities resolved by every replica at once (${PER_REPLICA_CONCURRENCY} concurrent each):`,
        `    1 replica:  ${integer(fleet.single.requests)} upstream requests in ${ms(fleet.single.ms)}, ${fleet.single.failures} failures`,
        `    3 replicas: ${integer(fleet.three.requests)} upstream requests in ${ms(fleet.three.ms)}, ${fleet.three.failures} failures (ratio ${(fleet.three.requests / fleet.single.requests).toFixed(2)}; target 1.00)`,
      ].join('\n'),
    );
  } finally {
    await client.close();
    await redis.stop();
    clearTimeout(watchdog);
  }
}

await main();
