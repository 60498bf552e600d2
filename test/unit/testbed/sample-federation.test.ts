import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { entityConfigurationUrl } from '../../../src/federation/entity-id.js';
import { resolveTrustChainJwts } from '../../../src/federation/trust-chain.js';
import type { ResolvedTrustChain } from '../../../src/federation/types.js';
import { startTestbed, type Testbed } from '../../../src/testbed/federation-server.js';
import { sampleFederation } from '../../../src/testbed/sample-federation.js';
import { validateTopology } from '../../../src/testbed/topology-index.js';
import { assertRejects } from '../../support/assertions.js';
import { CORE_OPTIONS, NOW, collectChain, decode, get, getStatement } from './support.js';

/** An array value as a set (§6.1.3 leaves the order of policy results undefined). */
function asSet(value: unknown): Set<unknown> {
  assert.ok(Array.isArray(value), `expected an array, got ${JSON.stringify(value)}`);
  return new Set<unknown>(value);
}

describe('sampleFederation()', () => {
  let testbed: Testbed;

  before(async () => {
    testbed = await startTestbed(sampleFederation(), { now: () => NOW });
  });
  after(() => testbed.close());

  function resolve(path: readonly string[]): Promise<ResolvedTrustChain> {
    return collectChain(testbed, path).then((jwts) =>
      resolveTrustChainJwts(jwts, testbed.trustAnchor('ta'), CORE_OPTIONS),
    );
  }

  it('is a valid topology with the documented entities', () => {
    const topology = sampleFederation();
    validateTopology(topology);
    assert.deepEqual(
      topology.entities.map((entity) => entity.name),
      [
        'ta',
        'university',
        'research',
        'op-university',
        'op-research',
        'rp-shop',
        'rp-lab',
        'rp-broken',
        'certifier',
        'accreditation-body',
      ],
    );
    const opResearch = topology.entities.find((entity) => entity.name === 'op-research');
    assert.deepEqual(opResearch?.authorityHints, ['research', 'university']);
  });

  it('publishes a configuration for every entity', async () => {
    for (const entity of sampleFederation().entities) {
      const statement = decode(
        await getStatement(entityConfigurationUrl(testbed.entityId(entity.name))),
      );
      assert.equal(statement.claims.sub, testbed.entityId(entity.name));
    }
    const list = await get(`${testbed.url}/ta/list`);
    assert.deepEqual(
      JSON.parse(list.body),
      ['university', 'research', 'rp-shop', 'certifier', 'accreditation-body'].map((n) =>
        testbed.entityId(n),
      ),
    );
  });

  it('resolves the university OP with the policies of the anchor and the university', async () => {
    const chain = await resolve(['op-university', 'university', 'ta']);
    const op = chain.metadata['openid_provider'];
    assert.equal(op?.['issuer'], testbed.entityId('op-university'));
    assert.equal(op?.['organization_name'], 'Example University');
    assert.deepEqual(op?.['token_endpoint_auth_methods_supported'], ['private_key_jwt']);
    assert.deepEqual(
      asSet(op?.['id_token_signing_alg_values_supported']),
      new Set(['ES256', 'PS256', 'RS256']),
    );
    assert.deepEqual(op?.['contacts'], ['operations@federation.example']);
  });

  it('resolves the research OP through both of its superiors, with different metadata', async () => {
    const viaResearch = await resolve(['op-research', 'research', 'ta']);
    const viaUniversity = await resolve(['op-research', 'university', 'ta']);
    assert.equal(viaResearch.metadata['openid_provider']?.['display_name'], 'Research Login');
    assert.equal(
      viaUniversity.metadata['openid_provider']?.['display_name'],
      'Research Login (university partner)',
    );
    // §6.2.3: federation_entity survives allowed_entity_types even though it is not listed.
    assert.ok(viaResearch.metadata['federation_entity'] !== undefined);
  });

  it('resolves the shop RP directly under the anchor and the lab RP under research', async () => {
    const shop = await resolve(['rp-shop', 'ta']);
    assert.deepEqual(shop.metadata['openid_relying_party']?.['grant_types'], [
      'authorization_code',
      'refresh_token',
    ]);
    assert.equal(decode(await testbed.entityConfiguration('rp-shop')).header.alg, 'RS256');
    const lab = await resolve(['rp-lab', 'research', 'ta']);
    const rp = lab.metadata['openid_relying_party'];
    assert.deepEqual(
      asSet(rp?.['contacts']),
      new Set(['it@lab.example', 'security@research.example']),
    );
    assert.deepEqual(asSet(rp?.['grant_types']), new Set(['authorization_code', 'refresh_token']));
  });

  it('breaks the chain of rp-broken: its superior statement has expired', async () => {
    await assertRejects(resolve(['rp-broken', 'university', 'ta']), {
      code: 'invalid_trust_chain',
      reason: 'statement_expired',
      statementIndex: 1,
    });
  });
});
