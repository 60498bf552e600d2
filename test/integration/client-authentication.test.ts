/**
 * Client authentication at the resolve endpoint (§8.8, §8.8.1: `private_key_jwt`, POST with the
 * parameters in the body) and RESOLVE_LIVE=authenticated (§18.1): live resolution only for
 * callers whose assertion is signed with a key of their own Entity Configuration, which resolves
 * under a configured Trust Anchor; cache-only answers for everyone else.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { generateSigningKey, signJwt } from '../../src/testbed/keys.js';
import { RESOLVER_ID, startHarness, type Harness } from '../support/service.js';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

describe('§8.8 private_key_jwt at POST /resolve, with RESOLVE_LIVE=authenticated', () => {
  let h: Harness;

  before(async () => {
    const op = (name: string) => ({
      name,
      authorityHints: ['ta'],
      metadata: { openid_provider: { issuer: '{{self}}' } },
    });
    h = await startHarness(
      {
        entities: [
          { name: 'ta' },
          { name: 'rp-client', authorityHints: ['ta'], metadata: { openid_relying_party: {} } },
          { name: 'outsider' },
          op('op-target'),
          op('op-second'),
          op('op-third'),
        ],
      },
      ['ta'],
      { RESOLVE_LIVE: 'authenticated' },
    );
  });
  after(() => h.close());

  /** Claims of a valid assertion by `client`, with `extra` over them. */
  function claims(client = 'rp-client', extra: Record<string, unknown> = {}) {
    const now = Math.floor(Date.now() / 1000);
    const id = h.testbed.entityId(client);
    return {
      iss: id,
      sub: id,
      aud: RESOLVER_ID,
      iat: now,
      exp: now + 60,
      jti: randomUUID(),
      ...extra,
    };
  }

  async function post(
    subject: string,
    assertion: string | undefined,
    options: { contentType?: string; assertionType?: string } = {},
  ) {
    const form = new URLSearchParams({
      sub: h.testbed.entityId(subject),
      trust_anchor: h.testbed.entityId('ta'),
    });
    if (assertion !== undefined) {
      form.set('client_assertion', assertion);
      form.set('client_assertion_type', options.assertionType ?? ASSERTION_TYPE);
    }
    const response = await fetch(`${h.resolver.url}/resolve`, {
      method: 'POST',
      headers: { 'content-type': options.contentType ?? 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    const text = await response.text();
    return { status: response.status, text, headers: response.headers };
  }

  it('publishes federation_resolve_endpoint_auth_methods and the accepted algorithms (§8.8.1)', async () => {
    const jwt = await (await fetch(`${h.resolver.url}/.well-known/openid-federation`)).text();
    const entity = (decodeJwt(jwt)['metadata'] as Record<string, Record<string, unknown>>)[
      'federation_entity'
    ];
    assert.deepEqual(entity?.['federation_resolve_endpoint_auth_methods'], [
      'none',
      'private_key_jwt',
    ]);
    assert.ok(
      (entity?.['endpoint_auth_signing_alg_values_supported'] as string[]).includes('ES256'),
    );
  });

  it('an unauthenticated caller is answered from cache only: unknown is 404 not_in_view, no upstream request', async () => {
    h.testbed.requests.reset();
    const response = await h.get('/resolve', h.query('op-target'));
    assert.equal(response.status, 404);
    assert.equal(((await response.json()) as { reason: string }).reason, 'not_in_view');
    assert.equal((await post('op-target', undefined)).status, 404, 'POST without assertion too');
    assert.equal(h.testbed.requests.total(), 0);
  });

  it('an authenticated caller resolves live; afterwards everyone is answered from the cache', async () => {
    const answer = await post('op-target', await h.testbed.signAs('rp-client', claims()));
    assert.equal(answer.status, 200, answer.text);
    assert.equal(decodeJwt(answer.text)['sub'], h.testbed.entityId('op-target'));
    h.testbed.requests.reset();
    assert.equal((await h.get('/resolve', h.query('op-target'))).status, 200);
    assert.equal(h.testbed.requests.total(), 0);
  });

  it('an assertion is accepted once (jti): a replay is 401 invalid_client with WWW-Authenticate', async () => {
    const assertion = await h.testbed.signAs('rp-client', claims());
    assert.equal((await post('op-second', assertion)).status, 200);
    const replay = await post('op-third', assertion);
    assert.equal(replay.status, 401);
    assert.equal(replay.headers.get('www-authenticate'), 'Bearer');
    const body = JSON.parse(replay.text) as Record<string, string>;
    assert.deepEqual(
      [body['error'], body['reason']],
      ['invalid_client', 'client_assertion_replayed'],
    );
  });

  it('refuses every assertion that is not exactly right, and resolves nothing for it', async () => {
    const now = Math.floor(Date.now() / 1000);
    const rogue = await generateSigningKey('ES256');
    const cases: Array<[string, Promise<string>]> = [
      [
        'another aud',
        h.testbed.signAs('rp-client', claims('rp-client', { aud: 'https://other.example' })),
      ],
      [
        'aud with a second value',
        h.testbed.signAs(
          'rp-client',
          claims('rp-client', { aud: [RESOLVER_ID, 'https://x.example'] }),
        ),
      ],
      ['expired', h.testbed.signAs('rp-client', claims('rp-client', { exp: now - 120 }))],
      [
        'living for a day',
        h.testbed.signAs('rp-client', claims('rp-client', { exp: now + 86_400 })),
      ],
      ['without exp', h.testbed.signAs('rp-client', claims('rp-client', { exp: undefined }))],
      ['without jti', h.testbed.signAs('rp-client', claims('rp-client', { jti: undefined }))],
      [
        'iss other than sub',
        h.testbed.signAs('rp-client', claims('rp-client', { sub: h.testbed.entityId('ta') })),
      ],
      [
        'issued in the future',
        h.testbed.signAs('rp-client', claims('rp-client', { iat: now + 3600 })),
      ],
      [
        'signed by a key the client does not publish',
        signJwt(claims(), { ...rogue, kid: 'whatever' }, { typ: undefined }),
      ],
      [
        'signed with the client’s kid by another key',
        (async () => {
          const [header = ''] = (await h.testbed.signAs('rp-client', claims())).split('.');
          const { kid } = JSON.parse(Buffer.from(header, 'base64url').toString()) as {
            kid: string;
          };
          return signJwt(claims(), { ...rogue, kid }, { typ: undefined });
        })(),
      ],
      ['by an entity outside the federation', h.testbed.signAs('outsider', claims('outsider'))],
      [
        'unsigned (alg none)',
        Promise.resolve(
          `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims())).toString('base64url')}.`,
        ),
      ],
      ['not a JWT', Promise.resolve('not-a-jwt')],
    ];
    h.testbed.requests.reset();
    for (const [what, assertion] of cases) {
      const answer = await post('op-third', await assertion);
      assert.equal(answer.status, 401, `${what}: ${answer.text}`);
      assert.equal((JSON.parse(answer.text) as { error: string }).error, 'invalid_client', what);
    }
    assert.equal(
      h.testbed.requests.count({ entity: 'op-third' }),
      0,
      'op-third was never resolved',
    );
  });

  it('a malformed request is 400 invalid_request', async () => {
    const assertion = await h.testbed.signAs('rp-client', claims());
    assert.equal(
      (await post('op-third', assertion, { contentType: 'application/json' })).status,
      400,
    );
    assert.equal((await post('op-third', assertion, { assertionType: 'urn:other' })).status, 400);
  });
});

describe('§8.8 POST /resolve with RESOLVE_LIVE=always', () => {
  it('resolves without an assertion, from the parameters in the body', async () => {
    const h = await startHarness(
      {
        entities: [
          { name: 'ta' },
          {
            name: 'op',
            authorityHints: ['ta'],
            metadata: { openid_provider: { issuer: '{{self}}' } },
          },
        ],
      },
      ['ta'],
    );
    try {
      const response = await fetch(`${h.resolver.url}/resolve`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          sub: h.testbed.entityId('op'),
          trust_anchor: h.testbed.entityId('ta'),
        }).toString(),
      });
      assert.equal(response.status, 200);
      assert.equal(decodeJwt(await response.text())['sub'], h.testbed.entityId('op'));
    } finally {
      await h.close();
    }
  });
});
