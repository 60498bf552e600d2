/**
 * §18.1, §10.1 the fetch budget never depends on luck, through the service: hostile topologies
 * wider than MAX_FETCHES_PER_RESOLUTION (64, the default) around one path that fits, served over
 * loopback with a new random delay on every statement in every run, and a fresh resolver (empty
 * caches) for every run. test/unit/federation/discovery-budget.test.ts proves the same of the
 * core; this goes through HTTP, the statement cache, admission and the outbound client.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startTestbed, type Topology } from '../../src/testbed/index.js';
import { startTestResolver } from '../support/service.js';
import { deadEndBesideValid, fanOut, shuffleDelays } from '../support/topologies.js';
import { get, resolveQuery } from './support/client.js';

const RUNS = 20;
const MAX_FETCHES = 64;

/** The chains of RUNS resolutions of `s`, each by a fresh resolver, with the fetches each cost. */
async function resolveRepeatedly(topology: Topology): Promise<string[]> {
  const testbed = await startTestbed(topology);
  try {
    const chains: string[] = [];
    for (let run = 0; run < RUNS; run++) {
      shuffleDelays(testbed, topology);
      const resolver = await startTestResolver(testbed, ['ta'], {
        MAX_FETCHES_PER_RESOLUTION: String(MAX_FETCHES),
      });
      try {
        const before = testbed.requests.total();
        const answer = await get(
          `${resolver.service.url}/api/v1/resolve?${resolveQuery(testbed.entityId('s'), testbed.entityId('ta'))}`,
        );
        const fetched = testbed.requests.total() - before;
        assert.ok(fetched <= MAX_FETCHES, `run ${run}: ${fetched} upstream requests`);
        assert.equal(answer.status, 200, `run ${run}: ${answer.body.slice(0, 300)}`);
        const { trust_chain: chain } = JSON.parse(answer.body) as { trust_chain: string[] };
        chains.push(chain.map((id) => id.slice(testbed.url.length + 1)).join(' > '));
      } finally {
        await resolver.close();
      }
    }
    return chains;
  } finally {
    await testbed.close();
  }
}

describe('§18.1 the fetch budget never depends on luck, through the service', () => {
  it(`a 10×10 fan-out with one way to the anchor resolves ${RUNS} times in ${RUNS} with MAX_FETCHES_PER_RESOLUTION ${MAX_FETCHES}, each run within the budget`, async () => {
    const chains = await resolveRepeatedly(fanOut());
    assert.deepEqual(new Set(chains), new Set(['s > m9 > ta']), chains.join('\n'));
  });

  it(`a dead end wider than the budget beside a valid three-hop path resolves ${RUNS} times in ${RUNS} with MAX_FETCHES_PER_RESOLUTION ${MAX_FETCHES}, each run within the budget`, async () => {
    const chains = await resolveRepeatedly(deadEndBesideValid());
    assert.deepEqual(new Set(chains), new Set(['s > a > b > ta']), chains.join('\n'));
  });
});
