/** Bottom-up discovery (§10.1) through an in-memory StatementSource: bounds and order. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { entityConfigurationUrl, fetchEndpointUrl } from '../../../src/federation/entity-id.js';
import { NotFoundError } from '../../../src/federation/errors.js';
import { discoverTrustChains } from '../../../src/federation/path-discovery.js';
import type { FetchedStatement, StatementSource } from '../../../src/federation/ports.js';
import {
  configurationClaims,
  createEntity,
  sign,
  subordinateClaims,
  type TestEntity,
} from '../../support/statements.js';

const fetchEndpoint = (entity: TestEntity) => `${entity.id}/fetch`;

/** Serves signed statements from memory and counts requests per URL. */
class MemorySource implements StatementSource {
  readonly statements = new Map<string, string>();
  readonly requests = new Map<string, number>();

  async #serve(url: string): Promise<FetchedStatement> {
    this.requests.set(url, (this.requests.get(url) ?? 0) + 1);
    const jwt = this.statements.get(url);
    if (jwt === undefined)
      throw new NotFoundError('no statement', { reason: 'statement_unavailable', url });
    return { jwt, url, cacheHit: false, durationMs: 0 };
  }
  fetchEntityConfiguration(entityId: string) {
    return this.#serve(entityConfigurationUrl(entityId));
  }
  fetchSubordinateStatement(endpoint: string, subject: string) {
    return this.#serve(fetchEndpointUrl(endpoint, subject));
  }
}

/** ta; i1, i2 under ta; leaf with hints [i1, i2, ta]: three chains, the direct one shortest. */
async function federation(): Promise<{ source: MemorySource; ta: TestEntity; leaf: TestEntity }> {
  const ta = await createEntity('https://ta.example.org');
  const i1 = await createEntity('https://i1.example.org');
  const i2 = await createEntity('https://i2.example.org');
  const leaf = await createEntity('https://leaf.example.org');
  const source = new MemorySource();
  const superior = (entity: TestEntity, hints?: string[]) =>
    configurationClaims(entity, {
      ...(hints === undefined ? {} : { authority_hints: hints }),
      metadata: { federation_entity: { federation_fetch_endpoint: fetchEndpoint(entity) } },
    });
  source.statements.set(entityConfigurationUrl(ta.id), await sign(superior(ta), ta.key));
  for (const intermediate of [i1, i2]) {
    source.statements.set(
      entityConfigurationUrl(intermediate.id),
      await sign(superior(intermediate, [ta.id]), intermediate.key),
    );
    source.statements.set(
      fetchEndpointUrl(fetchEndpoint(ta), intermediate.id),
      await sign(subordinateClaims(ta, intermediate), ta.key),
    );
  }
  source.statements.set(
    entityConfigurationUrl(leaf.id),
    await sign(configurationClaims(leaf, { authority_hints: [i1.id, i2.id, ta.id] }), leaf.key),
  );
  for (const issuer of [i1, i2, ta]) {
    source.statements.set(
      fetchEndpointUrl(fetchEndpoint(issuer), leaf.id),
      await sign(subordinateClaims(issuer, leaf), issuer.key),
    );
  }
  return { source, ta, leaf };
}

describe('§10.1 discoverTrustChains', () => {
  it('returns every candidate, most preferred first, fetching each statement once', async () => {
    const { source, ta, leaf } = await federation();
    const result = await discoverTrustChains(
      { subject: leaf.id, trustAnchors: [ta.id] },
      { source },
    );
    assert.deepEqual(
      result.candidates.map((candidate) => candidate.path.length),
      [2, 3, 3],
    );
    assert.equal(result.candidates[1]?.path[1], 'https://i1.example.org');
    assert.ok([...source.requests.values()].every((count) => count === 1));
    assert.equal(source.requests.size, 9);
  });

  it('a candidate cap keeps the preferred chains and reports the others', async () => {
    const { source, ta, leaf } = await federation();
    const result = await discoverTrustChains(
      { subject: leaf.id, trustAnchors: [ta.id] },
      { source, limits: { maxCandidateChains: 1 } },
    );
    assert.deepEqual(
      result.candidates.map((candidate) => candidate.path),
      [[leaf.id, ta.id]],
    );
    const capped = result.deadBranches.filter(
      (branch) => branch.failure.reason === 'candidate_limit_exceeded',
    );
    assert.equal(capped.length, 2);
  });

  it('a fetch budget ends the branches that would exceed it', async () => {
    const { source, ta, leaf } = await federation();
    const result = await discoverTrustChains(
      { subject: leaf.id, trustAnchors: [ta.id] },
      { source, limits: { maxFetches: 4 } },
    );
    assert.ok(
      result.deadBranches.some((branch) => branch.failure.reason === 'fetch_limit_exceeded'),
    );
    assert.ok([...source.requests.values()].reduce((a, b) => a + b, 0) <= 4);
  });
});
