import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MEDIA_TYPES, WELL_KNOWN_FEDERATION_PATH } from '../../../src/federation/constants.js';
import { entityConfigurationUrl } from '../../../src/federation/entity-id.js';
import { verifyEntityStatement } from '../../../src/federation/entity-statement.js';
import { resolveTrustChainJwts } from '../../../src/federation/trust-chain.js';
import { startTestbed, type Testbed } from '../../../src/testbed/federation-server.js';
import {
  CORE_OPTIONS,
  NOW,
  collectChain,
  decode,
  errorBody,
  fetchEndpointOf,
  get,
  getStatement,
  smallTopology,
} from './support.js';

describe('testbed serving (§9, §8.1, §8.2)', () => {
  let testbed: Testbed;

  before(async () => {
    testbed = await startTestbed(smallTopology(), { now: () => NOW });
  });
  after(() => testbed.close());

  it('listens on loopback and names each entity <url>/<name>', () => {
    assert.match(testbed.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(testbed.entityId('leaf'), `${testbed.url}/leaf`);
    assert.throws(() => testbed.entityId('nobody'), /no entity named "nobody"/);
  });

  it('serves each Entity Configuration at identifier + well-known path as entity-statement+jwt', async () => {
    const url = `${testbed.url}/leaf${WELL_KNOWN_FEDERATION_PATH}`;
    assert.equal(entityConfigurationUrl(testbed.entityId('leaf')), url);
    const response = await get(url);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/entity-statement+jwt');
    assert.equal(response.headers.get('content-length'), String(Buffer.byteLength(response.body)));
    const statement = decode(response.body);
    assert.equal(statement.kind, 'entity_configuration');
    assert.equal(statement.header.typ, 'entity-statement+jwt');
    assert.equal(statement.claims.iss, testbed.entityId('leaf'));
    assert.equal(statement.claims.sub, testbed.entityId('leaf'));
    assert.deepEqual(statement.claims.authority_hints, [testbed.entityId('int')]);
    assert.deepEqual(statement.claims.jwks, testbed.trustAnchor('leaf').jwks);
    await verifyEntityStatement(statement, statement.claims.jwks);
  });

  it('dates statements with the testbed clock and the issuer lifetime', async () => {
    const leaf = decode(await testbed.entityConfiguration('leaf'));
    assert.equal(leaf.claims.iat, NOW);
    assert.equal(leaf.claims.exp, NOW + 86_400);
    // `int` has lifetimeSeconds 3600: its configuration and the statements it issues.
    const intermediate = decode(await testbed.entityConfiguration('int'));
    assert.equal(intermediate.claims.exp - intermediate.claims.iat, 3600);
    const aboutLeaf = decode(await testbed.subordinateStatement('int', 'leaf'));
    assert.equal(aboutLeaf.claims.exp - aboutLeaf.claims.iat, 3600);
  });

  it('omits authority_hints for the anchor and adds fetch and list endpoints to superiors only', async () => {
    const ta = decode(await testbed.entityConfiguration('ta'));
    assert.equal(ta.claims.authority_hints, undefined);
    assert.deepEqual(ta.claims.metadata?.['federation_entity'], {
      federation_fetch_endpoint: `${testbed.url}/ta/fetch`,
      federation_list_endpoint: `${testbed.url}/ta/list`,
      organization_name: 'TA',
    });
    const intermediate = decode(await testbed.entityConfiguration('int'));
    assert.equal(
      intermediate.claims.metadata?.['federation_entity']?.['federation_fetch_endpoint'],
      `${testbed.url}/int/fetch`,
    );
    const leaf = decode(await testbed.entityConfiguration('leaf'));
    assert.equal(
      leaf.claims.metadata?.['federation_entity']?.['federation_fetch_endpoint'],
      undefined,
    );
    assert.equal(
      leaf.claims.metadata?.['federation_entity']?.['federation_list_endpoint'],
      undefined,
    );
  });

  it('fills {{self}}, {{entity:<name>}} and {{url}} placeholders with real identifiers', async () => {
    const leaf = decode(await testbed.entityConfiguration('leaf'));
    assert.equal(leaf.claims.metadata?.['openid_provider']?.['issuer'], testbed.entityId('leaf'));
    assert.equal(
      leaf.claims.metadata?.['openid_provider']?.['token_endpoint'],
      `${testbed.entityId('leaf')}/token`,
    );
    assert.equal(leaf.claims.metadata?.['federation_entity']?.['homepage'], testbed.entityId('ta'));
    const rp = decode(await testbed.entityConfiguration('rp'));
    assert.deepEqual(rp.claims.metadata?.['openid_relying_party']?.['redirect_uris'], [
      `${testbed.url}/rp/callback`,
    ]);
  });

  it('serves Subordinate Statements with the subject keys, source_endpoint and the spec content', async () => {
    const endpoint = await fetchEndpointOf(testbed, 'ta');
    const jwt = await getStatement(
      `${endpoint}?sub=${encodeURIComponent(testbed.entityId('int'))}`,
    );
    const statement = decode(jwt);
    assert.equal(statement.kind, 'subordinate_statement');
    assert.equal(statement.claims.iss, testbed.entityId('ta'));
    assert.equal(statement.claims.sub, testbed.entityId('int'));
    assert.deepEqual(statement.claims.jwks, testbed.trustAnchor('int').jwks);
    assert.equal(statement.claims.source_endpoint, `${testbed.url}/ta/fetch`);
    assert.deepEqual(statement.claims.constraints, { max_path_length: 1 });
    assert.deepEqual(statement.claims.metadata_policy, {
      openid_provider: { id_token_signing_alg_values_supported: { subset_of: ['ES256'] } },
    });
    await verifyEntityStatement(statement, testbed.trustAnchor('ta').jwks);
    assert.equal(jwt, await testbed.subordinateStatement('ta', 'int'));
  });

  it('serves statements that form valid trust chains for the core', async () => {
    const chain = await resolveTrustChainJwts(
      await collectChain(testbed, ['leaf', 'int', 'ta']),
      testbed.trustAnchor('ta'),
      CORE_OPTIONS,
    );
    assert.deepEqual(chain.path, [
      testbed.entityId('leaf'),
      testbed.entityId('int'),
      testbed.entityId('ta'),
    ]);
    assert.equal(chain.exp, NOW + 3600);
    // The anchor's policy narrowed the leaf's algorithms.
    assert.deepEqual(chain.metadata['openid_provider']?.['id_token_signing_alg_values_supported'], [
      'ES256',
    ]);
    const direct = await resolveTrustChainJwts(
      await collectChain(testbed, ['rp', 'ta']),
      testbed.trustAnchor('ta'),
      CORE_OPTIONS,
    );
    assert.equal(direct.subject, testbed.entityId('rp'));
  });

  it('ignores unknown fetch parameters, including the legacy iss', async () => {
    const sub = encodeURIComponent(testbed.entityId('leaf'));
    const iss = encodeURIComponent(testbed.entityId('int'));
    const jwt = await getStatement(`${testbed.url}/int/fetch?iss=${iss}&color=blue&sub=${sub}`);
    assert.equal(decode(jwt).claims.sub, testbed.entityId('leaf'));
  });

  it('answers an unknown sub with 404 not_found as JSON', async () => {
    const sub = encodeURIComponent(`${testbed.url}/stranger`);
    const response = await get(`${testbed.url}/ta/fetch?sub=${sub}`);
    assert.equal(response.status, 404);
    assert.equal(errorBody(response).error, 'not_found');
  });

  it('answers a known entity that is not a subordinate of the issuer with 404 not_found', async () => {
    const sub = encodeURIComponent(testbed.entityId('leaf'));
    const response = await get(`${testbed.url}/ta/fetch?sub=${sub}`);
    assert.equal(response.status, 404);
    assert.equal(errorBody(response).error, 'not_found');
  });

  it('answers a missing or empty sub with 400 invalid_request as JSON', async () => {
    for (const query of ['', '?sub=', '?iss=x']) {
      const response = await get(`${testbed.url}/ta/fetch${query}`);
      assert.equal(response.status, 400, query);
      const body = errorBody(response);
      assert.equal(body.error, 'invalid_request');
      assert.equal(body.error_description, 'Required request parameter [sub] was missing.');
    }
  });

  it('answers sub equal to the issuer, or sub given twice, with 400 invalid_request', async () => {
    const self = encodeURIComponent(testbed.entityId('ta'));
    const own = await get(`${testbed.url}/ta/fetch?sub=${self}`);
    assert.equal(own.status, 400);
    assert.equal(errorBody(own).error, 'invalid_request');
    const int = encodeURIComponent(testbed.entityId('int'));
    const twice = await get(`${testbed.url}/ta/fetch?sub=${int}&sub=${int}`);
    assert.equal(twice.status, 400);
    assert.equal(errorBody(twice).error, 'invalid_request');
  });

  it('has no fetch or list endpoint for leaves and 404s unknown paths and entities', async () => {
    const sub = encodeURIComponent(testbed.entityId('ta'));
    for (const path of [
      `/leaf/fetch?sub=${sub}`,
      '/leaf/list',
      '/nobody/.well-known/openid-federation',
      '/ta/unknown',
      '/',
      '/ta',
    ]) {
      const response = await get(`${testbed.url}${path}`);
      assert.equal(response.status, 404, path);
      assert.equal(errorBody(response).error, 'not_found');
    }
  });

  it('refuses methods other than GET and HEAD with 405 and an Allow header', async () => {
    const response = await get(`${testbed.url}/ta/fetch`, { method: 'POST', body: 'sub=x' });
    assert.equal(response.status, 405);
    assert.equal(response.headers.get('allow'), 'GET, HEAD');
    assert.equal(errorBody(response).error, 'invalid_request');
    const head = await fetch(`${testbed.url}/ta${WELL_KNOWN_FEDERATION_PATH}`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-type'), MEDIA_TYPES.entityStatement);
  });

  it('lists Immediate Subordinates as a JSON array of identifiers (§8.2)', async () => {
    const response = await get(`${testbed.url}/ta/list`);
    assert.equal(response.status, 200);
    assert.equal(response.contentType, 'application/json');
    assert.deepEqual(JSON.parse(response.body), [testbed.entityId('int'), testbed.entityId('rp')]);
    const below = await get(`${testbed.url}/int/list`);
    assert.deepEqual(JSON.parse(below.body), [testbed.entityId('leaf')]);
  });

  it('filters the list by intermediate and entity_type (several types: union)', async () => {
    const intermediates = await get(`${testbed.url}/ta/list?intermediate=true`);
    assert.deepEqual(JSON.parse(intermediates.body), [testbed.entityId('int')]);
    const rps = await get(`${testbed.url}/ta/list?entity_type=openid_relying_party`);
    assert.deepEqual(JSON.parse(rps.body), [testbed.entityId('rp')]);
    const both = await get(
      `${testbed.url}/ta/list?entity_type=openid_relying_party&entity_type=federation_entity`,
    );
    assert.deepEqual(JSON.parse(both.body), [testbed.entityId('int'), testbed.entityId('rp')]);
    const none = await get(`${testbed.url}/int/list?entity_type=openid_relying_party`);
    assert.deepEqual(JSON.parse(none.body), []);
  });

  it('§8.2: filters the list by trust_marked and trust_mark_type (every listed type), and refuses a non-boolean', async () => {
    const marked = await startTestbed({
      entities: [
        { name: 'ta', trustMarkIssuers: { '{{url}}/m/a': [], '{{url}}/m/b': [] } },
        {
          name: 'one',
          authorityHints: ['ta'],
          trustMarks: [{ type: '{{url}}/m/a', issuer: 'ta' }],
        },
        {
          name: 'two',
          authorityHints: ['ta'],
          trustMarks: [
            { type: '{{url}}/m/a', issuer: 'ta' },
            { type: '{{url}}/m/b', issuer: 'ta' },
          ],
        },
        { name: 'none', authorityHints: ['ta'] },
      ],
    });
    try {
      const list = async (query: string) =>
        JSON.parse((await get(`${marked.url}/ta/list?${query}`)).body) as string[];
      assert.deepEqual(await list('trust_marked=true'), [
        marked.entityId('one'),
        marked.entityId('two'),
      ]);
      const a = encodeURIComponent(`${marked.url}/m/a`);
      const b = encodeURIComponent(`${marked.url}/m/b`);
      assert.deepEqual(await list(`trust_mark_type=${a}&trust_mark_type=${b}`), [
        marked.entityId('two'),
      ]);
      const bad = await get(`${marked.url}/ta/list?trust_marked=yes`);
      assert.equal(bad.status, 400);
      assert.equal(errorBody(bad).error, 'invalid_request');
    } finally {
      await marked.close();
    }
  });

  it('list faults: extra identifiers (a loop back up, an unknown entity), padding, a 5xx, a body', async () => {
    const faulty = await startTestbed({
      entities: [
        { name: 'ta', listFaults: { extra: ['https://unknown.example.org'], padding: 2 } },
        { name: 'int', authorityHints: ['ta'], listFaults: { extra: ['ta'] } },
        { name: 'leaf', authorityHints: ['int'] },
        { name: 'down', authorityHints: ['ta'], listFaults: { status: 503 } },
        { name: 'leaf2', authorityHints: ['down'] },
      ],
    });
    try {
      const list = async (name: string) =>
        JSON.parse((await get(`${faulty.url}/${name}/list`)).body) as string[];
      assert.deepEqual(await list('ta'), [
        faulty.entityId('int'),
        faulty.entityId('down'),
        'https://unknown.example.org',
        `${faulty.url}/padding-0`,
        `${faulty.url}/padding-1`,
      ]);
      assert.deepEqual(await list('int'), [faulty.entityId('leaf'), faulty.entityId('ta')]);
      assert.equal((await get(`${faulty.url}/down/list`)).status, 503);
    } finally {
      await faulty.close();
    }
  });

  it('serves the same signed statement on every request (signed once, cached)', async () => {
    const url = entityConfigurationUrl(testbed.entityId('ta'));
    const bodies = await Promise.all([1, 2, 3, 4, 5].map(() => getStatement(url)));
    assert.equal(new Set(bodies).size, 1);
    assert.equal(bodies[0], await testbed.entityConfiguration('ta'));
  });

  it('describes an anchor as a TrustAnchor and as a trust-anchors file', () => {
    const anchor = testbed.trustAnchor('ta');
    assert.equal(anchor.entity_id, testbed.entityId('ta'));
    assert.equal(anchor.jwks.keys.length, 1);
    const file = testbed.trustAnchorFile('ta');
    assert.ok(file.endsWith('\n'));
    assert.deepEqual(JSON.parse(file), {
      entity_id: anchor.entity_id,
      jwks: { keys: anchor.jwks.keys },
    });
    for (const key of anchor.jwks.keys) {
      assert.equal(key['d'], undefined, 'no private key material');
      assert.equal(key.use, 'sig');
      assert.equal(key.alg, 'ES256');
    }
    assert.throws(() => testbed.trustAnchor('nobody'), /no entity named "nobody"/);
  });
});

describe('testbed entities that do not publish their configuration', () => {
  it('answer 404 not_found at the well-known URL but still have a configuration for hand-built chains', async (t) => {
    const topology = smallTopology();
    const testbed = await startTestbed(
      {
        ...topology,
        entities: topology.entities.map((entity) =>
          entity.name === 'rp' ? { ...entity, publishConfiguration: false } : entity,
        ),
      },
      { now: () => NOW },
    );
    t.after(() => testbed.close());
    const response = await get(entityConfigurationUrl(testbed.entityId('rp')));
    assert.equal(response.status, 404);
    assert.equal(errorBody(response).error, 'not_found');
    const jwts = [
      await testbed.entityConfiguration('rp'),
      await testbed.subordinateStatement('ta', 'rp'),
      await testbed.entityConfiguration('ta'),
    ];
    const chain = await resolveTrustChainJwts(jwts, testbed.trustAnchor('ta'), CORE_OPTIONS);
    assert.equal(chain.subject, testbed.entityId('rp'));
  });
});

describe('testbed explicit federation endpoints', () => {
  it('keeps a fetch endpoint written in the topology instead of the generated one', async (t) => {
    const topology = smallTopology();
    const elsewhere = '{{url}}/moved/fetch';
    const testbed = await startTestbed(
      {
        ...topology,
        entities: topology.entities.map((entity) =>
          entity.name === 'int'
            ? {
                ...entity,
                metadata: { federation_entity: { federation_fetch_endpoint: elsewhere } },
              }
            : entity,
        ),
      },
      { now: () => NOW },
    );
    t.after(() => testbed.close());
    const metadata = decode(await testbed.entityConfiguration('int')).claims.metadata;
    assert.equal(
      metadata?.['federation_entity']?.['federation_fetch_endpoint'],
      `${testbed.url}/moved/fetch`,
    );
    assert.equal(
      metadata?.['federation_entity']?.['federation_list_endpoint'],
      `${testbed.url}/int/list`,
    );
  });
});

describe('testbed close()', () => {
  it('is idempotent and stops serving', async () => {
    const testbed = await startTestbed(smallTopology(), { now: () => NOW });
    const url = entityConfigurationUrl(testbed.entityId('ta'));
    await getStatement(url);
    await Promise.all([testbed.close(), testbed.close()]);
    await testbed.close();
    await assert.rejects(fetch(url));
  });

  it('does not wait for delayed responses in flight', async () => {
    const testbed = await startTestbed(smallTopology(), { now: () => NOW });
    testbed.setFaults({ entity: 'ta' }, { delayMs: 30_000 });
    const pending = fetch(entityConfigurationUrl(testbed.entityId('ta')));
    pending.catch(() => undefined);
    // Let the request reach the server before closing.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await testbed.close();
    assert.ok(Date.now() - started < 2000, 'close() returned promptly');
    await assert.rejects(pending);
    assert.equal(testbed.requests.total(), 0, 'an abandoned request is not logged as answered');
  });
});
