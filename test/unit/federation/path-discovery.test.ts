/** Bottom-up discovery (§10.1) through an in-memory federation: bounds, order and its record. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { discoverTrustChains, startDiscovery } from '../../../src/federation/path-discovery.js';
import { createMemoryFederation, type Topology } from '../../../src/testbed/index.js';
import { NOW } from '../../support/statements.js';

/** ta; i1, i2 under ta; leaf with hints [i1, i2, ta]: three chains, the direct one shortest. */
const DIAMOND: Topology = {
  entities: [
    { name: 'ta' },
    { name: 'i1', authorityHints: ['ta'] },
    { name: 'i2', authorityHints: ['ta'] },
    { name: 'leaf', authorityHints: ['i1', 'i2', 'ta'] },
  ],
};

async function diamond(topology: Topology = DIAMOND) {
  const federation = await createMemoryFederation(topology, { now: () => NOW });
  return {
    federation,
    query: { subject: federation.entityId('leaf'), trustAnchors: [federation.entityId('ta')] },
  };
}

describe('§10.1 discoverTrustChains', () => {
  it('returns every candidate, most preferred first, fetching each statement once', async () => {
    const { federation, query } = await diamond();
    const result = await discoverTrustChains(query, { source: federation, now: NOW });
    assert.ok(result.ok);
    assert.deepEqual(
      result.candidates.map((candidate) => candidate.path.length),
      [2, 3, 3],
    );
    assert.equal(result.candidates[1]?.path[1], federation.entityId('i1'));
    // 4 configurations + 3 statements about leaf + 2 about i1 and i2.
    assert.equal(federation.requests.total(), 9);
    assert.equal(result.fetches.length, 9, 'every request is in the record');
    assert.ok(result.fetches.every((fetch) => fetch.status === 200 && fetch.error === undefined));
    assert.deepEqual(result.rejected, []);
    assert.ok(
      result.candidates.every((candidate) =>
        candidate.statements.every((statement) => statement.source?.startsWith(federation.url)),
      ),
      'each statement carries the URL it came from',
    );
  });

  it('a candidate cap keeps the preferred chains and reports the others', async () => {
    const { federation, query } = await diamond();
    const result = await discoverTrustChains(query, {
      source: federation,
      now: NOW,
      limits: { maxCandidateChains: 1 },
    });
    assert.ok(result.ok);
    assert.deepEqual(
      result.candidates.map((candidate) => candidate.path),
      [[query.subject, query.trustAnchors[0]]],
    );
    const capped = result.deadBranches.filter(
      (branch) => branch.failure.reason === 'candidate_limit_exceeded',
    );
    assert.equal(capped.length, 2);
  });

  it('a fetch budget ends the branches that would exceed it', async () => {
    const { federation, query } = await diamond();
    const result = await discoverTrustChains(query, {
      source: federation,
      now: NOW,
      limits: { maxFetches: 4 },
    });
    assert.ok(result.ok);
    assert.ok(
      result.deadBranches.some((branch) => branch.failure.reason === 'fetch_limit_exceeded'),
    );
    assert.ok(federation.requests.total() <= 4);
  });

  it("§3.2: a superior's configuration that fails its checks ends its branch and is reported as rejected", async () => {
    const { federation, query } = await diamond();
    federation.setFaults({ entity: 'i1' }, { expired: true });
    const result = await discoverTrustChains(query, { source: federation, now: NOW });
    assert.ok(result.ok);
    const dead = result.deadBranches.find((branch) =>
      branch.path.includes(federation.entityId('i1')),
    );
    assert.equal(dead?.failure.reason, 'statement_expired');
    assert.deepEqual(result.rejected, [
      `${federation.entityId('i1')}/.well-known/openid-federation`,
    ]);
  });

  it('reports a subject whose configuration cannot be fetched as data, with statementIndex 0', async () => {
    const { federation, query } = await diamond();
    federation.setFaults({ entity: 'leaf' }, { status: 404 });
    const result = await discoverTrustChains(query, { source: federation, now: NOW });
    assert.equal(result.ok, false);
    assert.ok(!result.ok);
    assert.equal(result.error.code, 'not_found');
    assert.equal(result.error.location.statementIndex, 0);
    assert.equal(result.fetches[0]?.status, 404);
  });

  it("gives the subject's checked configuration before the candidates are complete", async () => {
    const { federation, query } = await diamond();
    const run = startDiscovery(query, { source: federation, now: NOW });
    const configuration = await run.subjectConfiguration;
    assert.equal(configuration?.claims.sub, query.subject);
    assert.ok((await run.result).ok);
  });

  it('gives no subject configuration when it fails its own checks', async () => {
    const { federation, query } = await diamond();
    federation.setFaults({ entity: 'leaf' }, { wrongKey: true });
    const run = startDiscovery(query, { source: federation, now: NOW });
    assert.equal(await run.subjectConfiguration, undefined);
    const result = await run.result;
    assert.ok(!result.ok);
    assert.equal(result.error.reason, 'signature_invalid');
  });
});
