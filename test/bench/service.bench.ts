/**
 * Service benchmark (`npm run bench`, after core.bench). The machines are shared and noisy, so
 * every figure is printed next to a baseline measured in the same run, and the ratio is what to
 * compare between runs:
 *
 * 1. Warm `/resolve` throughput (a resolution-cache hit answered with the cached signed JWT)
 *    against a bare `node:http` server that answers the same bytes with the same content type.
 *    A forked client (load-client.ts) keeps a fixed number of keep-alive connections busy for a
 *    fixed time; the two servers alternate round by round. Besides throughput it reports the
 *    server's CPU time per response, which waiting for a shared core does not inflate, and the
 *    client's CPU load, which says when the client rather than the server set the pace.
 * 2. Cold resolution time with a fixed latency added to every upstream response, against the
 *    least number of sequential upstream round trips the chain needs (and against that many
 *    round trips measured directly on the testbed).
 * 3. The added cost of trust mark verification (trust-mark-cost.ts): a subject holding marks
 *    against one with the same chain and none, warm and cold, without and with added latency.
 *
 * Everything listens on 127.0.0.1 and is closed at the end; a watchdog bounds the whole run.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { MEDIA_TYPES, WELL_KNOWN_FEDERATION_PATH } from '../../src/federation/constants.js';
import { sampleFederation, startTestbed, type Testbed } from '../../src/testbed/index.js';
import { startHarness } from '../support/service.js';
import { threeLevel } from '../support/topologies.js';
import {
  countWaves,
  get,
  integer,
  interleavedRounds,
  LoadClient,
  median,
  ms,
  range,
  resolveUrl,
  startResolver,
  CONNECTIONS,
  LATENCY_MS,
  ROUND_MS,
  ROUNDS,
  WARMUP_MS,
  type ServerRounds,
} from './service-support.js';
import { measureColdMarks, measureWarmMarks, reportTrustMarkCost } from './trust-mark-cost.js';

/** Cold resolutions per case (each with a new resolver), interleaved between cases. */
const COLD_SAMPLES = 7;
/** Hard bound of the whole benchmark: it must end by itself even if a server hangs. */
const WATCHDOG_MS = 120_000;

/** A server that only writes `body`: the least any HTTP server can do for this response. */
async function startBareServer(body: Buffer): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, {
      'content-type': MEDIA_TYPES.resolveResponse,
      'content-length': String(body.length),
    });
    res.end(body);
  });
  // The resolver's setting (src/server.ts), so both keep client connections alike.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

interface ThroughputFigures {
  readonly bodyBytes: number;
  readonly resolver: ServerRounds;
  readonly bare: ServerRounds;
  readonly firstError: string | undefined;
  /** Upstream requests the testbed received during the rounds: 0 if /resolve stayed warm. */
  readonly upstreamDuringRounds: number;
}

/** Part 1: warm /resolve against a bare server answering the same bytes. */
async function measureWarmThroughput(client: LoadClient): Promise<ThroughputFigures> {
  const harness = await startHarness(threeLevel(), ['ta']);
  let bare: { url: string; close(): Promise<void> } | undefined;
  try {
    const subject = harness.testbed.entityId('op');
    const anchor = harness.testbed.entityId('ta');
    const resolverUrl = resolveUrl(harness.resolver.url, subject, anchor);
    // One resolution makes every later request a cache hit with a cached signature.
    const first = await get(resolverUrl);
    if (first.status !== 200 || first.contentType !== MEDIA_TYPES.resolveResponse) {
      throw new Error(`warm-up /resolve answered ${first.status} ${first.contentType}`);
    }
    bare = await startBareServer(first.body);
    const upstreamBefore = harness.testbed.requests.total();
    const expectedBytes = first.body.length;
    const rounds = await interleavedRounds(
      client,
      {
        resolver: { url: resolverUrl, expectedBytes },
        // The same path and query, so both servers read the same request bytes.
        bare: { url: resolveUrl(bare.url, subject, anchor), expectedBytes },
      },
      ['resolver', 'bare'],
      { connections: CONNECTIONS, rounds: ROUNDS, roundMs: ROUND_MS, warmupMs: WARMUP_MS },
    );
    const firstError =
      rounds.resolver.firstError === undefined
        ? rounds.bare.firstError === undefined
          ? undefined
          : `bare: ${rounds.bare.firstError}`
        : `resolver: ${rounds.resolver.firstError}`;
    return {
      bodyBytes: first.body.length,
      resolver: rounds.resolver,
      bare: rounds.bare,
      firstError,
      upstreamDuringRounds: harness.testbed.requests.total() - upstreamBefore,
    };
  } finally {
    await bare?.close();
    await harness.close();
  }
}

/** One subject to resolve cold. */
interface ColdCase {
  readonly label: string;
  readonly testbed: Testbed;
  readonly subject: string;
  readonly anchor: string;
  /**
   * Least number of sequential upstream round trips of bottom-up discovery (§10.1:
   * an entity's superiors are known only from its EC's `authority_hints`, and a superior's
   * `federation_fetch_endpoint` only from the superior's own EC, §8.1; the requested
   * anchor alone is known in advance, from the request).
   */
  readonly minRoundTrips: number;
}

interface ColdSample {
  readonly ms: number;
  readonly status: number;
  readonly waves: number;
  readonly requests: number;
}

async function coldSample(c: ColdCase): Promise<ColdSample> {
  const resolver = await startResolver(c.testbed, [c.anchor]);
  try {
    c.testbed.requests.reset();
    const started = performance.now();
    const response = await get(
      resolveUrl(resolver.url, c.testbed.entityId(c.subject), c.testbed.entityId(c.anchor)),
    );
    const elapsed = performance.now() - started;
    // The testbed logs a request before answering it, so the log is complete here.
    const entries = c.testbed.requests.entries();
    return {
      ms: elapsed,
      status: response.status,
      waves: countWaves(entries, LATENCY_MS),
      requests: entries.length,
    };
  } finally {
    await resolver.close();
  }
}

interface ColdFigures {
  readonly roundTrip: readonly number[];
  readonly cases: ReadonlyArray<{ readonly c: ColdCase; readonly samples: readonly ColdSample[] }>;
}

/** Part 2: cold resolutions, each by a new resolver, against the sequential round-trip minimum. */
async function measureColdResolution(): Promise<ColdFigures> {
  const testbeds: Testbed[] = [];
  try {
    const three = await startTestbed(threeLevel());
    testbeds.push(three);
    const sample = await startTestbed(sampleFederation());
    testbeds.push(sample);
    const cases: ColdCase[] = [
      {
        // The requested anchor is known from the request, so ta's EC can be fetched with op's
        // EC (1); then inter's EC (2), named only in op's authority_hints; then inter's
        // statement about op ∥ ta's statement about inter (3): inter's fetch endpoint is only in
        // inter's EC and ta's only in ta's EC, both known by then. Nothing can go faster: each
        // of the three waves needs an answer from the one before.
        label: 'op: ta ← inter ← op (threeLevel)',
        testbed: three,
        subject: 'op',
        anchor: 'ta',
        minRoundTrips: 3,
      },
      {
        // Two authority hints explored side by side: op-research EC ∥ ta EC (1) → research EC ∥
        // university EC (2) → both statements about op-research ∥ ta's statements about
        // research and university (3). The second chain adds requests, not round trips.
        label: 'op-research: ta ← {research, university} ← op-research (sampleFederation)',
        testbed: sample,
        subject: 'op-research',
        anchor: 'ta',
        minRoundTrips: 3,
      },
    ];
    // Unmeasured: the testbed signs its statements on first request and the resolver's code is
    // compiled on first use; neither is what a cold resolution costs a running service.
    for (const c of cases) await coldSample(c);
    for (const testbed of testbeds) testbed.setLatency(LATENCY_MS);

    const roundTripUrl = `${three.entityId('op')}${WELL_KNOWN_FEDERATION_PATH}`;
    const roundTrip: number[] = [];
    const samples = cases.map(() => [] as ColdSample[]);
    for (let i = 0; i < COLD_SAMPLES; i++) {
      // One upstream round trip as the resolver sees it: new connection, added latency.
      const started = performance.now();
      const response = await get(roundTripUrl);
      roundTrip.push(performance.now() - started);
      if (response.status !== 200) throw new Error(`testbed answered ${response.status}`);
      for (const [index, c] of cases.entries()) samples[index]?.push(await coldSample(c));
    }
    return {
      roundTrip,
      cases: cases.map((c, index) => ({ c, samples: samples[index] ?? [] })),
    };
  } finally {
    for (const testbed of testbeds) await testbed.close();
  }
}

function report(warm: ThroughputFigures, cold: ColdFigures): string {
  const bare = median(warm.bare.rates);
  const resolver = median(warm.resolver.rates);
  const bareCpu = median(warm.bare.serverCpuUs);
  const resolverCpu = median(warm.resolver.serverCpuUs);
  const roundTrip = median(cold.roundTrip);
  // The two servers of one round pair ran seconds apart, so their ratio is the least exposed to
  // the slow swings of a shared machine; printed to show the spread behind the ratio of medians.
  const pairRatios = warm.resolver.rates.map(
    (rate, i) => rate / (warm.bare.rates[i] ?? Number.NaN),
  );
  const share = (values: readonly number[]): string => `${Math.round(median(values) * 100)} %`;
  const lines = [
    // Separates this report from the core bench's, printed just before by `npm run bench`.
    '',
    `Service benchmark — Node ${process.version}`,
    '',
    `Warm /resolve: ${CONNECTIONS} keep-alive connections from a forked client, ${ROUNDS} interleaved rounds of ${ROUND_MS / 1000} s per server, median; body ${warm.bodyBytes} bytes`,
    '',
    '| case | throughput | ratio to bare node:http | server CPU per response | ratio to bare node:http | load client CPU (of one core) | non-200 or errors |',
    '|---|---|---|---|---|---|---|',
    `| bare node:http, same body and content type — baseline | ${integer(bare)} requests/s | 1.00 | ${integer(bareCpu)} µs | 1.00 | ${share(warm.bare.clientLoad)} | ${warm.bare.errors} |`,
    `| warm /resolve (cached chain, cached signed response) | ${integer(resolver)} requests/s | ${(resolver / bare).toFixed(2)} | ${integer(resolverCpu)} µs | ${(resolverCpu / bareCpu).toFixed(2)} | ${share(warm.resolver.clientLoad)} | ${warm.resolver.errors} |`,
    '',
    `Rounds (requests/s): resolver ${warm.resolver.rates.map(integer).join(', ')}; bare ${warm.bare.rates.map(integer).join(', ')}.`,
    `Throughput ratio within each round pair: ${pairRatios.map((r) => r.toFixed(2)).join(', ')} (median ${median(pairRatios).toFixed(2)}). Upstream requests during the rounds: ${warm.upstreamDuringRounds}.`,
    ...(warm.firstError === undefined ? [] : [`First error: ${warm.firstError}`]),
    '',
    `Cold /resolve: a new resolver per sample, ${LATENCY_MS} ms added to every upstream response, ${COLD_SAMPLES} interleaved samples, median`,
    '',
    `| case | cold /resolve | sequential minimum: round trips × ${LATENCY_MS} ms | ratio to minimum | ratio to round trips × measured round trip | observed waves | upstream requests | non-200 |`,
    '|---|---|---|---|---|---|---|---|',
    `| one upstream round trip (new connection) — measured baseline | ${ms(roundTrip)} | 1 × ${LATENCY_MS} ms = ${ms(LATENCY_MS)} | ${(roundTrip / LATENCY_MS).toFixed(2)} | 1.00 | 1 | 1 | 0 |`,
  ];
  for (const { c, samples } of cold.cases) {
    const time = median(samples.map((s) => s.ms));
    const minimum = c.minRoundTrips * LATENCY_MS;
    const failed = samples.filter((s) => s.status !== 200).length;
    lines.push(
      `| ${c.label} | ${ms(time)} | ${c.minRoundTrips} × ${LATENCY_MS} ms = ${ms(minimum)} | ${(time / minimum).toFixed(2)} | ${(time / (c.minRoundTrips * roundTrip)).toFixed(2)} | ${range(samples.map((s) => s.waves))} | ${range(samples.map((s) => s.requests))} | ${failed} |`,
    );
  }
  lines.push(
    '',
    `Samples (ms): ${cold.cases.map(({ c, samples }) => `${c.subject} ${samples.map((s) => s.ms.toFixed(0)).join(', ')}`).join('; ')}; round trip ${cold.roundTrip.map((v) => v.toFixed(1)).join(', ')}.`,
  );
  return lines.join('\n');
}

async function main(): Promise<void> {
  const watchdog = setTimeout(() => {
    console.error(`service benchmark: not finished after ${WATCHDOG_MS / 1000} s, giving up`);
    process.exit(1);
  }, WATCHDOG_MS);
  watchdog.unref();
  const client = LoadClient.start();
  let warm: ThroughputFigures;
  let warmMarks: Awaited<ReturnType<typeof measureWarmMarks>>;
  try {
    warm = await measureWarmThroughput(client);
    warmMarks = await measureWarmMarks(client);
  } finally {
    await client.close();
  }
  const cold = await measureColdResolution();
  const coldMarks = await measureColdMarks();
  console.log(report(warm, cold));
  console.log(reportTrustMarkCost(warmMarks, coldMarks));
  clearTimeout(watchdog);
}

await main();
