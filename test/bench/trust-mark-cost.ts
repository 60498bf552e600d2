/**
 * The added cost of trust mark verification per resolution (part 3 of service.bench.ts).
 *
 * Two subjects whose chains have the same shape and differ only in their marks:
 * `ta ← inter ← op-plain` and `ta ← inter ← op-marked`, where op-marked holds two marks issued by
 * `certifier` (a leaf under ta): a plain one, and one of a type owned by `owner` (a leaf under
 * ta) that carries the owner's delegation. Both marks have an `exp`, so with
 * `TRUST_MARK_STATUS_CHECK=when-no-exp` (the default) nobody asks the status endpoint. A third
 * subject, op-marked-noexp, holds the same two marks except that the plain one has no `exp`,
 * which adds one status request (§8.4).
 *
 * For each mark the resolver resolves the issuer's own chain to the same anchor (through the
 * resolution cache, so both marks share certifier's chain), checks the anchor's
 * `trust_mark_issuers` and `trust_mark_owners` and verifies the delegation with the owner's keys
 * as the anchor publishes them (so `owner` itself is never fetched), then the mark's signature
 * with the issuer's keys.
 *
 * Measured, with op-plain as the baseline of every figure:
 * 1. Warm: /resolve throughput and server CPU per response, op-marked against op-plain, on one
 *    resolver, interleaved rounds from the same load client. The report of verified marks is
 *    cached with the resolution and the signed response with the report, so the only expected
 *    difference is the larger body.
 * 2. Cold, no added latency: a new resolver per sample; the time of its first /resolve, which is
 *    mostly the resolver's own work (a loopback round trip on a new connection takes about a
 *    millisecond, measured and printed alongside).
 * 3. Cold, 50 ms added to every upstream response (as the cold part of service.bench.ts): the
 *    difference expressed in measured round trips, and the sequential waves of upstream requests
 *    counted from the testbed's request log.
 */
import { performance } from 'node:perf_hooks';
import { decodeJwt } from 'jose';
import { MEDIA_TYPES, WELL_KNOWN_FEDERATION_PATH } from '../../src/federation/constants.js';
import { startTestbed, type Testbed, type Topology } from '../../src/testbed/index.js';
import { startHarness } from '../support/service.js';
import { OP_METADATA } from '../support/topologies.js';
import {
  countWaves,
  get,
  integer,
  interleavedRounds,
  median,
  ms,
  range,
  resolveUrl,
  startResolver,
  type LoadClient,
  type RoundSettings,
  type ServerRounds,
} from './service-support.js';

/**
 * Load of the warm comparison: as the warm part of service.bench.ts, with rounds of 1.5 s rather
 * than 2 s so that the whole `npm run bench` stays well under two minutes; the 6 rounds are kept,
 * since the median needs them more than each round needs length.
 */
const WARM: RoundSettings = { connections: 16, rounds: 6, roundMs: 1_500, warmupMs: 1_000 };
/**
 * Cold samples without added latency, per case. More than with latency: the differences sought
 * are a few milliseconds, the size of one scheduling hiccup on a shared core.
 */
const CPU_SAMPLES = 15;
/** Cold samples with added latency, per case (as the cold part of service.bench.ts). */
const LATENCY_SAMPLES = 7;
/** Latency the testbed adds to every upstream response in part 3. */
const LATENCY_MS = 50;

/**
 * The resolver's trust mark settings, spelled out so that a change of default does not silently
 * change what is measured: `when-no-exp` is the default, and a status answer is reused 60 s (so
 * the report of op-marked-noexp stays warm through the rounds).
 */
const RESOLVER_ENV = {
  TRUST_MARK_STATUS_CHECK: 'when-no-exp',
  TRUST_MARK_STATUS_CACHE_SECONDS: '60',
} as const;

const CERTIFIED = '{{url}}/marks/certified';
const SIRTFI = '{{url}}/marks/sirtfi';

/** The three subjects; all are OPs under `inter`, which is under `ta`. */
const SUBJECTS = ['op-plain', 'op-marked', 'op-marked-noexp'] as const;
type Subject = (typeof SUBJECTS)[number];

/** Marks each subject must carry in its /resolve response; fewer means one was rejected. */
const EXPECTED_MARKS: Readonly<Record<Subject, number>> = {
  'op-plain': 0,
  'op-marked': 2,
  'op-marked-noexp': 2,
};

/**
 * ta ← inter ← {op-plain, op-marked, op-marked-noexp}, and certifier and owner directly under ta.
 * ta accredits certifier for both types and names owner as the owner of the Sirtfi type.
 */
export function trustMarkTopology(): Topology {
  const op = (name: Subject, lifetimeOfCertified?: number | null) => ({
    name,
    authorityHints: ['inter'],
    metadata: OP_METADATA,
    ...(lifetimeOfCertified === undefined
      ? {}
      : {
          trustMarks: [
            { type: CERTIFIED, issuer: 'certifier', lifetimeSeconds: lifetimeOfCertified },
            { type: SIRTFI, issuer: 'certifier', delegatedBy: 'owner' },
          ],
        }),
  });
  return {
    entities: [
      {
        name: 'ta',
        trustMarkIssuers: { [CERTIFIED]: ['certifier'], [SIRTFI]: ['certifier'] },
        trustMarkOwners: { [SIRTFI]: 'owner' },
      },
      { name: 'inter', authorityHints: ['ta'] },
      { name: 'certifier', authorityHints: ['ta'] },
      { name: 'owner', authorityHints: ['ta'] },
      op('op-plain'),
      // The default lifetime of the testbed (one day), like every statement of the chains.
      op('op-marked', 86_400),
      op('op-marked-noexp', null),
    ],
  };
}

/** Number of entries in the `trust_marks` claim of a resolve response (not verified here). */
function marksIn(body: Buffer): number {
  try {
    const marks = decodeJwt(body.toString('utf8'))['trust_marks'];
    return Array.isArray(marks) ? marks.length : 0;
  } catch {
    return -1;
  }
}

/** Part 1: figures of the warm comparison. */
export interface WarmMarkFigures {
  readonly bodyBytes: Readonly<Record<'plain' | 'marked', number>>;
  readonly rounds: Readonly<Record<'plain' | 'marked', ServerRounds>>;
  /** Upstream requests the testbed received during the rounds: 0 if /resolve stayed warm. */
  readonly upstreamDuringRounds: number;
}

/** Part 1: warm /resolve of op-marked against op-plain on one resolver. */
export async function measureWarmMarks(client: LoadClient): Promise<WarmMarkFigures> {
  const harness = await startHarness(trustMarkTopology(), ['ta'], { ...RESOLVER_ENV });
  try {
    const anchor = harness.testbed.entityId('ta');
    const url = (subject: Subject): string =>
      resolveUrl(harness.resolver.url, harness.testbed.entityId(subject), anchor);
    // One resolution each makes every later request a cache hit with a cached signature.
    const warmUp = async (subject: Subject): Promise<{ url: string; expectedBytes: number }> => {
      const first = await get(url(subject));
      if (first.status !== 200 || first.contentType !== MEDIA_TYPES.resolveResponse) {
        throw new Error(`warm-up /resolve of ${subject} answered ${first.status}`);
      }
      if (marksIn(first.body) !== EXPECTED_MARKS[subject]) {
        throw new Error(`${subject}: ${marksIn(first.body)} marks in /resolve`);
      }
      return { url: url(subject), expectedBytes: first.body.length };
    };
    const targets = { plain: await warmUp('op-plain'), marked: await warmUp('op-marked') };
    const upstreamBefore = harness.testbed.requests.total();
    const rounds = await interleavedRounds(client, targets, ['plain', 'marked'], WARM);
    return {
      bodyBytes: { plain: targets.plain.expectedBytes, marked: targets.marked.expectedBytes },
      rounds,
      upstreamDuringRounds: harness.testbed.requests.total() - upstreamBefore,
    };
  } finally {
    await harness.close();
  }
}

/** One cold /resolve by a new resolver. */
interface MarkSample {
  readonly ms: number;
  /** CPU time of this process (resolver and testbed) during the request, milliseconds. */
  readonly cpuMs: number;
  readonly status: number;
  readonly marks: number;
  readonly waves: number;
  readonly requests: number;
  readonly statusRequests: number;
}

async function coldSample(testbed: Testbed, subject: Subject, latencyMs: number) {
  const resolver = await startResolver(testbed, ['ta'], RESOLVER_ENV);
  try {
    testbed.requests.reset();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const response = await get(
      resolveUrl(resolver.url, testbed.entityId(subject), testbed.entityId('ta')),
    );
    const elapsed = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    // The testbed logs a request before answering it, so the log is complete here.
    const entries = testbed.requests.entries();
    const sample: MarkSample = {
      ms: elapsed,
      cpuMs: (cpu.user + cpu.system) / 1000,
      status: response.status,
      marks: marksIn(response.body),
      // Without added latency the waves cannot be told apart by arrival time.
      waves: latencyMs > 0 ? countWaves(entries, latencyMs) : 0,
      requests: entries.length,
      statusRequests: testbed.requests.count({ kind: 'status' }),
    };
    return sample;
  } finally {
    await resolver.close();
  }
}

/** The samples of every subject, and of one plain upstream round trip, in one setting. */
interface ColdMarkSeries {
  readonly roundTrip: readonly number[];
  readonly samples: Readonly<Record<Subject, readonly MarkSample[]>>;
}

/** Parts 2 and 3: figures of the cold comparisons. */
export interface ColdMarkFigures {
  readonly noLatency: ColdMarkSeries;
  readonly latency: ColdMarkSeries;
}

async function coldSeries(testbed: Testbed, count: number, latencyMs: number) {
  testbed.setLatency(latencyMs);
  const roundTripUrl = `${testbed.entityId('op-plain')}${WELL_KNOWN_FEDERATION_PATH}`;
  const roundTrip: number[] = [];
  const samples: Record<Subject, MarkSample[]> = {
    'op-plain': [],
    'op-marked': [],
    'op-marked-noexp': [],
  };
  for (let i = 0; i < count; i++) {
    // One upstream round trip as the resolver sees it: new connection, added latency.
    const started = performance.now();
    const response = await get(roundTripUrl);
    roundTrip.push(performance.now() - started);
    if (response.status !== 200) throw new Error(`testbed answered ${response.status}`);
    // The subjects rotate through the positions, so none always follows a given neighbour's
    // garbage or a closing server.
    for (let k = 0; k < SUBJECTS.length; k++) {
      const subject = SUBJECTS[(i + k) % SUBJECTS.length] ?? 'op-plain';
      samples[subject].push(await coldSample(testbed, subject, latencyMs));
    }
  }
  const series: ColdMarkSeries = { roundTrip, samples };
  return series;
}

/** Parts 2 and 3: cold resolutions by new resolvers, without and with added latency. */
export async function measureColdMarks(): Promise<ColdMarkFigures> {
  const testbed = await startTestbed(trustMarkTopology());
  try {
    // Unmeasured: the testbed signs its statements and marks on first request and the
    // resolver's trust mark code is compiled on first use.
    for (const subject of SUBJECTS) await coldSample(testbed, subject, 0);
    const noLatency = await coldSeries(testbed, CPU_SAMPLES, 0);
    const latency = await coldSeries(testbed, LATENCY_SAMPLES, LATENCY_MS);
    return { noLatency, latency };
  } finally {
    await testbed.close();
  }
}

/**
 * Least number of sequential upstream round trips of a cold /resolve (§10.1, §7.3), as
 * the cold part of service.bench.ts derives it for `ta ← inter ← op`:
 * - op-plain, 3: op EC ∥ ta EC (the anchor is known from the request) → inter EC (named in op's
 *   authority_hints) → inter's statement about op ∥ ta's statement about inter.
 * - op-marked, 3: the issuer (certifier) is named only in op's EC, so its EC can go out with
 *   inter's EC (2), and ta's statement about certifier with the subject's last wave (3); ta's EC
 *   is already there. The marks need no round trip of their own if the issuer's chain is
 *   discovered alongside the subject's.
 * - op-marked-noexp, 4: the status endpoint is the issuer's metadata, trusted only once the
 *   issuer's chain has validated (3), so the status request is a fourth wave. (Asking it from
 *   the unvalidated EC would save that wave, at the price of sending the mark to an endpoint not
 *   yet known to belong to a trusted issuer.)
 *
 * Current design (src/infrastructure/resolution-service.ts, trust-mark-service.ts): the core
 * resolver reports the subject's EC as soon as it has passed its own checks, and the service then
 * starts resolving the chains of the marks' issuers (through the resolution cache) while the
 * subject's superiors are still being fetched. So the marks overlap with the subject's
 * discovery: certifier's EC goes out with inter's EC (2) and ta's statement about certifier with
 * the subject's last wave (3); ta's EC is shared through the statement cache (the in-flight
 * fetch of wave 1 is coalesced) and both marks share one resolution of certifier's chain.
 * op-marked needs no extra round trip, only 2 more requests and the CPU to verify certifier's
 * EC, ta's statement about it, the two marks and the delegation, which partly lands after the
 * last wave. op-marked-noexp needs one more: the status request goes out once the marks are
 * evaluated, after the subject's chain (4), which is also the minimum above.
 * Before that design, marks were evaluated only once the subject's chain had resolved: 2 extra
 * waves for op-marked (certifier's EC, then ta's statement about it) and 3 for op-marked-noexp.
 * The table shows the waves observed, so a change of design shows up there.
 */
const MIN_ROUND_TRIPS: Readonly<Record<Subject, number>> = {
  'op-plain': 3,
  'op-marked': 3,
  'op-marked-noexp': 4,
};

const LABELS: Readonly<Record<Subject, string>> = {
  'op-plain': 'op-plain: ta ← inter ← op-plain, no marks — baseline',
  'op-marked': 'op-marked: same chain, 2 marks with exp (1 delegated)',
  'op-marked-noexp': 'op-marked-noexp: as op-marked, the plain mark without exp (status request)',
};

const ratio = (value: number, base: number): string => (value / base).toFixed(2);
const signedMs = (value: number): string => `${value >= 0 ? '+' : '−'}${ms(Math.abs(value))}`;
const failed = (samples: readonly MarkSample[]): number =>
  samples.filter((s) => s.status !== 200).length;

/** The markdown report of the three parts. */
export function reportTrustMarkCost(warm: WarmMarkFigures, cold: ColdMarkFigures): string {
  const { plain, marked } = warm.rounds;
  const plainRate = median(plain.rates);
  const plainCpu = median(plain.serverCpuUs);
  const share = (values: readonly number[]): string => `${Math.round(median(values) * 100)} %`;
  const warmRow = (name: string, r: ServerRounds, bytes: number): string =>
    `| ${name} | ${integer(median(r.rates))} requests/s | ${ratio(median(r.rates), plainRate)} | ${integer(median(r.serverCpuUs))} µs | ${ratio(median(r.serverCpuUs), plainCpu)} | ${bytes} | ${share(r.clientLoad)} | ${r.errors} |`;
  const pairRatios = marked.rates.map((rate, i) => rate / (plain.rates[i] ?? Number.NaN));
  const firstError = plain.firstError ?? marked.firstError;

  const cpu = cold.noLatency.samples;
  const cpuPlain = median(cpu['op-plain'].map((s) => s.ms));
  const cpuPlainCpu = median(cpu['op-plain'].map((s) => s.cpuMs));
  const lat = cold.latency.samples;
  const latPlain = median(lat['op-plain'].map((s) => s.ms));
  const roundTrip = median(cold.latency.roundTrip);
  const plainWaves = median(lat['op-plain'].map((s) => s.waves));

  const lines = [
    '',
    'Trust marks: the added cost of verifying them, op-marked against op-plain (same chain shape, ta ← inter ← op)',
    '',
    `Warm /resolve: one resolver, ${WARM.connections} keep-alive connections from the same forked client, ${WARM.rounds} interleaved rounds of ${WARM.roundMs / 1000} s per subject, median`,
    '',
    '| case | throughput | ratio to op-plain | server CPU per response | ratio to op-plain | body bytes | load client CPU (of one core) | non-200 or errors |',
    '|---|---|---|---|---|---|---|---|',
    warmRow('warm /resolve op-plain (no marks) — baseline', plain, warm.bodyBytes.plain),
    warmRow('warm /resolve op-marked (2 verified marks)', marked, warm.bodyBytes.marked),
    '',
    `Rounds (requests/s): op-plain ${plain.rates.map(integer).join(', ')}; op-marked ${marked.rates.map(integer).join(', ')}.`,
    `Throughput ratio within each round pair: ${pairRatios.map((r) => r.toFixed(2)).join(', ')} (median ${median(pairRatios).toFixed(2)}). Upstream requests during the rounds: ${warm.upstreamDuringRounds}.`,
    ...(firstError === undefined ? [] : [`First error: ${firstError}`]),
    '',
    `Cold /resolve, no added latency: a new resolver per sample, ${CPU_SAMPLES} interleaved samples, median`,
    '',
    '| case | cold /resolve | difference to op-plain | ratio to op-plain | process CPU (resolver + testbed) | ratio to op-plain | upstream requests | status requests | marks in response | non-200 |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const subject of SUBJECTS) {
    const samples = cpu[subject];
    const time = median(samples.map((s) => s.ms));
    const cpuMs = median(samples.map((s) => s.cpuMs));
    lines.push(
      `| ${LABELS[subject]} | ${ms(time)} | ${signedMs(time - cpuPlain)} | ${ratio(time, cpuPlain)} | ${ms(cpuMs)} | ${ratio(cpuMs, cpuPlainCpu)} | ${range(samples.map((s) => s.requests))} | ${range(samples.map((s) => s.statusRequests))} | ${range(samples.map((s) => s.marks))} | ${failed(samples)} |`,
    );
  }
  lines.push(
    '',
    `One upstream round trip on loopback (new connection): ${ms(median(cold.noLatency.roundTrip))}. Samples (ms): ${SUBJECTS.map((subject) => `${subject} ${cpu[subject].map((s) => s.ms.toFixed(1)).join(', ')}`).join('; ')}.`,
    '',
    `Cold /resolve, ${LATENCY_MS} ms added to every upstream response: a new resolver per sample, ${LATENCY_SAMPLES} interleaved samples, median`,
    '',
    `| case | cold /resolve | difference to op-plain | difference in measured round trips | observed waves | waves beyond op-plain | sequential minimum (round trips) | upstream requests | status requests | marks in response | non-200 |`,
    '|---|---|---|---|---|---|---|---|---|---|---|',
    `| one upstream round trip (new connection) — measured baseline | ${ms(roundTrip)} | — | 1.00 | 1 | — | 1 | 1 | 0 | — | 0 |`,
  );
  for (const subject of SUBJECTS) {
    const samples = lat[subject];
    const time = median(samples.map((s) => s.ms));
    const waves = samples.map((s) => s.waves);
    lines.push(
      `| ${LABELS[subject]} | ${ms(time)} | ${signedMs(time - latPlain)} | ${((time - latPlain) / roundTrip).toFixed(2)} | ${range(waves)} | ${range(waves.map((w) => w - plainWaves))} | ${MIN_ROUND_TRIPS[subject]} | ${range(samples.map((s) => s.requests))} | ${range(samples.map((s) => s.statusRequests))} | ${range(samples.map((s) => s.marks))} | ${failed(samples)} |`,
    );
  }
  lines.push(
    '',
    `Samples (ms): ${SUBJECTS.map((subject) => `${subject} ${lat[subject].map((s) => s.ms.toFixed(0)).join(', ')}`).join('; ')}; round trip ${cold.latency.roundTrip.map((v) => v.toFixed(1)).join(', ')}.`,
  );
  return lines.join('\n');
}
