import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { MEDIA_TYPES } from '../../../src/federation/constants.js';
import { entityConfigurationUrl } from '../../../src/federation/entity-id.js';
import { decodeEntityStatement } from '../../../src/federation/entity-statement.js';
import { resolveTrustChainJwts } from '../../../src/federation/trust-chain.js';
import { startTestbed, type Testbed } from '../../../src/testbed/federation-server.js';
import {
  PADDING_CLAIM,
  TIME_FAULT_OFFSET_SECONDS,
} from '../../../src/testbed/statement-builder.js';
import type { StatementFaults, Topology } from '../../../src/testbed/topology.js';
import { assertFails, assertRejects } from '../../support/assertions.js';
import {
  CORE_OPTIONS,
  NOW,
  collectChain,
  decode,
  errorBody,
  get,
  getStatement,
  smallTopology,
} from './support.js';

async function start(t: TestContext, topology: Topology = smallTopology()): Promise<Testbed> {
  const testbed = await startTestbed(topology, { now: () => NOW });
  t.after(() => testbed.close());
  return testbed;
}

function leafChain(testbed: Testbed): Promise<string[]> {
  return collectChain(testbed, ['leaf', 'int', 'ta']);
}

function resolve(testbed: Testbed, jwts: readonly string[]) {
  return resolveTrustChainJwts(jwts, testbed.trustAnchor('ta'), CORE_OPTIONS);
}

function fetchUrl(testbed: Testbed, issuer: string, subject: string): string {
  return `${testbed.url}/${issuer}/fetch?sub=${encodeURIComponent(testbed.entityId(subject))}`;
}

describe('testbed statement faults', () => {
  it('expired: the statement ended an hour ago and the chain fails with statement_expired', async (t) => {
    const testbed = await start(t);
    testbed.setFaults({ issuer: 'int', subject: 'leaf' }, { expired: true });
    const jwts = await leafChain(testbed);
    const statement = decode(jwts[1] ?? '');
    assert.equal(statement.claims.exp, NOW - TIME_FAULT_OFFSET_SECONDS);
    assert.equal(statement.claims.exp - statement.claims.iat, 3600, 'lifetime kept');
    await assertRejects(resolve(testbed, jwts), {
      code: 'invalid_trust_chain',
      reason: 'statement_expired',
      statementIndex: 1,
    });
  });

  it('notYetValid: iat lies in the future and the chain fails with statement_not_yet_valid', async (t) => {
    const testbed = await start(t);
    testbed.setFaults({ entity: 'leaf' }, { notYetValid: true });
    const jwts = await leafChain(testbed);
    assert.equal(decode(jwts[0] ?? '').claims.iat, NOW + TIME_FAULT_OFFSET_SECONDS);
    await assertRejects(resolve(testbed, jwts), {
      code: 'invalid_trust_chain',
      reason: 'statement_not_yet_valid',
      statementIndex: 0,
    });
  });

  it('wrongKey: signed by an unattested key under the real kid, failing with signature_invalid', async (t) => {
    const testbed = await start(t);
    testbed.setFaults({ issuer: 'ta', subject: 'int' }, { wrongKey: true });
    const jwts = await leafChain(testbed);
    const statement = decode(jwts[2] ?? '');
    assert.equal(statement.header.kid, testbed.trustAnchor('ta').jwks.keys[0]?.kid);
    await assertRejects(resolve(testbed, jwts), {
      code: 'invalid_trust_chain',
      reason: 'signature_invalid',
      statementIndex: 2,
    });
  });

  it('unknownKid: signed under a kid nobody publishes, failing with kid_unknown', async (t) => {
    const testbed = await start(t);
    testbed.setFaults({ issuer: 'int', subject: 'leaf' }, { unknownKid: true });
    const jwts = await leafChain(testbed);
    const kids = testbed.trustAnchor('int').jwks.keys.map((key) => key.kid);
    assert.ok(!kids.includes(decode(jwts[1] ?? '').header.kid));
    await assertRejects(resolve(testbed, jwts), {
      code: 'invalid_trust_chain',
      reason: 'kid_unknown',
      statementIndex: 1,
    });
  });

  it('typ: a wrong or a missing typ header fails with typ_invalid', async (t) => {
    const testbed = await start(t);
    for (const typ of ['JWT', null]) {
      testbed.setFaults({ entity: 'leaf' }, { typ });
      const jwt = await getStatement(entityConfigurationUrl(testbed.entityId('leaf')));
      const header: unknown = JSON.parse(
        Buffer.from(jwt.split('.')[0] ?? '', 'base64url').toString(),
      );
      assert.deepEqual(
        Object.prototype.hasOwnProperty.call(header, 'typ'),
        typ !== null,
        `typ ${String(typ)}`,
      );
      await assertRejects(resolve(testbed, await leafChain(testbed)), {
        code: 'invalid_trust_chain',
        reason: 'typ_invalid',
        statementIndex: 0,
      });
    }
  });

  it('status: answers with that status and a §8.9 JSON error body', async (t) => {
    const testbed = await start(t);
    const cases = [
      [503, 'temporarily_unavailable'],
      [500, 'server_error'],
      [404, 'not_found'],
      [400, 'invalid_request'],
      [401, 'invalid_client'],
    ] as const;
    for (const [status, error] of cases) {
      testbed.setFaults({ issuer: 'ta', subject: 'int' }, { status });
      const response = await get(fetchUrl(testbed, 'ta', 'int'));
      assert.equal(response.status, status);
      assert.equal(errorBody(response).error, error);
    }
  });

  it('lifetimeSeconds: only that statement lives shorter, and the chain still validates', async (t) => {
    const testbed = await start(t);
    testbed.setFaults({ issuer: 'int', subject: 'leaf' }, { lifetimeSeconds: 600 });
    const jwts = await leafChain(testbed);
    const statement = decode(jwts[1] ?? '');
    assert.equal(statement.claims.iat, NOW);
    assert.equal(statement.claims.exp, NOW + 600);
    assert.ok(decode(jwts[0] ?? '').claims.exp > NOW + 600, 'the others keep their lifetime');
    const chain = await resolve(testbed, jwts);
    assert.equal(chain.exp, NOW + 600, 'the chain expires with it');
    assert.throws(
      () => testbed.setFaults({ entity: 'ta' }, { lifetimeSeconds: 0 }),
      /faults\.lifetimeSeconds must be a positive integer/,
    );
  });

  it('noAnswer: the connection closes without a response', async (t) => {
    const testbed = await start(t);
    testbed.setFaults({ entity: 'int' }, { noAnswer: true });
    await assert.rejects(get(entityConfigurationUrl(testbed.entityId('int'))), TypeError);
    testbed.setFaults({ entity: 'int' }, undefined);
    assert.equal((await get(entityConfigurationUrl(testbed.entityId('int')))).status, 200);
  });

  it('delayMs: the response comes measurably later', async (t) => {
    const testbed = await start(t);
    const url = entityConfigurationUrl(testbed.entityId('ta'));
    testbed.setFaults({ entity: 'ta' }, { delayMs: 250 });
    const started = performance.now();
    await getStatement(url);
    assert.ok(performance.now() - started >= 240, 'delayed by about 250 ms');
  });

  it('oversizedBytes: pads the statement inside the signed payload to at least that size', async (t) => {
    const testbed = await start(t);
    const size = 300_000;
    testbed.setFaults({ issuer: 'int', subject: 'leaf' }, { oversizedBytes: size });
    const response = await get(fetchUrl(testbed, 'int', 'leaf'));
    assert.equal(response.status, 200);
    assert.ok(Buffer.byteLength(response.body) >= size);
    assert.ok(Buffer.byteLength(response.body) < size + 1000, 'not much more than asked');
    assert.equal(response.headers.get('content-length'), String(Buffer.byteLength(response.body)));
    // Over the core's statement limit...
    assertFails(() => decodeEntityStatement(response.body, { allowHttp: true }), {
      code: 'invalid_trust_chain',
      reason: 'statement_too_large',
    });
    // ...but otherwise a valid, verifiable statement: only the size is wrong.
    const large = { ...CORE_OPTIONS, maxStatementLength: 1_000_000 };
    const jwts = await leafChain(testbed);
    const chain = await resolveTrustChainJwts(jwts, testbed.trustAnchor('ta'), large);
    assert.equal(typeof chain.statements[1]?.claims[PADDING_CLAIM], 'string');
  });

  it('redirectTo: answers 302 (or the given 3xx) with that Location', async (t) => {
    const testbed = await start(t);
    const target = `${testbed.url}/elsewhere`;
    testbed.setFaults({ issuer: 'ta', subject: 'int' }, { redirectTo: target });
    const response = await get(fetchUrl(testbed, 'ta', 'int'));
    assert.equal(response.status, 302);
    assert.equal(response.headers.get('location'), target);
    testbed.setFaults({ entity: 'ta' }, { redirectTo: target, status: 307 });
    const moved = await get(entityConfigurationUrl(testbed.entityId('ta')));
    assert.equal(moved.status, 307);
    assert.equal(moved.headers.get('location'), target);
  });

  it('contentType: sends the given Content-Type, or none for the empty string', async (t) => {
    const testbed = await start(t);
    const url = entityConfigurationUrl(testbed.entityId('ta'));
    testbed.setFaults({ entity: 'ta' }, { contentType: 'text/html' });
    const wrong = await get(url);
    assert.equal(wrong.status, 200);
    assert.equal(wrong.contentType, 'text/html');
    assert.equal(wrong.body, await testbed.entityConfiguration('ta'), 'the body is unchanged');
    testbed.setFaults({ entity: 'ta' }, { contentType: '' });
    assert.equal((await get(url)).contentType, null);
  });

  it('body: serves exactly the given body, with the given status if any', async (t) => {
    const testbed = await start(t);
    const url = entityConfigurationUrl(testbed.entityId('leaf'));
    testbed.setFaults({ entity: 'leaf' }, { body: 'not.a.jwt\n' });
    const response = await get(url);
    assert.equal(response.status, 200);
    assert.equal(response.body, 'not.a.jwt\n');
    assert.equal(response.contentType, MEDIA_TYPES.entityStatement);
    testbed.setFaults(
      { entity: 'leaf' },
      { body: '<html>down</html>', status: 502, contentType: 'text/html' },
    );
    const down = await get(url);
    assert.equal(down.status, 502);
    assert.equal(down.body, '<html>down</html>');
    assert.equal(down.contentType, 'text/html');
  });

  it('claims: merges claims over the generated ones and removes those set to undefined', async (t) => {
    const testbed = await start(t);
    testbed.setFaults(
      { entity: 'leaf' },
      { claims: { authority_hints: undefined, extra_claim: '{{entity:ta}}', exp: NOW + 10 } },
    );
    const statement = decode(await getStatement(entityConfigurationUrl(testbed.entityId('leaf'))));
    assert.equal(statement.claims.authority_hints, undefined);
    assert.equal(statement.claims['extra_claim'], testbed.entityId('ta'));
    assert.equal(statement.claims.exp, NOW + 10);
    // The superior's statement now names an issuer the leaf does not list (§3.2 step 6).
    await assertRejects(resolve(testbed, await leafChain(testbed)), {
      code: 'invalid_trust_chain',
      reason: 'issuer_not_in_authority_hints',
    });
  });

  it('faults written in the topology apply from the start, for configurations and statements', async (t) => {
    const topology = smallTopology();
    const faulty: Topology = {
      entities: topology.entities.map((entity) =>
        entity.name === 'rp' ? { ...entity, faults: { status: 503 } } : entity,
      ),
      subordinates: [
        ...(topology.subordinates ?? []),
        { issuer: 'int', subject: 'leaf', faults: { expired: true } },
      ],
    };
    const testbed = await start(t, faulty);
    assert.equal((await get(entityConfigurationUrl(testbed.entityId('rp')))).status, 503);
    await assertRejects(resolve(testbed, await leafChain(testbed)), {
      code: 'invalid_trust_chain',
      reason: 'statement_expired',
      statementIndex: 1,
    });
  });
});

describe('testbed setFaults() at run time', () => {
  it('takes effect on the next request and undefined restores the valid statement', async (t) => {
    const testbed = await start(t);
    const valid = await leafChain(testbed);
    await resolve(testbed, valid);

    const faults: StatementFaults = { wrongKey: true };
    testbed.setFaults({ issuer: 'int', subject: 'leaf' }, faults);
    const broken = await leafChain(testbed);
    assert.notEqual(broken[1], valid[1]);
    await assertRejects(resolve(testbed, broken), {
      code: 'invalid_trust_chain',
      reason: 'signature_invalid',
    });

    testbed.setFaults({ issuer: 'int', subject: 'leaf' }, undefined);
    await resolve(testbed, await leafChain(testbed));
  });

  it('replaces rather than merges the faults of a target', async (t) => {
    const testbed = await start(t);
    const url = entityConfigurationUrl(testbed.entityId('ta'));
    testbed.setFaults({ entity: 'ta' }, { status: 500 });
    assert.equal((await get(url)).status, 500);
    testbed.setFaults({ entity: 'ta' }, { contentType: 'text/plain' });
    const response = await get(url);
    assert.equal(response.status, 200);
    assert.equal(response.contentType, 'text/plain');
  });

  it('rejects unknown targets and unservable faults with a clear Error', async (t) => {
    const testbed = await start(t);
    assert.throws(
      () => testbed.setFaults({ entity: 'nobody' }, { expired: true }),
      /no entity named "nobody"/,
    );
    assert.throws(
      () => testbed.setFaults({ issuer: 'ta', subject: 'leaf' }, { expired: true }),
      /"ta" is not an authority hint of "leaf"/,
    );
    assert.throws(() => testbed.setFaults({ entity: 'ta' }, { status: 99 }), /faults\.status/);
    assert.throws(() => testbed.setFaults({ entity: 'ta' }, { delayMs: -1 }), /faults\.delayMs/);
  });
});

describe('testbed latency', () => {
  it('adds the configured latency to every response and can be changed', async (t) => {
    const testbed = await startTestbed(smallTopology(), { now: () => NOW, latencyMs: 150 });
    t.after(() => testbed.close());
    const url = entityConfigurationUrl(testbed.entityId('ta'));
    let started = performance.now();
    await getStatement(url);
    assert.ok(performance.now() - started >= 140, 'initial latency applied');
    testbed.setLatency(300);
    started = performance.now();
    await getStatement(url);
    assert.ok(performance.now() - started >= 290, 'new latency applied');
    assert.throws(() => testbed.setLatency(-5), /latency/);
  });
});
