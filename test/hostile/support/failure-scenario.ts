/**
 * §10.5, §18.1 failures never evict working entries: failures are cached in a budget of their
 * own (CACHE_SHARES.failed), so a flood of failing subjects leaves the warm resolutions in place.
 * CACHE_MAX_BYTES is set to its minimum, 1 MiB, so that the flood overflows the failures' share
 * many times over. Shared by the fast test and the soak.
 */
import assert from 'node:assert/strict';
import { assertError, clientAddress, mapLimit } from './client.js';
import { startStack } from './stack.js';

/** Sizes of one run. */
export interface FailureIsolationScenario {
  /** Subjects resolved first and expected to stay cached. */
  readonly warm: number;
  /** Distinct subjects whose configuration answers 404. */
  readonly gone: number;
  /** Distinct subjects with 5,000 dead-end authority_hints. */
  readonly hints: number;
}

/** Runs the scenario and asserts its bounds. */
export async function runFailureIsolationScenario(
  scenario: FailureIsolationScenario,
): Promise<void> {
  const { warm: WARM, gone: GONE, hints: HINTS } = scenario;
  const stack = await startStack({ env: { CACHE_MAX_BYTES: String(1024 * 1024) } });
  try {
    const { upstream } = stack;
    const warmIds = Array.from({ length: WARM }, (_, i) => upstream.entityId('ok', i));
    for (const [i, sub] of warmIds.entries()) {
      const answer = await stack.ask('/api/v1/resolve', sub, { from: clientAddress(i) });
      assert.equal(answer.status, 200, answer.body.slice(0, 200));
      assert.equal((JSON.parse(answer.body) as { cached: boolean }).cached, false);
    }

    const failing = [
      ...Array.from({ length: GONE }, (_, i) => ['gone', i] as const),
      ...Array.from({ length: HINTS }, (_, i) => ['hints', i] as const),
    ];
    const before = upstream.requests();
    await mapLimit(failing, 16, async ([kind, i], index) => {
      const answer = await stack.ask('/api/v1/resolve', upstream.entityId(kind, i), {
        // 200 clients, each well within its budget.
        from: clientAddress(WARM + (index % 200)),
      });
      if (kind === 'gone') assertError(answer, 404, 'not_found', `gone/${i}`);
      else assertError(answer, 400, 'invalid_trust_chain', `hints/${i}`);
    });
    const flood = upstream.requests() - before;
    console.log(`failure flood: ${failing.length} subjects cost ${flood} upstream requests`);
    assert.ok(flood <= GONE + HINTS * 11 + 20, `${flood} upstream requests for the flood`);

    const afterFlood = upstream.requests();
    for (const [i, sub] of warmIds.entries()) {
      const answer = await stack.ask('/api/v1/resolve', sub, { from: clientAddress(i) });
      assert.equal(answer.status, 200, answer.body.slice(0, 200));
      assert.equal(
        (JSON.parse(answer.body) as { cached: boolean }).cached,
        true,
        `ok/${i} is still cached`,
      );
    }
    assert.equal(upstream.requests(), afterFlood, 'no upstream request for the warm subjects');
  } finally {
    await stack.close();
  }
}
