/**
 * §18.1 and §10.1: the fetch budget is spent breadth first, so a valid path that fits is always
 * found, whatever order the upstreams answer in. Each run gives every statement another random
 * delay; every run must reach the same outcome.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TrustChainResolver } from '../../../src/federation/resolver.js';
import { createMemoryFederation, type Topology } from '../../../src/testbed/index.js';
import { NOW } from '../../support/statements.js';
import { deadEndBesideValid, fanOut, shuffleDelays } from '../../support/topologies.js';

const RUNS = 20;

async function outcomes(topology: Topology): Promise<string[]> {
  const federation = await createMemoryFederation(topology, { now: () => NOW });
  const results: string[] = [];
  for (let run = 0; run < RUNS; run++) {
    shuffleDelays(federation, topology);
    const resolver = new TrustChainResolver({ source: federation, limits: { maxFetches: 64 } });
    const outcome = await resolver.resolve(
      { subject: federation.entityId('s'), trustAnchors: [federation.entityId('ta')] },
      { trustAnchors: [federation.trustAnchor('ta')], now: NOW },
    );
    results.push(outcome.ok ? outcome.chain.path.join(' > ') : `failed: ${outcome.error.reason}`);
    assert.ok(outcome.trace.fetches.length <= 64, 'within the fetch budget');
  }
  return results;
}

describe('§18.1 the fetch budget never depends on luck', () => {
  it(`a 10×10 fan-out with one way to the anchor resolves ${RUNS} times in ${RUNS}`, async () => {
    const results = await outcomes(fanOut());
    assert.equal(new Set(results).size, 1, results.join('\n'));
    assert.match(results[0] ?? '', /m9 > .*ta$/);
  });

  it(`a dead end wider than the budget beside a valid three-hop path resolves ${RUNS} times in ${RUNS}`, async () => {
    const results = await outcomes(deadEndBesideValid());
    assert.equal(new Set(results).size, 1, results.join('\n'));
    assert.match(results[0] ?? '', /\/a > .*\/b > .*\/ta$/);
  });

  it('a federation wider than the budget with no path that fits ends with fetch_limit_exceeded, temporarily_unavailable', async () => {
    const topology = deadEndBesideValid();
    const federation = await createMemoryFederation(topology, { now: () => NOW });
    const resolver = new TrustChainResolver({ source: federation, limits: { maxFetches: 8 } });
    const outcome = await resolver.resolve(
      { subject: federation.entityId('s'), trustAnchors: [federation.entityId('ta')] },
      { trustAnchors: [federation.trustAnchor('ta')], now: NOW },
    );
    assert.ok(!outcome.ok);
    assert.deepEqual(
      [outcome.error.code, outcome.error.reason],
      ['temporarily_unavailable', 'fetch_limit_exceeded'],
    );
    assert.equal(federation.requests.total(), 8);
  });
});
