/**
 * §18.1 memory bounded in bytes: with CACHE_MAX_BYTES = 8 MiB, a stream of distinct hostile
 * subjects (5,000 authority_hints each, then ≈200 KB configurations), each asked by a client of
 * its own, leaves the child's heap and external memory after a full collection under the cache
 * budget plus 64 MiB, retained memory stops growing once the budget is full, and the service
 * still answers a healthy subject. Shared by the fast test and the soak.
 */
import assert from 'node:assert/strict';
import type { ChildMemory } from '../../support/resolver-process.js';
import { assertError, clientAddress, mapLimit, mib } from './client.js';
import { startStack } from './stack.js';

/** The cache budget of the scenario: 8 MiB. */
export const CACHE_MAX_BYTES = 8 * 1024 * 1024;

/** Headroom over the cache budget for everything else the process holds: 64 MiB. */
export const HEADROOM_BYTES = 64 * 1024 * 1024;

/** Most growth of retained memory allowed between the two checkpoints: 4 MiB. */
export const MAX_GROWTH_BYTES = 4 * 1024 * 1024;

/** Sizes of one run. */
export interface MemoryScenario {
  /** Distinct `hints` subjects, then distinct `big` subjects. */
  readonly hints: number;
  readonly big: number;
  /**
   * After these many `big` subjects retained memory is measured; the growth from the first to the
   * second must stay under {@link MAX_GROWTH_BYTES} (the budget is long full by then).
   */
  readonly checkpoints: readonly [number, number];
  /** Requests in flight at a time. */
  readonly concurrency: number;
}

const retained = (memory: ChildMemory): number => memory.heapUsed + memory.external;

const describeMemory = (memory: ChildMemory): string =>
  `heapUsed ${mib(memory.heapUsed)} + external ${mib(memory.external)} = ${mib(retained(memory))} (rss ${mib(memory.rss)})`;

/** Runs the scenario and asserts its bounds; logs the figures measured. */
export async function runMemoryScenario(scenario: MemoryScenario): Promise<void> {
  const stack = await startStack({ env: { CACHE_MAX_BYTES: String(CACHE_MAX_BYTES) } });
  try {
    const { upstream, resolver } = stack;
    let client = 0;
    const baseline = await resolver.measure();
    console.log(`memory baseline: ${describeMemory(baseline)}`);

    const started = performance.now();
    await mapLimit(
      Array.from({ length: scenario.hints }, (_, i) => i),
      scenario.concurrency,
      async (i) => {
        const answer = await stack.ask('/resolve', upstream.entityId('hints', i), {
          from: clientAddress(client++),
        });
        // 5,000 hints, all of them dead ends: no chain, on the subject's own merits.
        assertError(answer, 400, 'invalid_trust_chain', `hints/${i}`);
      },
    );
    const afterHints = await resolver.measure();
    console.log(
      `memory after ${scenario.hints} hints subjects (${Math.round(performance.now() - started)} ms): ${describeMemory(afterHints)}`,
    );
    // One configuration per subject, plus the few shared hint configurations (404, cached briefly).
    const hintsRequests = upstream.requests();
    assert.ok(
      hintsRequests <= scenario.hints * 11 + 2,
      `${hintsRequests} upstream requests for ${scenario.hints} hints subjects`,
    );

    const bigStarted = performance.now();
    const askBig = async (i: number): Promise<void> => {
      const answer = await stack.ask('/resolve', upstream.entityId('big', i), {
        from: clientAddress(client++),
      });
      assert.equal(answer.status, 200, `big/${i}: ${answer.status} ${answer.body.slice(0, 200)}`);
    };
    const ids = Array.from({ length: scenario.big }, (_, i) => i);
    const [first, second] = scenario.checkpoints;
    await mapLimit(ids.slice(0, first), scenario.concurrency, askBig);
    const atFirst = await resolver.measure();
    console.log(`memory after ${first} big subjects: ${describeMemory(atFirst)}`);
    await mapLimit(ids.slice(first, second), scenario.concurrency, askBig);
    const atSecond = await resolver.measure();
    console.log(`memory after ${second} big subjects: ${describeMemory(atSecond)}`);
    await mapLimit(ids.slice(second), scenario.concurrency, askBig);
    const afterBig = await resolver.measure();
    console.log(
      `memory after ${scenario.big} big subjects (${Math.round(performance.now() - bigStarted)} ms): ${describeMemory(afterBig)}`,
    );
    // A configuration and a Subordinate Statement per subject; the anchor's configuration may be
    // fetched again when the byte budget pushed it out.
    const bigRequests = upstream.requests() - hintsRequests;
    assert.ok(
      bigRequests <= scenario.big * 3,
      `${bigRequests} upstream requests for ${scenario.big} big subjects`,
    );

    const bound = CACHE_MAX_BYTES + HEADROOM_BYTES;
    for (const [when, memory] of [
      ['after the hints subjects', afterHints],
      [`after ${first} big subjects`, atFirst],
      [`after ${second} big subjects`, atSecond],
      ['after the big subjects', afterBig],
    ] as const) {
      assert.ok(
        retained(memory) < bound,
        `${when}: ${describeMemory(memory)} is over ${mib(bound)}`,
      );
    }
    const growth = retained(atSecond) - retained(atFirst);
    console.log(`memory growth from ${first} to ${second} big subjects: ${mib(growth)}`);
    assert.ok(
      growth < MAX_GROWTH_BYTES,
      `retained memory grew by ${mib(growth)} from ${first} to ${second} subjects`,
    );

    assert.equal(resolver.child.exitCode, null, 'the resolver process is alive');
    const healthy = await stack.ask('/resolve', upstream.entityId('ok', 'after'), {
      from: clientAddress(client++),
    });
    assert.equal(healthy.status, 200, healthy.body.slice(0, 200));
  } finally {
    await stack.close();
  }
}
