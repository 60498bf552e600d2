/**
 * /resolve against a real loopback federation (§8.3): chains of two and three levels, several
 * authority hints, several anchors, the error statuses, and the signed response itself.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import type { Topology } from '../../src/testbed/index.js';
import { peek, RESOLVER_ID, startHarness, type Harness } from '../support/service.js';
import { OP_METADATA, threeLevel } from '../support/topologies.js';

async function errorOf(
  response: Response,
): Promise<{ status: number; error: string; description: string }> {
  const body: unknown = await response.json();
  assert.ok(
    typeof body === 'object' && body !== null && 'error' in body && 'error_description' in body,
    'a §8.9 error body',
  );
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  return {
    status: response.status,
    error: String(body.error),
    description: String(body.error_description),
  };
}

async function resolveJwt(
  h: Harness,
  params: Record<string, string | readonly string[]>,
): Promise<string> {
  const response = await h.get('/resolve', params);
  const body = await response.text();
  assert.equal(response.status, 200, body);
  assert.equal(response.headers.get('content-type'), 'application/resolve-response+jwt');
  return body;
}

describe('§8.3 /resolve', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness(threeLevel(), ['ta']);
  });
  after(() => h.close());

  it('resolves a three-level chain and applies the superior metadata and the merged policy', async () => {
    const { claims } = peek(await resolveJwt(h, h.query('op')));
    const metadata = claims['metadata'] as Record<string, Record<string, unknown>>;
    assert.equal(metadata['openid_provider']?.['issuer'], h.testbed.entityId('op'));
    assert.equal(metadata['openid_provider']?.['display_name'], 'OP as the intermediate says');
    assert.deepEqual(metadata['openid_provider']?.['id_token_signing_alg_values_supported'], [
      'ES256',
    ]);
    assert.deepEqual(metadata['openid_provider']?.['contacts'], ['ops@ta.example']);
    // §3.1.3: the superior's metadata only touches Entity Types the subject has.
    assert.equal(metadata['openid_relying_party'], undefined);
    assert.equal((claims['trust_chain'] as string[]).length, 4);
  });

  it('resolves a two-level chain', async () => {
    const { claims } = peek(await resolveJwt(h, h.query('rp')));
    const metadata = claims['metadata'] as Record<string, Record<string, unknown>>;
    assert.equal(metadata['openid_relying_party']?.['scope'], 'openid email');
    assert.equal((claims['trust_chain'] as string[]).length, 3);
  });

  it("§8.3.2: the response verifies with the keys of the resolver's own Entity Configuration", async () => {
    const jwt = await resolveJwt(h, h.query('op'));
    const configuration = await (await h.get('/.well-known/openid-federation')).text();
    const { claims: ec } = peek(configuration);
    assert.equal(ec['iss'], RESOLVER_ID);
    const keys = createLocalJWKSet(ec['jwks'] as { keys: [] });
    const { payload, protectedHeader } = await jwtVerify(jwt, keys, {
      typ: 'resolve-response+jwt',
      issuer: RESOLVER_ID,
    });
    assert.equal(typeof protectedHeader.kid, 'string');
    assert.equal(payload.sub, h.testbed.entityId('op'));
    assert.equal(typeof payload.iat, 'number');
  });

  it('§8.3.2: exp is the smallest exp of the chain, and trust_chain runs from the subject EC to the anchor EC', async () => {
    const { claims } = peek(await resolveJwt(h, h.query('op')));
    const chain = (claims['trust_chain'] as string[]).map((jwt) => decodeJwt(jwt));
    assert.equal(claims['exp'], Math.min(...chain.map((statement) => Number(statement.exp))));
    assert.equal(chain[0]?.iss, h.testbed.entityId('op'));
    assert.equal(chain[0]?.sub, h.testbed.entityId('op'));
    assert.equal(chain.at(-1)?.iss, h.testbed.entityId('ta'));
    assert.equal(chain.at(-1)?.sub, h.testbed.entityId('ta'));
  });

  it('limits metadata to the requested entity_type values', async () => {
    const one = peek(
      await resolveJwt(h, h.query('op', 'ta', { entity_type: 'openid_provider' })),
    ).claims;
    assert.deepEqual(Object.keys(one['metadata'] as object), ['openid_provider']);
    const two = peek(
      await resolveJwt(
        h,
        h.query('op', 'ta', { entity_type: ['federation_entity', 'openid_provider'] }),
      ),
    ).claims;
    assert.deepEqual(Object.keys(two['metadata'] as object).sort(), [
      'federation_entity',
      'openid_provider',
    ]);
    const absent = peek(
      await resolveJwt(h, h.query('op', 'ta', { entity_type: 'openid_relying_party' })),
    ).claims;
    assert.deepEqual(absent['metadata'], {});
  });

  it('resolves a subject that is itself the Trust Anchor to a one-element chain', async () => {
    const { claims } = peek(await resolveJwt(h, h.query('ta')));
    assert.equal((claims['trust_chain'] as string[]).length, 1);
    assert.equal(claims['sub'], h.testbed.entityId('ta'));
  });

  it('ignores unknown parameters and accepts the legacy names anchor and type', async () => {
    const { claims } = peek(
      await resolveJwt(h, {
        sub: h.testbed.entityId('op'),
        anchor: h.testbed.entityId('ta'),
        type: 'openid_provider',
        foo: 'bar',
      }),
    );
    assert.deepEqual(Object.keys(claims['metadata'] as object), ['openid_provider']);
  });

  describe('errors (§8.9)', () => {
    it('400 invalid_request without sub, without trust_anchor, with a malformed or repeated sub', async () => {
      const ta = h.testbed.entityId('ta');
      for (const params of [
        { trust_anchor: ta },
        { sub: h.testbed.entityId('op') },
        { sub: 'not a url', trust_anchor: ta },
        { sub: `${h.testbed.entityId('op')}?x=1`, trust_anchor: ta },
        { sub: [h.testbed.entityId('op'), h.testbed.entityId('rp')], trust_anchor: ta },
        { sub: h.testbed.entityId('op'), trust_anchor: 'nope' },
      ]) {
        const failure = await errorOf(await h.get('/resolve', params));
        assert.equal(failure.status, 400, JSON.stringify(params));
        assert.equal(failure.error, 'invalid_request');
      }
    });

    it('404 invalid_trust_anchor when no requested anchor is configured', async () => {
      const failure = await errorOf(
        await h.get('/resolve', {
          sub: h.testbed.entityId('op'),
          trust_anchor: h.testbed.entityId('inter'),
        }),
      );
      assert.deepEqual([failure.status, failure.error], [404, 'invalid_trust_anchor']);
    });

    it('skips requested anchors that are not configured when another one is', async () => {
      const params = {
        sub: h.testbed.entityId('op'),
        trust_anchor: ['https://unknown-anchor.example', h.testbed.entityId('ta')],
      };
      assert.equal(peek(await resolveJwt(h, params)).claims['sub'], h.testbed.entityId('op'));
    });

    it('404 not_found for a subject whose Entity Configuration cannot be fetched', async () => {
      const failure = await errorOf(
        await h.get('/resolve', {
          sub: `${h.testbed.url}/nobody`,
          trust_anchor: h.testbed.entityId('ta'),
        }),
      );
      assert.deepEqual([failure.status, failure.error], [404, 'not_found']);
    });

    it('404 not_found when the subject answers its configuration URL with a client error status; §10.5: 503 with Retry-After when it answers 5xx or 429, or times out', async () => {
      const local = await startHarness(threeLevel(), ['ta'], {
        FETCH_TIMEOUT_MS: '200',
        NEGATIVE_CACHE_TTL_SECONDS: '0',
      });
      try {
        for (const status of [403, 404, 410]) {
          local.testbed.setFaults({ entity: 'op' }, { status });
          const failure = await errorOf(await local.get('/resolve', local.query('op')));
          assert.deepEqual(
            [failure.status, failure.error],
            [404, 'not_found'],
            `upstream ${status}`,
          );
        }
        for (const status of [500, 503, 429]) {
          local.testbed.setFaults({ entity: 'op' }, { status });
          const response = await local.get('/resolve', local.query('op'));
          assert.ok(response.headers.get('retry-after') !== null, `Retry-After for ${status}`);
          const failure = await errorOf(response);
          assert.deepEqual(
            [failure.status, failure.error],
            [503, 'temporarily_unavailable'],
            `upstream ${status}`,
          );
        }
        local.testbed.setFaults({ entity: 'op' }, { delayMs: 1000 });
        const slow = await errorOf(await local.get('/resolve', local.query('op')));
        assert.deepEqual([slow.status, slow.error], [503, 'temporarily_unavailable']);
      } finally {
        await local.close();
      }
    });

    it('400 invalid_metadata when the chain is valid but its policy rejects the metadata', async () => {
      const topology: Topology = {
        entities: [{ name: 'ta' }, { name: 'op', authorityHints: ['ta'], metadata: OP_METADATA }],
        subordinates: [
          {
            issuer: 'ta',
            subject: 'op',
            metadata_policy: { openid_provider: { display_name: { one_of: ['Something else'] } } },
          },
        ],
      };
      const local = await startHarness(topology, ['ta']);
      try {
        const failure = await errorOf(await local.get('/resolve', local.query('op')));
        assert.deepEqual([failure.status, failure.error], [400, 'invalid_metadata']);
      } finally {
        await local.close();
      }
    });
  });
});

describe('several authority hints and several anchors', () => {
  // op has two superiors: `broken` (whose statement about op will fail) and `inter`; `ta2` is a
  // second anchor directly above `inter2`.
  const topology: Topology = {
    entities: [
      { name: 'ta' },
      { name: 'ta2' },
      { name: 'inter', authorityHints: ['ta'] },
      { name: 'broken', authorityHints: ['ta'] },
      { name: 'op', authorityHints: ['broken', 'inter', 'ta2'], metadata: OP_METADATA },
    ],
    subordinates: [{ issuer: 'broken', subject: 'op', faults: { status: 500 } }],
  };
  let h: Harness;
  before(async () => {
    h = await startHarness(topology, ['ta', 'ta2']);
  });
  after(() => h.close());

  it('resolves through the working branch when another branch is broken', async () => {
    const { claims } = peek(await resolveJwt(h, h.query('op', 'ta')));
    const chain = (claims['trust_chain'] as string[]).map((jwt) => decodeJwt(jwt));
    assert.equal(chain[1]?.iss, h.testbed.entityId('inter'));
  });

  it('lists the broken branch with its reason in /api/v1/explain', async () => {
    const response = await h.get('/api/v1/explain', h.query('op', 'ta'));
    assert.equal(response.status, 200);
    const explain = (await response.json()) as {
      outcome: string;
      branches: Array<{
        path: string[];
        status: string;
        failure?: { reason: string; status?: number };
      }>;
    };
    assert.equal(explain.outcome, 'resolved');
    const broken = explain.branches.find((branch) =>
      branch.path.includes(h.testbed.entityId('broken')),
    );
    assert.equal(broken?.status, 'incomplete');
    assert.equal(broken?.failure?.reason, 'upstream_status');
    assert.equal(broken?.failure?.status, 500);
    assert.ok(explain.branches.some((branch) => branch.status === 'valid'));
  });

  it('uses any of several requested anchors and prefers the shortest chain', async () => {
    const { claims } = peek(await resolveJwt(h, h.query('op', ['ta', 'ta2'])));
    const chain = (claims['trust_chain'] as string[]).map((jwt) => decodeJwt(jwt));
    assert.equal(chain.length, 3);
    assert.equal(chain.at(-1)?.iss, h.testbed.entityId('ta2'));
  });

  it('resolves to the second anchor alone', async () => {
    const { claims } = peek(await resolveJwt(h, h.query('op', 'ta2')));
    assert.equal(
      decodeJwt((claims['trust_chain'] as string[]).at(-1) ?? '').iss,
      h.testbed.entityId('ta2'),
    );
  });
});

describe('loops and dead ends', () => {
  const topology: Topology = {
    entities: [
      { name: 'ta' },
      { name: 'a', authorityHints: ['b'] },
      { name: 'b', authorityHints: ['a'] },
      { name: 'leaf', authorityHints: ['a'], metadata: OP_METADATA },
    ],
  };
  let h: Harness;
  before(async () => {
    h = await startHarness(topology, ['ta']);
  });
  after(() => h.close());

  it('§10.1: never follows a hint that closes a loop, and reports loop_detected', async () => {
    const failure = await errorOf(await h.get('/resolve', h.query('leaf')));
    assert.deepEqual([failure.status, failure.error], [400, 'invalid_trust_chain']);
    const explain = (await (await h.get('/api/v1/explain', h.query('leaf'))).json()) as {
      branches: Array<{ failure?: { reason: string } }>;
    };
    assert.ok(explain.branches.some((branch) => branch.failure?.reason === 'loop_detected'));
    // Each statement of the loop was fetched once, across both resolutions (the second one from cache).
    const paths = h.testbed.requests.entries().map((entry) => entry.path);
    assert.ok(paths.length >= 4);
    assert.equal(new Set(paths).size, paths.length);
  });
});

describe('a diamond: two paths through one shared intermediate', () => {
  const topology: Topology = {
    entities: [
      { name: 'ta' },
      { name: 'c', authorityHints: ['ta'] },
      { name: 'a', authorityHints: ['c'] },
      { name: 'b', authorityHints: ['c'] },
      { name: 'leaf', authorityHints: ['b', 'a'], metadata: OP_METADATA },
    ],
  };
  let h: Harness;
  before(async () => {
    h = await startHarness(topology, ['ta']);
  });
  after(() => h.close());

  it('fetches the shared statements once and chooses the lexically smallest of two equal paths', async () => {
    const explain = (await (await h.get('/api/v1/explain', h.query('leaf'))).json()) as {
      chosen: { trust_chain: string[] };
      branches: Array<{ path: string[]; status: string }>;
    };
    const id = (name: string) => h.testbed.entityId(name);
    assert.deepEqual(explain.chosen.trust_chain, [id('leaf'), id('a'), id('c'), id('ta')]);
    assert.deepEqual(
      explain.branches.map((branch) => branch.status).sort(),
      ['valid', 'valid'],
      'explain validates every candidate',
    );
    const paths = h.testbed.requests.entries().map((entry) => entry.path);
    assert.equal(new Set(paths).size, paths.length, 'no statement fetched twice');
    assert.equal(h.testbed.requests.count({ entity: 'c', kind: 'configuration' }), 1);
    assert.equal(h.testbed.requests.count({ entity: 'ta', kind: 'fetch' }), 1);
  });
});
