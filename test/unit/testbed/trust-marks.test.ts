import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { compactVerify, decodeJwt, decodeProtectedHeader, importJWK, type JWTPayload } from 'jose';
import { MEDIA_TYPES } from '../../../src/federation/constants.js';
import { entityConfigurationUrl } from '../../../src/federation/entity-id.js';
import { getOwn, isPlainObject, type JsonObject } from '../../../src/federation/json.js';
import { resolveTrustChainJwts } from '../../../src/federation/trust-chain.js';
import type { Jwk, JwkSet } from '../../../src/federation/types.js';
import { startTestbed, type Testbed } from '../../../src/testbed/federation-server.js';
import { sampleFederation } from '../../../src/testbed/sample-federation.js';
import { TIME_FAULT_OFFSET_SECONDS } from '../../../src/testbed/statement-builder.js';
import type { Topology, TrustMarkFaults } from '../../../src/testbed/topology.js';
import { validateTopology } from '../../../src/testbed/topology-index.js';
import { assertRejects } from '../../support/assertions.js';
import {
  CORE_OPTIONS,
  NOW,
  collectChain,
  errorBody,
  get,
  getStatement,
  smallTopology,
  type ReadResponse,
} from './support.js';

const CERTIFIED = '{{url}}/marks/certified';
const OWNED = '{{url}}/marks/owned';
const SELF_SIGNED = '{{url}}/marks/self';

/**
 * ta ─┬─ issuer   Trust Mark Issuer of CERTIFIED and OWNED (a leaf without metadata)
 *     ├─ owner    owner of OWNED, which it delegates to issuer
 *     ├─ holder   holds CERTIFIED, OWNED (delegated) and SELF_SIGNED (its own, no exp)
 *     └─ other    holds nothing; the subject of the `sub` fault
 */
function markTopology(): Topology {
  return {
    entities: [
      {
        name: 'ta',
        metadata: { federation_entity: { organization_name: 'TA' } },
        trustMarkIssuers: { [CERTIFIED]: ['issuer'], [OWNED]: ['issuer'], [SELF_SIGNED]: [] },
        trustMarkOwners: { [OWNED]: 'owner' },
      },
      { name: 'issuer', authorityHints: ['ta'] },
      { name: 'owner', alg: 'EdDSA', authorityHints: ['ta'] },
      {
        name: 'holder',
        alg: 'ES384',
        authorityHints: ['ta'],
        metadata: { openid_relying_party: { client_name: 'Holder' } },
        trustMarks: [
          {
            type: CERTIFIED,
            issuer: 'issuer',
            lifetimeSeconds: 7200,
            claims: { logo_uri: '{{entity:issuer}}/logo.svg', ref: '{{url}}/docs' },
          },
          { type: OWNED, issuer: 'issuer', delegatedBy: 'owner' },
          { type: SELF_SIGNED, issuer: 'holder', lifetimeSeconds: null },
        ],
      },
      { name: 'other', authorityHints: ['ta'] },
    ],
  };
}

async function start(
  t: TestContext,
  topology: Topology = markTopology(),
  now: () => number = () => NOW,
): Promise<Testbed> {
  const testbed = await startTestbed(topology, { now });
  t.after(() => testbed.close());
  return testbed;
}

/** A trust mark type with `{{url}}` filled in, as served. */
function served(testbed: Testbed, type: string): string {
  return type.replace('{{url}}', testbed.url);
}

/** The claims of the Entity Configuration `name` serves at its well-known URL, decoded by jose. */
async function configuration(testbed: Testbed, name: string): Promise<JWTPayload> {
  return decodeJwt(await getStatement(entityConfigurationUrl(testbed.entityId(name))));
}

function object(value: unknown, what: string): JsonObject {
  assert.ok(isPlainObject(value), `${what} is a JSON object`);
  return value;
}

/** A served `jwks` value, narrowed (test data comes from our own testbed, but is checked). */
function jwkSet(value: unknown): JwkSet {
  const keys = getOwn(object(value, 'jwks'), 'keys');
  assert.ok(Array.isArray(keys) && keys.length > 0, 'jwks.keys is a non-empty array');
  return {
    keys: keys.map((key: unknown): Jwk => {
      const jwk = object(key, 'a JWK');
      const kty = getOwn(jwk, 'kty');
      const kid = getOwn(jwk, 'kid');
      assert.ok(typeof kty === 'string' && typeof kid === 'string', 'a JWK with kty and kid');
      return { ...jwk, kty, kid };
    }),
  };
}

/** The `jwks` the Entity Configuration of `name` publishes. */
async function publishedKeys(testbed: Testbed, name: string): Promise<JwkSet> {
  return jwkSet((await configuration(testbed, name)).jwks);
}

/** Verifies a compact JWS with the key of `jwks` named by its `kid`; rejects otherwise. */
async function verifyWith(jwt: string, jwks: JwkSet): Promise<void> {
  const { kid, alg } = decodeProtectedHeader(jwt);
  const jwk = jwks.keys.find((key) => key.kid === kid);
  assert.ok(jwk !== undefined && typeof alg === 'string', `a published key with kid ${kid}`);
  await compactVerify(jwt, await importJWK(jwk, alg));
}

/** The entries of a configuration's `trust_marks` claim. */
function trustMarkEntries(claims: JWTPayload): JsonObject[] {
  const entries = claims['trust_marks'];
  assert.ok(Array.isArray(entries), 'trust_marks is an array');
  return entries.map((entry: unknown) => object(entry, 'a trust_marks entry'));
}

/** The trust mark JWT of the entry of `type` in a configuration's `trust_marks`. */
function markOfType(claims: JWTPayload, type: string, typeClaim = 'trust_mark_type'): string {
  const entry = trustMarkEntries(claims).find((e) => getOwn(e, typeClaim) === type);
  const mark = entry === undefined ? undefined : getOwn(entry, 'trust_mark');
  assert.equal(typeof mark, 'string', `a trust mark of type ${type}`);
  return String(mark);
}

/** The status endpoint `name` advertises in its federation_entity metadata. */
async function statusEndpointOf(testbed: Testbed, name: string): Promise<string> {
  const metadata = object((await configuration(testbed, name)).metadata, 'metadata');
  const entity = object(getOwn(metadata, 'federation_entity'), 'federation_entity');
  const endpoint = getOwn(entity, 'federation_trust_mark_status_endpoint');
  assert.equal(typeof endpoint, 'string', `${name} advertises a status endpoint`);
  return String(endpoint);
}

/** §8.4.1: POSTs `trust_mark=<jwt>` as a form to a status endpoint. */
function postStatus(url: string, trustMark: string): Promise<ReadResponse> {
  return get(url, { method: 'POST', body: new URLSearchParams({ trust_mark: trustMark }) });
}

/** A successful status response, its header and claims. */
async function statusOf(
  url: string,
  trustMark: string,
): Promise<{ jwt: string; header: ReturnType<typeof decodeProtectedHeader>; claims: JWTPayload }> {
  const response = await postStatus(url, trustMark);
  assert.equal(response.status, 200, response.body);
  assert.equal(response.contentType, MEDIA_TYPES.trustMarkStatusResponse);
  return {
    jwt: response.body,
    header: decodeProtectedHeader(response.body),
    claims: decodeJwt(response.body),
  };
}

describe('testbed trust marks in Entity Configurations (§7, §3.1.2)', () => {
  let testbed: Testbed;

  before(async () => {
    testbed = await startTestbed(markTopology(), { now: () => NOW });
  });
  after(() => testbed.close());

  it("lists one trust_marks entry per mark, in order, each outer type equal to the JWT's", async () => {
    const entries = trustMarkEntries(await configuration(testbed, 'holder'));
    assert.deepEqual(
      entries.map((entry) => getOwn(entry, 'trust_mark_type')),
      [CERTIFIED, OWNED, SELF_SIGNED].map((type) => served(testbed, type)),
    );
    for (const entry of entries) {
      assert.deepEqual(Object.keys(entry).sort(), ['trust_mark', 'trust_mark_type']);
      const inner = decodeJwt(String(getOwn(entry, 'trust_mark')));
      assert.equal(inner['trust_mark_type'], getOwn(entry, 'trust_mark_type'));
    }
    assert.equal((await configuration(testbed, 'other'))['trust_marks'], undefined);
  });

  it("signs a mark with the issuer's current key: typ trust-mark+jwt, iss, sub, type, iat, exp and extra claims", async () => {
    const mark = markOfType(await configuration(testbed, 'holder'), served(testbed, CERTIFIED));
    const issuerKeys = await publishedKeys(testbed, 'issuer');
    assert.deepEqual(decodeProtectedHeader(mark), {
      typ: 'trust-mark+jwt',
      alg: 'ES256',
      kid: issuerKeys.keys[0]?.kid,
    });
    assert.deepEqual(decodeJwt(mark), {
      iss: testbed.entityId('issuer'),
      sub: testbed.entityId('holder'),
      trust_mark_type: served(testbed, CERTIFIED),
      iat: NOW,
      exp: NOW + 7200,
      logo_uri: `${testbed.entityId('issuer')}/logo.svg`,
      ref: `${testbed.url}/docs`,
    });
    await verifyWith(mark, issuerKeys);
    await assert.rejects(verifyWith(mark, await publishedKeys(testbed, 'holder')));
    assert.equal(await testbed.trustMark('holder', CERTIFIED), mark);
    assert.equal(await testbed.trustMark('holder', served(testbed, CERTIFIED)), mark);
  });

  it('signs a self-signed mark with the holder key and no exp when lifetimeSeconds is null', async () => {
    const mark = await testbed.trustMark('holder', SELF_SIGNED);
    const claims = decodeJwt(mark);
    assert.equal(claims.iss, testbed.entityId('holder'));
    assert.equal(claims.sub, testbed.entityId('holder'));
    assert.equal(claims.iat, NOW);
    assert.ok(!('exp' in claims), 'a mark without exp never expires (§7.1)');
    assert.equal(decodeProtectedHeader(mark).alg, 'ES384');
    await verifyWith(mark, await publishedKeys(testbed, 'holder'));
  });

  it("embeds a delegation signed by the owner's key, verifiable with trust_mark_owners (§7.2.1)", async () => {
    const mark = await testbed.trustMark('holder', OWNED);
    const markClaims = decodeJwt(mark);
    assert.equal(markClaims.exp, NOW + 86_400, 'default lifetime');
    const delegation = markClaims['delegation'];
    assert.equal(typeof delegation, 'string');
    const jwt = String(delegation);
    const ownerKeys = await publishedKeys(testbed, 'owner');
    assert.deepEqual(decodeProtectedHeader(jwt), {
      typ: 'trust-mark-delegation+jwt',
      alg: 'EdDSA',
      kid: ownerKeys.keys[0]?.kid,
    });
    assert.deepEqual(decodeJwt(jwt), {
      iss: testbed.entityId('owner'),
      sub: testbed.entityId('issuer'),
      trust_mark_type: served(testbed, OWNED),
      iat: NOW,
      exp: NOW + 86_400,
    });
    // The verifier takes the owner's keys from the anchor's trust_mark_owners (§7.2.2 step 9).
    const owners = object((await configuration(testbed, 'ta'))['trust_mark_owners'], 'owners');
    const owner = object(getOwn(owners, served(testbed, OWNED)), 'the owner entry');
    await verifyWith(jwt, jwkSet(getOwn(owner, 'jwks')));
    await verifyWith(mark, await publishedKeys(testbed, 'issuer'));
    const certified = decodeJwt(await testbed.trustMark('holder', CERTIFIED));
    assert.ok(!('delegation' in certified), 'only delegated marks carry one');
  });

  it("renders the anchor's trust_mark_issuers as identifiers and trust_mark_owners with the owner's keys (§7.2)", async () => {
    const ta = await configuration(testbed, 'ta');
    assert.deepEqual(ta['trust_mark_issuers'], {
      [served(testbed, CERTIFIED)]: [testbed.entityId('issuer')],
      [served(testbed, OWNED)]: [testbed.entityId('issuer')],
      [served(testbed, SELF_SIGNED)]: [],
    });
    assert.deepEqual(ta['trust_mark_owners'], {
      [served(testbed, OWNED)]: {
        sub: testbed.entityId('owner'),
        jwks: testbed.trustAnchor('owner').jwks,
      },
    });
    assert.equal((await configuration(testbed, 'holder'))['trust_mark_issuers'], undefined);
  });

  it('gives an issuer that is a leaf a federation_entity block with its status endpoint, and a chain', async () => {
    const metadata = object((await configuration(testbed, 'issuer')).metadata, 'metadata');
    assert.deepEqual(metadata, {
      federation_entity: {
        federation_trust_mark_status_endpoint: `${testbed.entityId('issuer')}/status`,
      },
    });
    // §7.3: trust in the issuer comes first; its chain resolves to the same anchor.
    const chain = await resolveTrustChainJwts(
      await collectChain(testbed, ['issuer', 'ta']),
      testbed.trustAnchor('ta'),
      CORE_OPTIONS,
    );
    assert.equal(chain.subject, testbed.entityId('issuer'));
    // The holder's configuration still forms a valid chain with its marks inside.
    await resolveTrustChainJwts(
      await collectChain(testbed, ['holder', 'ta']),
      testbed.trustAnchor('ta'),
      CORE_OPTIONS,
    );
    // A self-signing holder is an issuer too; the anchor and the owner are not.
    assert.equal(await statusEndpointOf(testbed, 'holder'), `${testbed.entityId('holder')}/status`);
    const ta = object((await configuration(testbed, 'ta')).metadata, 'metadata');
    assert.equal(
      getOwn(
        object(getOwn(ta, 'federation_entity'), 'fe'),
        'federation_trust_mark_status_endpoint',
      ),
      undefined,
    );
    assert.equal((await configuration(testbed, 'owner')).metadata, undefined);
  });

  it('lets the topology override the advertised status endpoint', async (t) => {
    const topology = markTopology();
    const wrong = 'https://elsewhere.example/status';
    const custom = await start(t, {
      ...topology,
      entities: topology.entities.map((entity) =>
        entity.name === 'issuer'
          ? {
              ...entity,
              metadata: { federation_entity: { federation_trust_mark_status_endpoint: wrong } },
            }
          : entity,
      ),
    });
    assert.equal(await statusEndpointOf(custom, 'issuer'), wrong);
  });

  it('leaves topologies without trust marks exactly as before', async (t) => {
    const small = await start(t, smallTopology());
    for (const name of ['ta', 'int', 'leaf', 'rp']) {
      const claims = await configuration(small, name);
      for (const claim of ['trust_marks', 'trust_mark_issuers', 'trust_mark_owners']) {
        assert.ok(!(claim in claims), `${name} has no ${claim}`);
      }
      const response = await postStatus(`${small.entityId(name)}/status`, 'x.y.z');
      assert.equal(response.status, 404);
    }
    const ta = object((await configuration(small, 'ta')).metadata, 'metadata');
    assert.deepEqual(Object.keys(object(getOwn(ta, 'federation_entity'), 'fe')).sort(), [
      'federation_fetch_endpoint',
      'federation_list_endpoint',
      'organization_name',
    ]);
  });
});

describe('testbed trust mark faults', () => {
  let testbed: Testbed;

  before(async () => {
    testbed = await startTestbed(markTopology(), { now: () => NOW });
  });
  after(() => testbed.close());

  /** Sets `faults` on holder's CERTIFIED mark for one check, then clears them. */
  async function withFaults(
    faults: TrustMarkFaults,
    check: (mark: string, configuration: JWTPayload) => Promise<void>,
    type = CERTIFIED,
  ): Promise<void> {
    const clean = await testbed.trustMark('holder', type);
    testbed.setTrustMarkFaults('holder', type, faults);
    try {
      const claims = await configuration(testbed, 'holder');
      const mark = await testbed.trustMark('holder', type);
      assert.notEqual(mark, clean, 'the mark was signed again');
      await check(mark, claims);
    } finally {
      testbed.setTrustMarkFaults('holder', type, undefined);
    }
    assert.equal(
      decodeJwt(await testbed.trustMark('holder', type)).sub,
      testbed.entityId('holder'),
      'faults cleared',
    );
  }

  it('expired: exp an hour ago, iat one lifetime before (§7.3 step 6)', async () => {
    await withFaults({ expired: true }, async (mark) => {
      const claims = decodeJwt(mark);
      assert.equal(claims.exp, NOW - TIME_FAULT_OFFSET_SECONDS);
      assert.equal(claims.iat, NOW - TIME_FAULT_OFFSET_SECONDS - 7200);
      await verifyWith(mark, await publishedKeys(testbed, 'issuer'));
    });
    // Even a mark that never expires gets an exp in the past when asked to be expired.
    await withFaults(
      { expired: true },
      async (mark) => assert.equal(decodeJwt(mark).exp, NOW - TIME_FAULT_OFFSET_SECONDS),
      SELF_SIGNED,
    );
  });

  it('notYetValid: iat an hour in the future (§7.3 step 5)', async () => {
    await withFaults({ notYetValid: true }, async (mark) => {
      const claims = decodeJwt(mark);
      assert.equal(claims.iat, NOW + TIME_FAULT_OFFSET_SECONDS);
      assert.equal(claims.exp, NOW + TIME_FAULT_OFFSET_SECONDS + 7200);
    });
  });

  it("wrongKey: the issuer's kid, but a signature its keys do not verify (§7.3 step 7)", async () => {
    await withFaults({ wrongKey: true }, async (mark) => {
      const issuerKeys = await publishedKeys(testbed, 'issuer');
      assert.equal(decodeProtectedHeader(mark).kid, issuerKeys.keys[0]?.kid);
      await assert.rejects(verifyWith(mark, issuerKeys), {
        code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
      });
    });
  });

  it('typ: overrides the header typ, or removes it with null (§7.3 step 2)', async () => {
    await withFaults({ typ: 'entity-statement+jwt' }, async (mark) => {
      assert.equal(decodeProtectedHeader(mark).typ, 'entity-statement+jwt');
      await verifyWith(mark, await publishedKeys(testbed, 'issuer'));
    });
    await withFaults({ typ: null }, async (mark) => {
      const header = decodeProtectedHeader(mark);
      assert.ok(!('typ' in header), 'no typ');
      assert.equal(typeof header.kid, 'string');
    });
  });

  it('outerType: the trust_marks entry names another type than the JWT (§3.1.2)', async () => {
    await withFaults({ outerType: '{{url}}/marks/other' }, async (mark, claims) => {
      assert.equal(decodeJwt(mark)['trust_mark_type'], served(testbed, CERTIFIED));
      assert.equal(markOfType(claims, served(testbed, '{{url}}/marks/other')), mark);
      const types = trustMarkEntries(claims).map((entry) => getOwn(entry, 'trust_mark_type'));
      assert.ok(!types.includes(served(testbed, CERTIFIED)));
    });
  });

  it('sub: the mark is about another entity than its holder (§7.3 step 4)', async () => {
    await withFaults({ sub: 'other' }, async (mark, claims) => {
      assert.equal(decodeJwt(mark).sub, testbed.entityId('other'));
      assert.equal(claims.sub, testbed.entityId('holder'));
      await verifyWith(mark, await publishedKeys(testbed, 'issuer'));
    });
  });

  it("delegationWrongKey: the delegation has the owner's kid but not its signature (§7.2.2)", async () => {
    await withFaults(
      { delegationWrongKey: true },
      async (mark) => {
        const delegation = String(decodeJwt(mark)['delegation']);
        const ownerKeys = await publishedKeys(testbed, 'owner');
        assert.equal(decodeProtectedHeader(delegation).kid, ownerKeys.keys[0]?.kid);
        await assert.rejects(verifyWith(delegation, ownerKeys), {
          code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
        });
        await verifyWith(mark, await publishedKeys(testbed, 'issuer'));
      },
      OWNED,
    );
  });

  it('delegationExpired: the delegation exp lies an hour in the past, the mark is fine (§7.2.2)', async () => {
    await withFaults(
      { delegationExpired: true },
      async (mark) => {
        const claims = decodeJwt(mark);
        assert.equal(claims.exp, NOW + 86_400);
        const delegation = String(claims['delegation']);
        assert.equal(decodeJwt(delegation).exp, NOW - TIME_FAULT_OFFSET_SECONDS);
        await verifyWith(delegation, await publishedKeys(testbed, 'owner'));
      },
      OWNED,
    );
  });

  for (const legacy of ['id', 'trust_mark_id'] as const) {
    it(`legacyClaimName ${legacy}: the draft claim name in the JWT and in the entry (docs/decisions.md)`, async () => {
      await withFaults({ legacyClaimName: legacy }, async (mark, claims) => {
        const inner = decodeJwt(mark);
        assert.equal(inner[legacy], served(testbed, CERTIFIED));
        assert.ok(!('trust_mark_type' in inner));
        assert.equal(markOfType(claims, served(testbed, CERTIFIED), legacy), mark);
        const entry = trustMarkEntries(claims)[0];
        assert.deepEqual(Object.keys(entry ?? {}).sort(), [legacy, 'trust_mark'].sort());
      });
    });
  }

  it('applies faults written in the topology from the start', async (t) => {
    const topology = markTopology();
    const faulty = await start(t, {
      ...topology,
      entities: topology.entities.map((entity) =>
        entity.name === 'holder'
          ? {
              ...entity,
              trustMarks: [{ type: CERTIFIED, issuer: 'issuer', faults: { expired: true } }],
            }
          : entity,
      ),
    });
    const mark = markOfType(await configuration(faulty, 'holder'), served(faulty, CERTIFIED));
    assert.equal(decodeJwt(mark).exp, NOW - TIME_FAULT_OFFSET_SECONDS);
  });

  it('rejects unknown marks and bad faults with a clear Error', () => {
    assert.throws(
      () => testbed.setTrustMarkFaults('holder', '{{url}}/marks/nothing', { expired: true }),
      /"holder" holds no trust mark of type/,
    );
    assert.throws(
      () => testbed.setTrustMarkFaults('other', CERTIFIED, undefined),
      /"other" holds no trust mark/,
    );
    assert.throws(
      () => testbed.setTrustMarkFaults('holder', CERTIFIED, { sub: 'nobody' }),
      /faults.sub "nobody" is not an entity/,
    );
    assert.throws(() => testbed.setTrustMarkFaults('nobody', CERTIFIED, {}), /no entity named/);
  });
});

describe('testbed Trust Mark Status endpoint (§8.4)', () => {
  let testbed: Testbed;
  let endpoint: string;

  before(async () => {
    testbed = await startTestbed(markTopology(), { now: () => NOW });
    endpoint = await statusEndpointOf(testbed, 'issuer');
  });
  after(() => testbed.close());

  it("answers active by default with a status response signed by the issuer's EC keys", async () => {
    const mark = await testbed.trustMark('holder', CERTIFIED);
    const { jwt, header, claims } = await statusOf(endpoint, mark);
    const issuerKeys = await publishedKeys(testbed, 'issuer');
    assert.deepEqual(header, {
      typ: 'trust-mark-status-response+jwt',
      alg: 'ES256',
      kid: issuerKeys.keys[0]?.kid,
    });
    assert.deepEqual(claims, {
      iss: testbed.entityId('issuer'),
      iat: NOW,
      trust_mark: mark,
      status: 'active',
    });
    await verifyWith(jwt, issuerKeys);
  });

  it('answers the status set with setTrustMarkStatus, for that mark only', async () => {
    const certified = await testbed.trustMark('holder', CERTIFIED);
    const owned = await testbed.trustMark('holder', OWNED);
    const configurationBefore = await testbed.entityConfiguration('holder');
    try {
      testbed.setTrustMarkStatus('holder', CERTIFIED, 'revoked');
      assert.equal((await statusOf(endpoint, certified)).claims['status'], 'revoked');
      assert.equal((await statusOf(endpoint, owned)).claims['status'], 'active');
      for (const status of ['expired', 'invalid', 'active'] as const) {
        // The served type (placeholders filled) names the same mark.
        testbed.setTrustMarkStatus('holder', served(testbed, CERTIFIED), status);
        assert.equal((await statusOf(endpoint, certified)).claims['status'], status);
      }
      assert.equal(
        await testbed.entityConfiguration('holder'),
        configurationBefore,
        'a status is not part of the configuration',
      );
    } finally {
      testbed.setTrustMarkStatus('holder', CERTIFIED, 'active');
    }
  });

  it('answers { http } statuses with a §8.9 JSON error', async () => {
    const mark = await testbed.trustMark('holder', CERTIFIED);
    try {
      for (const [status, code] of [
        [500, 'server_error'],
        [404, 'not_found'],
        [503, 'temporarily_unavailable'],
      ] as const) {
        testbed.setTrustMarkStatus('holder', CERTIFIED, { http: status });
        const response = await postStatus(endpoint, mark);
        assert.equal(response.status, status);
        assert.equal(errorBody(response).error, code);
      }
    } finally {
      testbed.setTrustMarkStatus('holder', CERTIFIED, 'active');
    }
  });

  it('applies status response faults: wrongKey, typ and delayMs', async () => {
    const mark = await testbed.trustMark('holder', CERTIFIED);
    const issuerKeys = await publishedKeys(testbed, 'issuer');
    try {
      testbed.setTrustMarkStatus('holder', CERTIFIED, 'active', { wrongKey: true });
      const forged = await statusOf(endpoint, mark);
      assert.equal(forged.header.kid, issuerKeys.keys[0]?.kid);
      await assert.rejects(verifyWith(forged.jwt, issuerKeys), {
        code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
      });

      testbed.setTrustMarkStatus('holder', CERTIFIED, 'revoked', { typ: null });
      const untyped = await statusOf(endpoint, mark);
      assert.ok(!('typ' in untyped.header));
      assert.equal(untyped.claims['status'], 'revoked');
      await verifyWith(untyped.jwt, issuerKeys);

      testbed.setTrustMarkStatus('holder', CERTIFIED, 'active', { typ: 'jwt', delayMs: 150 });
      const started = performance.now();
      const slow = await statusOf(endpoint, mark);
      assert.ok(performance.now() - started >= 140, 'the answer was delayed');
      assert.equal(slow.header.typ, 'jwt');
    } finally {
      testbed.setTrustMarkStatus('holder', CERTIFIED, 'active');
    }
    // Three arguments replace the faults too.
    await verifyWith((await statusOf(endpoint, mark)).jwt, issuerKeys);
  });

  it('answers 404 not_found for a mark this issuer did not issue (§8.4.2)', async () => {
    const selfSigned = await testbed.trustMark('holder', SELF_SIGNED);
    const certified = await testbed.trustMark('holder', CERTIFIED);
    for (const [url, mark] of [
      [endpoint, selfSigned], // issued by holder, not by issuer
      [`${testbed.entityId('holder')}/status`, certified], // issued by issuer, asked of holder
      [endpoint, `${certified}x`], // not exactly a mark it issued
      [endpoint, 'not-a-jwt'],
    ] as const) {
      const response = await postStatus(url, mark);
      assert.equal(response.status, 404);
      assert.equal(errorBody(response).error, 'not_found');
    }
    // The holder answers about its own self-signed mark.
    const own = await statusOf(`${testbed.entityId('holder')}/status`, selfSigned);
    assert.equal(own.claims.iss, testbed.entityId('holder'));
  });

  it('keeps recognising marks it issued before they were signed again', async () => {
    const old = await testbed.trustMark('holder', CERTIFIED);
    testbed.reissue();
    testbed.setTrustMarkFaults('holder', CERTIFIED, { notYetValid: true });
    try {
      assert.notEqual(await testbed.trustMark('holder', CERTIFIED), old);
      assert.equal((await statusOf(endpoint, old)).claims['status'], 'active');
    } finally {
      testbed.setTrustMarkFaults('holder', CERTIFIED, undefined);
    }
  });

  it('refuses GET with 405 and malformed requests with 400', async () => {
    const getResponse = await get(endpoint);
    assert.equal(getResponse.status, 405);
    assert.equal(getResponse.headers.get('allow'), 'POST');
    assert.equal(errorBody(getResponse).error, 'invalid_request');

    const mark = await testbed.trustMark('holder', CERTIFIED);
    // §8.4.1: a form body is required; the right parameter under another media type is not.
    const notForm = await get(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: new URLSearchParams({ trust_mark: mark }).toString(),
    });
    assert.equal(notForm.status, 400);
    assert.equal(errorBody(notForm).error, 'invalid_request');
    const withCharset = await get(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' },
      body: new URLSearchParams({ trust_mark: mark }).toString(),
    });
    assert.equal(withCharset.status, 200);

    const missing = await get(endpoint, {
      method: 'POST',
      body: new URLSearchParams({ sub: 'x' }),
    });
    assert.equal(missing.status, 400);
    assert.equal(errorBody(missing).error, 'invalid_request');

    const twice = await get(endpoint, {
      method: 'POST',
      body: new URLSearchParams([
        ['trust_mark', mark],
        ['trust_mark', mark],
      ]),
    });
    assert.equal(twice.status, 400);

    const huge = await get(endpoint, {
      method: 'POST',
      body: new URLSearchParams({ trust_mark: 'x'.repeat(100_000) }),
    });
    assert.equal(huge.status, 413);
  });

  it('has no status endpoint on entities that issue no marks', async () => {
    const mark = await testbed.trustMark('holder', CERTIFIED);
    for (const name of ['ta', 'owner', 'other', 'nobody']) {
      const response = await postStatus(`${testbed.url}/${name}/status`, mark);
      assert.equal(response.status, 404, name);
      assert.equal(errorBody(response).error, 'not_found');
    }
  });

  it("counts status requests in the request log with kind 'status' and the mark's subject", async () => {
    const mark = await testbed.trustMark('holder', CERTIFIED);
    testbed.requests.reset();
    await statusOf(endpoint, mark);
    await postStatus(endpoint, 'unknown');
    await get(endpoint);
    assert.equal(testbed.requests.count({ kind: 'status' }), 3);
    assert.equal(testbed.requests.count({ kind: 'status', entity: 'issuer' }), 3);
    assert.equal(testbed.requests.count({ kind: 'status', subject: 'holder' }), 1);
    assert.equal(testbed.requests.count({ kind: 'configuration' }), 0);
    const [first, second, third] = testbed.requests.entries();
    assert.deepEqual(
      [first, second, third].map((entry) => [entry?.method, entry?.kind, entry?.status]),
      [
        ['POST', 'status', 200],
        ['POST', 'status', 404],
        ['GET', 'status', 405],
      ],
    );
    assert.equal(first?.subject, testbed.entityId('holder'));
    assert.equal(first?.path, '/issuer/status');
    assert.equal(second?.subject, undefined);
  });

  it('rejects unknown marks and unservable statuses with a clear Error', () => {
    assert.throws(
      () => testbed.setTrustMarkStatus('holder', '{{url}}/marks/nothing', 'revoked'),
      /"holder" holds no trust mark of type/,
    );
    assert.throws(
      () => testbed.setTrustMarkStatus('holder', CERTIFIED, { http: 200 }),
      /status.http must be an integer from 400 to 599/,
    );
    assert.throws(
      // @ts-expect-error: a status value the spec does not define
      () => testbed.setTrustMarkStatus('holder', CERTIFIED, 'suspended'),
      /status must be active, expired, revoked, invalid/,
    );
    assert.throws(
      () => testbed.setTrustMarkStatus('holder', CERTIFIED, 'active', { delayMs: -1 }),
      /delayMs must be a non-negative number/,
    );
  });
});

describe('testbed trust marks are signed again when their inputs change', () => {
  it('rotating the issuer key re-signs the marks it issued in the holder configuration', async (t) => {
    const testbed = await start(t);
    const before = await testbed.trustMark('holder', CERTIFIED);
    const ownBefore = await testbed.trustMark('holder', SELF_SIGNED);
    await testbed.rotateKey('issuer');
    const issuerKeys = await publishedKeys(testbed, 'issuer');
    const after = markOfType(await configuration(testbed, 'holder'), served(testbed, CERTIFIED));
    assert.notEqual(after, before);
    assert.equal(decodeProtectedHeader(after).kid, issuerKeys.keys[0]?.kid);
    await verifyWith(after, issuerKeys);
    await assert.rejects(verifyWith(before, issuerKeys), 'the old mark no longer verifies');
    // The status response is signed with the new key as well.
    const status = await statusOf(await statusEndpointOf(testbed, 'issuer'), after);
    await verifyWith(status.jwt, issuerKeys);
    assert.equal(status.claims['status'], 'active');
    assert.notEqual(
      await testbed.trustMark('holder', SELF_SIGNED),
      ownBefore,
      'whole EC re-signed',
    );
  });

  it("rotating the owner key updates the anchor's trust_mark_owners and the delegation", async (t) => {
    const testbed = await start(t);
    const taBefore = await testbed.entityConfiguration('ta');
    const markBefore = await testbed.trustMark('holder', OWNED);
    await testbed.rotateKey('owner');
    const ta = await configuration(testbed, 'ta');
    const owners = object(ta['trust_mark_owners'], 'owners');
    const owner = object(getOwn(owners, served(testbed, OWNED)), 'owner entry');
    assert.deepEqual(getOwn(owner, 'jwks'), testbed.trustAnchor('owner').jwks);
    assert.notEqual(await testbed.entityConfiguration('ta'), taBefore);
    const mark = await testbed.trustMark('holder', OWNED);
    assert.notEqual(mark, markBefore);
    await verifyWith(String(decodeJwt(mark)['delegation']), jwkSet(getOwn(owner, 'jwks')));
  });

  it('leaves configurations that do not depend on the rotated key alone', async (t) => {
    const testbed = await start(t);
    const holder = await testbed.entityConfiguration('holder');
    await testbed.rotateKey('other');
    assert.equal(await testbed.entityConfiguration('holder'), holder);
  });

  it('re-signs a mark that lives shorter than its holder configuration before half its lifetime', async (t) => {
    let now = NOW;
    const topology: Topology = {
      entities: [
        { name: 'ta' },
        {
          name: 'holder',
          authorityHints: ['ta'],
          trustMarks: [{ type: CERTIFIED, issuer: 'ta', lifetimeSeconds: 600 }],
        },
      ],
    };
    const testbed = await start(t, topology, () => now);
    const first = decodeJwt(await testbed.trustMark('holder', CERTIFIED));
    assert.equal(first.exp, NOW + 600);
    now = NOW + 299;
    assert.equal(decodeJwt(await testbed.trustMark('holder', CERTIFIED)).iat, NOW);
    now = NOW + 300;
    const second = decodeJwt(await testbed.trustMark('holder', CERTIFIED));
    assert.equal(second.iat, NOW + 300);
    assert.equal(second.exp, NOW + 900);
  });
});

describe('testbed trust mark topology validation', () => {
  const base = markTopology();
  const withHolder = (change: Record<string, unknown>): Topology => ({
    ...base,
    entities: base.entities.map((entity) =>
      entity.name === 'holder' ? { ...entity, ...change } : entity,
    ),
  });
  const invalid: ReadonlyArray<readonly [string, Topology, RegExp]> = [
    [
      'an unknown issuer',
      withHolder({ trustMarks: [{ type: 't', issuer: 'nobody' }] }),
      /entity "holder", trust mark "t": issuer "nobody" is not an entity/,
    ],
    [
      'an unknown owner in delegatedBy',
      withHolder({ trustMarks: [{ type: 't', issuer: 'issuer', delegatedBy: 'nobody' }] }),
      /delegatedBy "nobody" is not an entity/,
    ],
    [
      'an unknown subject in faults.sub',
      withHolder({ trustMarks: [{ type: 't', issuer: 'issuer', faults: { sub: 'nobody' } }] }),
      /faults.sub "nobody" is not an entity/,
    ],
    [
      'a non-positive lifetime',
      withHolder({ trustMarks: [{ type: 't', issuer: 'issuer', lifetimeSeconds: 0 }] }),
      /lifetimeSeconds must be a positive integer or null/,
    ],
    [
      'an empty type',
      withHolder({ trustMarks: [{ type: '', issuer: 'issuer' }] }),
      /type must not be empty/,
    ],
    [
      'the same type held twice',
      withHolder({
        trustMarks: [
          { type: 't', issuer: 'issuer' },
          { type: 't', issuer: 'holder' },
        ],
      }),
      /trust mark "t": held twice/,
    ],
    [
      'a placeholder naming no entity in a type',
      withHolder({ trustMarks: [{ type: '{{entity:nobody}}/t', issuer: 'issuer' }] }),
      /placeholder \{\{entity:nobody\}\} names no entity/,
    ],
    [
      'an unservable initial status',
      withHolder({ trustMarks: [{ type: 't', issuer: 'issuer', status: { http: 99 } }] }),
      /status.http must be an integer from 400 to 599/,
    ],
    [
      'an unknown accredited issuer',
      withHolder({ trustMarkIssuers: { t: ['issuer', 'nobody'] } }),
      /trustMarkIssuers "t": issuer "nobody" is not an entity/,
    ],
    [
      'an unknown owner',
      withHolder({ trustMarkOwners: { t: 'nobody' } }),
      /trustMarkOwners "t": owner "nobody" is not an entity/,
    ],
    [
      'a placeholder naming no entity in an accredited type',
      withHolder({ trustMarkIssuers: { '{{entity:nobody}}': [] } }),
      /placeholder \{\{entity:nobody\}\} names no entity/,
    ],
  ];

  for (const [what, topology, message] of invalid) {
    it(`rejects ${what} with a clear Error`, () => {
      assert.throws(() => validateTopology(topology), message);
    });
  }

  it('accepts the trust mark topology and the sample federation', () => {
    validateTopology(markTopology());
    validateTopology(sampleFederation());
  });
});

describe('sampleFederation() trust marks', () => {
  let testbed: Testbed;
  const certified = (): string => served(testbed, '{{url}}/marks/certified');
  const sirtfi = (): string => served(testbed, '{{url}}/marks/sirtfi');

  before(async () => {
    testbed = await startTestbed(sampleFederation(), { now: () => NOW });
  });
  after(() => testbed.close());

  function resolve(path: readonly string[]) {
    return collectChain(testbed, path).then((jwts) =>
      resolveTrustChainJwts(jwts, testbed.trustAnchor('ta'), CORE_OPTIONS),
    );
  }

  it('still resolves every chain as before, and the issuer and owner chains too', async () => {
    for (const path of [
      ['op-university', 'university', 'ta'],
      ['op-research', 'research', 'ta'],
      ['op-research', 'university', 'ta'],
      ['rp-shop', 'ta'],
      ['rp-lab', 'research', 'ta'],
      ['certifier', 'ta'],
      ['accreditation-body', 'ta'],
    ]) {
      const chain = await resolve(path);
      assert.equal(chain.subject, testbed.entityId(path[0] ?? ''));
    }
    await assertRejects(resolve(['rp-broken', 'university', 'ta']), {
      code: 'invalid_trust_chain',
      reason: 'statement_expired',
      statementIndex: 1,
    });
  });

  it('lets ta accredit the certifier and name the owner of the Sirtfi type', async () => {
    const ta = await configuration(testbed, 'ta');
    assert.deepEqual(ta['trust_mark_issuers'], {
      [certified()]: [testbed.entityId('certifier')],
      [sirtfi()]: [testbed.entityId('certifier')],
    });
    assert.deepEqual(ta['trust_mark_owners'], {
      [sirtfi()]: {
        sub: testbed.entityId('accreditation-body'),
        jwks: testbed.trustAnchor('accreditation-body').jwks,
      },
    });
  });

  it('gives op-university a valid certified mark and a delegated Sirtfi mark, both active', async () => {
    const claims = await configuration(testbed, 'op-university');
    const certifierKeys = await publishedKeys(testbed, 'certifier');
    const endpoint = await statusEndpointOf(testbed, 'certifier');
    for (const type of [certified(), sirtfi()]) {
      const mark = markOfType(claims, type);
      const inner = decodeJwt(mark);
      assert.equal(inner.iss, testbed.entityId('certifier'));
      assert.equal(inner.sub, testbed.entityId('op-university'));
      assert.ok(typeof inner.exp === 'number' && inner.exp > NOW);
      await verifyWith(mark, certifierKeys);
      assert.equal((await statusOf(endpoint, mark)).claims['status'], 'active');
    }
    const delegation = String(decodeJwt(markOfType(claims, sirtfi()))['delegation']);
    assert.equal(decodeJwt(delegation).iss, testbed.entityId('accreditation-body'));
    assert.equal(decodeJwt(delegation).sub, testbed.entityId('certifier'));
    await verifyWith(delegation, testbed.trustAnchor('accreditation-body').jwks);
  });

  it('gives rp-shop a certified mark that has expired, and the certifier says so', async () => {
    const mark = markOfType(await configuration(testbed, 'rp-shop'), certified());
    const claims = decodeJwt(mark);
    assert.ok(typeof claims.exp === 'number' && claims.exp < NOW, 'expired');
    await verifyWith(mark, await publishedKeys(testbed, 'certifier'));
    const status = await statusOf(await statusEndpointOf(testbed, 'certifier'), mark);
    assert.equal(status.claims['status'], 'expired');
  });

  it('publishes no trust marks for the other entities', async () => {
    for (const name of ['university', 'research', 'op-research', 'rp-lab', 'rp-broken']) {
      assert.equal((await configuration(testbed, name))['trust_marks'], undefined, name);
    }
  });
});
