/**
 * §18.1, §10.1 the fetch budget never depends on luck, through the service: hostile topologies
 * wider than MAX_FETCHES_PER_RESOLUTION (64, the default) around one path that fits, served over
 * loopback with a new random delay on every statement in every run, and a fresh resolver (empty
 * caches) for every run. test/unit/federation/discovery-budget.test.ts proves the same of the
 * core; this goes through HTTP, the statement cache, admission and the outbound client.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  startTestbed,
  type Testbed,
  type Topology,
  type TopologyEntity,
} from '../../src/testbed/index.js';
import { startTestResolver } from '../support/service.js';
import { get, resolveQuery } from './support/client.js';

const RUNS = 20;
const MAX_FETCHES = 64;

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

/** Gives every statement of the federation a new random delay of 0–4 ms. */
function shuffle(testbed: Testbed, topology: Topology): void {
  const delay = () => ({ delayMs: Math.floor(Math.random() * 5) });
  for (const entity of topology.entities) {
    testbed.setFaults({ entity: entity.name }, delay());
    for (const issuer of entity.authorityHints ?? []) {
      testbed.setFaults({ issuer, subject: entity.name }, delay());
    }
  }
}

/** The chains of RUNS resolutions of `s`, each by a fresh resolver, with the fetches each cost. */
async function resolveRepeatedly(topology: Topology): Promise<string[]> {
  const testbed = await startTestbed(topology);
  try {
    const chains: string[] = [];
    for (let run = 0; run < RUNS; run++) {
      shuffle(testbed, topology);
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
