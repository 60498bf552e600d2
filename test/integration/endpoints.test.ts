/**
 * The resolver's other endpoints: its own Entity Configuration, the JSON API, discovery documents,
 * operations endpoints, signing keys and trust anchor reloads.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compactVerify, createLocalJWKSet, exportJWK, generateKeyPair } from 'jose';
import { peek, RESOLVER_ID, startHarness, type Harness } from '../support/service.js';
import { threeLevel } from '../support/topologies.js';

describe("the resolver's own Entity Configuration (§9, §8.3)", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness(threeLevel(), ['ta'], {
      RESOLVER_ORGANIZATION_NAME: 'Example Resolver',
      RESOLVER_AUTHORITY_HINTS: 'https://ta.example.org',
    });
  });
  after(() => h.close());

  it('is a self-signed entity-statement+jwt with federation_resolve_endpoint and the signing keys', async () => {
    const response = await h.get('/.well-known/openid-federation');
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/entity-statement+jwt');
    const jwt = await response.text();
    const { header, claims } = peek(jwt);
    assert.equal(header['typ'], 'entity-statement+jwt');
    assert.equal(typeof header['kid'], 'string');
    assert.equal(claims['iss'], RESOLVER_ID);
    assert.equal(claims['sub'], RESOLVER_ID);
    assert.ok(Number(claims['exp']) > Number(claims['iat']));
    const metadata = claims['metadata'] as { federation_entity: Record<string, unknown> };
    assert.equal(
      metadata.federation_entity['federation_resolve_endpoint'],
      `${RESOLVER_ID}/resolve`,
    );
    assert.equal(metadata.federation_entity['organization_name'], 'Example Resolver');
    // A resolver that is not an Intermediate or TA must not publish these (§5.1.1).
    assert.equal(metadata.federation_entity['federation_fetch_endpoint'], undefined);
    assert.equal(metadata.federation_entity['federation_list_endpoint'], undefined);
    assert.deepEqual(claims['authority_hints'], ['https://ta.example.org']);
    const jwks = claims['jwks'] as { keys: Array<Record<string, unknown>> };
    assert.ok(
      jwks.keys.every((key) => key['d'] === undefined),
      'no private key material is published',
    );
    await compactVerify(jwt, createLocalJWKSet(jwks as never));
  });
});

describe('JSON API, discovery and operations', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness(threeLevel(), ['ta']);
  });
  after(() => h.close());

  it("/api/v1/resolve answers the metadata with the chain's entity ids and expiry", async () => {
    const response = await h.get(
      '/api/v1/resolve',
      h.query('op', 'ta', { entity_type: 'openid_provider' }),
    );
    assert.equal(response.status, 200);
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(body['sub'], h.testbed.entityId('op'));
    assert.equal(body['trust_anchor'], h.testbed.entityId('ta'));
    assert.deepEqual(body['trust_chain'], [
      h.testbed.entityId('op'),
      h.testbed.entityId('inter'),
      h.testbed.entityId('ta'),
    ]);
    assert.equal(typeof body['exp'], 'number');
    assert.deepEqual(Object.keys(body['metadata'] as object), ['openid_provider']);
  });

  it('/api/v1/resolve answers errors in the §8.9 format with the statuses of /resolve', async () => {
    const response = await h.get('/api/v1/resolve', {
      sub: h.testbed.entityId('op'),
      trust_anchor: 'https://nowhere.example',
    });
    assert.equal(response.status, 404);
    assert.equal(((await response.json()) as { error: string }).error, 'invalid_trust_anchor');
  });

  it('/api/v1/explain tells which chain was chosen and why, and lists every fetch', async () => {
    const body = (await (
      await h.get('/api/v1/explain', {
        sub: h.testbed.entityId('op'),
        trust_anchor: ['https://nowhere.example', h.testbed.entityId('ta')],
      })
    ).json()) as {
      outcome: string;
      chosen: { trust_chain: string[]; why: string };
      trust_anchors: { not_configured: string[] };
      fetches: Array<{ url: string; status: number; cache_hit: boolean; duration_ms: number }>;
    };
    assert.equal(body.outcome, 'resolved');
    assert.equal(body.chosen.trust_chain.length, 3);
    assert.match(body.chosen.why, /shortest/);
    assert.deepEqual(body.trust_anchors.not_configured, ['https://nowhere.example']);
    assert.ok(body.fetches.length >= 5);
    assert.ok(
      body.fetches.every((fetch) => fetch.status === 200 && typeof fetch.cache_hit === 'boolean'),
    );
  });

  it('/discovery/openid-configuration serves the resolved openid_provider metadata', async () => {
    const response = await h.get('/discovery/openid-configuration', h.query('op'));
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    const document = (await response.json()) as Record<string, unknown>;
    assert.equal(document['issuer'], h.testbed.entityId('op'));
    assert.deepEqual(document['id_token_signing_alg_values_supported'], ['ES256']);
  });

  it('/discovery/oauth-authorization-server serves oauth_authorization_server metadata', async () => {
    const response = await h.get('/discovery/oauth-authorization-server', h.query('op'));
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { issuer: string }).issuer, h.testbed.entityId('op'));
  });

  it('a discovery document for a subject without that entity type is 404 not_found', async () => {
    const response = await h.get('/discovery/openid-configuration', h.query('rp'));
    assert.equal(response.status, 404);
    assert.equal(((await response.json()) as { error: string }).error, 'not_found');
  });

  it('/healthz and /readyz answer 200 when trust anchors are loaded', async () => {
    assert.equal((await h.get('/healthz')).status, 200);
    const ready = await h.get('/readyz');
    assert.equal(ready.status, 200);
    assert.equal(((await ready.json()) as { trust_anchors: number }).trust_anchors, 1);
  });

  it('/metrics exposes resolutions, upstream fetches and cache counters', async () => {
    await h.get('/resolve', h.query('op'));
    await h.get('/resolve', h.query('op'));
    const text = await (await h.get('/metrics')).text();
    assert.match(text, /resolver_resolutions_total\{outcome="resolved"\} [1-9]/);
    assert.match(text, /resolver_resolutions_total\{outcome="cached"\} [1-9]/);
    assert.match(text, /resolver_upstream_fetches_total\{result="200"\} [1-9]/);
    assert.match(text, /resolver_cache_hits_total\{cache="resolutions"\} [1-9]/);
    assert.match(text, /resolver_cache_entries\{cache="statements"\} [1-9]/);
    assert.match(text, /resolver_resolution_duration_seconds_bucket/);
  });

  it('§8.9: unknown paths get a JSON 404 and wrong methods a JSON 405, both invalid_request', async () => {
    const missing = await h.get('/nope');
    assert.equal(missing.status, 404);
    assert.match(missing.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(await missing.json(), {
      error: 'invalid_request',
      error_description: 'there is no endpoint at /nope',
      reason: 'endpoint_not_found',
    });
    const wrong = await fetch(`${h.resolver.url}/resolve`, { method: 'DELETE' });
    assert.equal(wrong.status, 405);
    assert.match(wrong.headers.get('content-type') ?? '', /^application\/json/);
    assert.match(wrong.headers.get('allow') ?? '', /GET/);
    const body = (await wrong.json()) as { error: string; error_description: string };
    assert.equal(body.error, 'invalid_request');
    assert.match(body.error_description, /does not serve DELETE/);
  });
});

describe('signing keys (RESOLVER_KEYS_FILE)', () => {
  it('publishes every key of the file and signs with the last one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'resolver-keys-'));
    try {
      const keys = [];
      for (const [kid, alg] of [
        ['old', 'ES256'],
        ['new', 'PS256'],
      ] as const) {
        const { privateKey } = await generateKeyPair(alg, { extractable: true });
        keys.push({ ...(await exportJWK(privateKey)), kid, alg });
      }
      const file = join(dir, 'keys.json');
      writeFileSync(file, JSON.stringify({ keys }));
      const h = await startHarness(threeLevel(), ['ta'], { RESOLVER_KEYS_FILE: file });
      try {
        const { claims } = peek(await (await h.get('/.well-known/openid-federation')).text());
        const published = (claims['jwks'] as { keys: Array<Record<string, unknown>> }).keys;
        assert.deepEqual(
          published.map((key) => key['kid']),
          ['old', 'new'],
        );
        assert.ok(published.every((key) => key['d'] === undefined && key['p'] === undefined));
        const { header } = peek(await (await h.get('/resolve', h.query('op'))).text());
        assert.deepEqual([header['kid'], header['alg']], ['new', 'PS256']);
      } finally {
        await h.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('trust anchor reload (SIGHUP)', () => {
  it('picks up a new anchor file, and keeps the previous set when the folder becomes invalid', async () => {
    const h = await startHarness(threeLevel(), []);
    try {
      assert.equal((await h.get('/readyz')).status, 503, 'not ready without anchors');
      assert.equal((await h.get('/resolve', h.query('op', 'ta'))).status, 404);
      writeFileSync(join(h.anchorsDir, 'ta.json'), h.testbed.trustAnchorFile('ta'));
      h.resolver.reloadTrustAnchors();
      assert.equal((await h.get('/readyz')).status, 200);
      assert.equal((await h.get('/resolve', h.query('op', 'ta'))).status, 200);
      writeFileSync(join(h.anchorsDir, 'broken.json'), '{ "entity_id": "not a url" }');
      h.resolver.reloadTrustAnchors();
      assert.equal(
        (await h.get('/resolve', h.query('op', 'ta'))).status,
        200,
        'the previous set stays in use',
      );
    } finally {
      await h.close();
    }
  });
});
