/**
 * §18.1 and §10.1: the fetch budget is spent breadth first, so a valid path that fits is always
 * found, whatever order the upstreams answer in. Each run gives every statement another random
 * delay; every run must reach the same outcome.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TrustChainResolver } from '../../../src/federation/resolver.js';
import {
  createMemoryFederation,
  type MemoryFederation,
  type Topology,
  type TopologyEntity,
} from '../../../src/testbed/index.js';
import { NOW } from '../../support/statements.js';

const RUNS = 20;

/** s → m0…m9 (10 hints); m0…m8 → 10 dead ends each; m9 → 9 dead ends, then ta. */
function fanOut(): Topology {
  const entities: TopologyEntity[] = [{ name: 'ta' }];
  const middles: string[] = [];
  for (let i = 0; i < 10; i++) {
    const hints: string[] = [];
    for (let j = 0; j < (i === 9 ? 9 : 10); j++) {
      entities.push({ name: `d${i}-${j}` });
      hints.push(`d${i}-${j}`);
    }
    if (i === 9) hints.push('ta');
    entities.push({ name: `m${i}`, authorityHints: hints });
    middles.push(`m${i}`);
  }
  entities.push({ name: 's', authorityHints: middles });
  return { entities };
}

/** s → [dead, a]; dead → 10 hints of 10 hints each; a → b → ta (three hops). */
function deadEndBesideValid(): Topology {
  const entities: TopologyEntity[] = [
    { name: 'ta' },
    { name: 'b', authorityHints: ['ta'] },
    { name: 'a', authorityHints: ['b'] },
  ];
  const level: string[] = [];
  for (let i = 0; i < 10; i++) {
    const leaves: string[] = [];
    for (let j = 0; j < 10; j++) {
      entities.push({ name: `x${i}-${j}` });
      leaves.push(`x${i}-${j}`);
    }
    entities.push({ name: `w${i}`, authorityHints: leaves });
    level.push(`w${i}`);
  }
  entities.push({ name: 'dead', authorityHints: level });
  entities.push({ name: 's', authorityHints: ['dead', 'a'] });
  return { entities };
}

/** Gives every statement of the federation a random delay of 0–4 ms. */
function shuffle(federation: MemoryFederation, topology: Topology): void {
  const delay = () => ({ delayMs: Math.floor(Math.random() * 5) });
  for (const entity of topology.entities) {
    federation.setFaults({ entity: entity.name }, delay());
    for (const issuer of entity.authorityHints ?? []) {
      federation.setFaults({ issuer, subject: entity.name }, delay());
    }
  }
}

async function outcomes(topology: Topology): Promise<string[]> {
  const federation = await createMemoryFederation(topology, { now: () => NOW });
  const results: string[] = [];
  for (let run = 0; run < RUNS; run++) {
    shuffle(federation, topology);
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
