import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { calculateJwkThumbprint } from 'jose';
import { entityConfigurationUrl } from '../../../src/federation/entity-id.js';
import { resolveTrustChainJwts } from '../../../src/federation/trust-chain.js';
import { startTestbed, type Testbed } from '../../../src/testbed/federation-server.js';
import { assertRejects } from '../../support/assertions.js';
import { CORE_OPTIONS, NOW, collectChain, decode, getStatement, smallTopology } from './support.js';

/** A clock the test moves. */
function movableClock(): { now: () => number; set: (seconds: number) => void } {
  let current = NOW;
  return { now: () => current, set: (seconds) => (current = seconds) };
}

async function start(t: TestContext, now: () => number = () => NOW): Promise<Testbed> {
  const testbed = await startTestbed(smallTopology(), { now });
  t.after(() => testbed.close());
  return testbed;
}

describe('testbed keys', () => {
  it('gives each entity its own key, with the RFC 7638 thumbprint as kid (§1.1)', async (t) => {
    const testbed = await start(t);
    const kids = new Set<string>();
    for (const name of ['ta', 'int', 'leaf', 'rp']) {
      const [key, ...rest] = testbed.trustAnchor(name).jwks.keys;
      assert.ok(key !== undefined);
      assert.equal(rest.length, 0);
      const { kid, alg: _alg, use: _use, ...material } = key;
      assert.equal(kid, await calculateJwkThumbprint(material));
      kids.add(kid);
    }
    assert.equal(kids.size, 4);
  });

  it('signs with the algorithm the topology gives', async (t) => {
    const testbed = await startTestbed(
      {
        entities: [
          { name: 'ta', alg: 'RS256' },
          { name: 'op', alg: 'EdDSA', authorityHints: ['ta'] },
        ],
      },
      { now: () => NOW },
    );
    t.after(() => testbed.close());
    assert.equal(decode(await testbed.entityConfiguration('ta')).header.alg, 'RS256');
    assert.equal(decode(await testbed.entityConfiguration('op')).header.alg, 'EdDSA');
    const chain = await resolveTrustChainJwts(
      await collectChain(testbed, ['op', 'ta']),
      testbed.trustAnchor('ta'),
      CORE_OPTIONS,
    );
    assert.equal(chain.subject, testbed.entityId('op'));
  });
});

describe('testbed rotateKey()', () => {
  it('re-signs with a new key, so the anchor pinned before the rotation no longer matches', async (t) => {
    const testbed = await start(t);
    const pinned = testbed.trustAnchor('ta');
    const before = await testbed.entityConfiguration('ta');
    await testbed.rotateKey('ta');
    const after = decode(await getStatement(entityConfigurationUrl(testbed.entityId('ta'))));
    assert.notEqual(after.jwt, before);
    assert.equal(after.claims.jwks.keys.length, 1, 'the old key is gone');
    assert.notEqual(after.header.kid, pinned.jwks.keys[0]?.kid);
    const jwts = await collectChain(testbed, ['leaf', 'int', 'ta']);
    await assertRejects(resolveTrustChainJwts(jwts, pinned, CORE_OPTIONS), {
      code: 'invalid_trust_chain',
      reason: 'anchor_keys_mismatch',
    });
    await resolveTrustChainJwts(jwts, testbed.trustAnchor('ta'), CORE_OPTIONS);
  });

  it('with keepOld publishes new and old keys, and superiors attest both', async (t) => {
    const testbed = await start(t);
    const old = testbed.trustAnchor('int').jwks.keys[0];
    await testbed.rotateKey('int', { keepOld: true });
    const keys = testbed.trustAnchor('int').jwks.keys;
    assert.equal(keys.length, 2);
    assert.deepEqual(keys[1], old, 'the old key stays, after the new one');
    const jwts = await collectChain(testbed, ['leaf', 'int', 'ta']);
    const [, aboutLeaf, aboutInt] = jwts.map(decode);
    assert.equal(aboutLeaf?.header.kid, keys[0]?.kid, 'signed with the new key');
    assert.deepEqual(aboutInt?.claims.jwks, { keys }, "the anchor's statement carries both keys");
    await resolveTrustChainJwts(jwts, testbed.trustAnchor('ta'), CORE_OPTIONS);
  });

  it('updates the statements about the rotated entity too', async (t) => {
    const testbed = await start(t);
    await testbed.rotateKey('leaf');
    const about = decode(await testbed.subordinateStatement('int', 'leaf'));
    assert.deepEqual(about.claims.jwks, testbed.trustAnchor('leaf').jwks);
    await resolveTrustChainJwts(
      await collectChain(testbed, ['leaf', 'int', 'ta']),
      testbed.trustAnchor('ta'),
      CORE_OPTIONS,
    );
    await assert.rejects(testbed.rotateKey('nobody'), /no entity named "nobody"/);
  });
});

describe('testbed reissue() and statement refresh', () => {
  it('keeps serving the cached statement until reissue(), then signs with a fresh iat/exp', async (t) => {
    const clock = movableClock();
    const testbed = await start(t, clock.now);
    const url = entityConfigurationUrl(testbed.entityId('leaf'));
    const first = await getStatement(url);
    clock.set(NOW + 100);
    assert.equal(await getStatement(url), first, 'cached while young');
    testbed.reissue();
    const second = decode(await getStatement(url));
    assert.notEqual(second.jwt, first);
    assert.equal(second.claims.iat, NOW + 100);
    assert.equal(second.claims.exp, NOW + 100 + 86_400);
    const about = decode(await testbed.subordinateStatement('int', 'leaf'));
    assert.equal(about.claims.iat, NOW + 100, 'every statement is reissued');
  });

  it('re-signs a statement by itself once half of its lifetime has passed', async (t) => {
    const clock = movableClock();
    const testbed = await start(t, clock.now);
    const first = decode(await testbed.subordinateStatement('int', 'leaf'));
    assert.equal(first.claims.exp - first.claims.iat, 3600);
    clock.set(NOW + 1799);
    assert.equal(await testbed.subordinateStatement('int', 'leaf'), first.jwt);
    clock.set(NOW + 1800);
    const refreshed = decode(await testbed.subordinateStatement('int', 'leaf'));
    assert.equal(refreshed.claims.iat, NOW + 1800);
  });
});
