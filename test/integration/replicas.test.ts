/**
 * Several replicas, one cache: two real service processes on one real Redis, in front of a
 * testbed federation. What one replica resolved, the other serves without an upstream request;
 * concurrent cold requests on both fetch each statement once; a purge on one reaches the other;
 * forged or corrupted Redis entries are never served; a Redis that dies costs nothing but the
 * sharing, which resumes when it is back.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { Redis } from 'ioredis';
import { generateSigningKey, signJwt } from '../../src/testbed/keys.js';
import { startTestbed, type Testbed, type Topology } from '../../src/testbed/index.js';
import { startResolverProcess, type ResolverProcess } from '../support/resolver-process.js';
import { freePort, startRedis, testRedis, type RedisServer } from '../support/redis.js';
import { startHarness, startTestResolver } from '../support/service.js';

const ADMIN_TOKEN = 'admin-secret-for-tests';
const MARK = '{{url}}/marks/member';

function federation(): Topology {
  const op = (name: string, hints: readonly string[]) => ({
    name,
    authorityHints: hints,
    metadata: { openid_provider: { issuer: '{{self}}' } },
  });
  return {
    entities: [
      { name: 'ta', trustMarkIssuers: { [MARK]: ['ta'] } },
      { name: 'ia', authorityHints: ['ta'] },
      {
        ...op('op-revoked', ['ta']),
        // Without exp, so its issuer's status endpoint is asked (TRUST_MARK_STATUS_CHECK).
        trustMarks: [{ type: MARK, issuer: 'ta', lifetimeSeconds: null, status: 'revoked' }],
      },
      op('op-a', ['ia']),
      op('op-b', ['ia']),
      op('op-c', ['ta']),
      op('op-d', ['ta']),
      op('op-forged', ['ia']),
      op('op-corrupt', ['ta']),
      op('op-other', ['ta']),
      op('op-stmt', ['ia']),
      op('op-late', ['ta']),
    ],
  };
}

/** Two replicas of one deployment (one key prefix) on `redisUrl`. */
async function replicas(
  testbed: Testbed,
  redisUrl: string,
  prefix: string,
  env: Record<string, string> = {},
): Promise<[ResolverProcess, ResolverProcess]> {
  const anchors = [testbed.trustAnchor('ta')];
  const settings = {
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: prefix,
    ADMIN_TOKEN,
    CLIENT_COLD_RATE: '0',
    CIRCUIT_BREAKER_FAILURES: '0',
    ...env,
  };
  const a = await startResolverProcess(anchors, settings);
  const b = await startResolverProcess(anchors, settings).catch(async (error: unknown) => {
    await a.close();
    throw error;
  });
  return [a, b];
}

function resolveUrl(
  replica: ResolverProcess,
  testbed: Testbed,
  subject: string,
  path = '/resolve',
) {
  const query = new URLSearchParams({
    sub: testbed.entityId(subject),
    trust_anchor: testbed.entityId('ta'),
  });
  return `${replica.url}${path}?${query.toString()}`;
}

async function resolve(replica: ResolverProcess, testbed: Testbed, subject: string) {
  const response = await fetch(resolveUrl(replica, testbed, subject));
  const body = await response.text();
  return { status: response.status, body };
}

async function metric(replica: ResolverProcess, name: string): Promise<number> {
  const text = await (await fetch(`${replica.url}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(name))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

/** An Entity Statement signed by `key`, valid for an hour from now. */
function forge(
  iss: string,
  sub: string,
  key: Awaited<ReturnType<typeof generateSigningKey>>,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return signJwt(
    { iss, sub, iat: now, exp: now + 3600, jwks: { keys: [key.publicJwk] }, ...extra },
    key,
  );
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('replicas sharing one Redis', () => {
  let testbed: Testbed;
  let redis: Awaited<ReturnType<typeof testRedis>>;
  let a: ResolverProcess;
  let b: ResolverProcess;
  let client: Redis;

  before(async () => {
    testbed = await startTestbed(federation());
    redis = await testRedis();
    [a, b] = await replicas(testbed, redis.url, redis.prefix);
    client = new Redis(redis.url);
  });
  after(async () => {
    client.disconnect();
    await Promise.all([a?.close(), b?.close()]);
    await testbed.close();
    await redis.stop();
  });

  it('/readyz says redis is up', async () => {
    const body = (await (await fetch(`${a.url}/readyz`)).json()) as { redis: string };
    assert.equal(body.redis, 'up');
  });

  it('a resolution on replica A makes replica B answer the same query with zero upstream requests', async () => {
    testbed.requests.reset();
    const first = await resolve(a, testbed, 'op-a');
    assert.equal(first.status, 200, first.body);
    assert.ok(testbed.requests.total() > 0);
    testbed.requests.reset();
    const second = await resolve(b, testbed, 'op-a');
    assert.equal(second.status, 200, second.body);
    assert.equal(testbed.requests.total(), 0, 'B re-validated A’s chain without any request');
    // Each replica signs its own response over the same chain.
    assert.deepEqual(decodeJwt(second.body)['trust_chain'], decodeJwt(first.body)['trust_chain']);
  });

  it('2 replicas × 50 concurrent cold requests for one subject fetch each statement once in total', async () => {
    testbed.requests.reset();
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => resolve(i % 2 === 0 ? a : b, testbed, 'op-b')),
    );
    assert.deepEqual(
      [...new Set(answers.map((answer) => answer.status))],
      [200],
      answers.find((answer) => answer.status !== 200)?.body,
    );
    const perPath = new Map<string, number>();
    for (const entry of testbed.requests.entries()) {
      perPath.set(entry.path, (perPath.get(entry.path) ?? 0) + 1);
    }
    assert.ok(perPath.size > 0);
    for (const [path, count] of perPath) assert.equal(count, 1, `${path} fetched ${count} times`);
  });

  it('a purge on A makes B fetch that entity again on its next request, and only that entity', async () => {
    for (const subject of ['op-c', 'op-d']) {
      assert.equal((await resolve(a, testbed, subject)).status, 200);
      assert.equal((await resolve(b, testbed, subject)).status, 200);
    }
    testbed.requests.reset();
    const purge = await fetch(`${a.url}/admin/cache/purge`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sub: testbed.entityId('op-c') }),
    });
    assert.equal(purge.status, 200);
    const { purged } = (await purge.json()) as { purged: number };
    assert.ok(purged > 0, `purged ${purged}`);
    // The announcement reaches B within one second.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal((await resolve(b, testbed, 'op-d')).status, 200);
    assert.equal(testbed.requests.total(), 0, 'op-d is still shared and cached');
    assert.equal((await resolve(b, testbed, 'op-c')).status, 200);
    assert.ok(
      testbed.requests.count({ entity: 'op-c', kind: 'configuration' }) >= 1,
      'B fetched op-c again',
    );
    assert.equal(testbed.requests.count({ entity: 'op-d' }), 0);
  });

  it('the admin API: 401 with WWW-Authenticate: Bearer for a missing or wrong token; a form body works; no sub purges everything', async () => {
    for (const authorization of [undefined, 'Bearer wrong', `Basic ${ADMIN_TOKEN}`]) {
      const response = await fetch(`${a.url}/admin/cache/purge`, {
        method: 'POST',
        headers: authorization === undefined ? {} : { authorization },
      });
      assert.equal(response.status, 401);
      assert.equal(response.headers.get('www-authenticate'), 'Bearer');
      assert.equal(((await response.json()) as { error: string }).error, 'invalid_client');
    }
    const bad = await fetch(`${a.url}/admin/cache/purge`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sub: 'not an entity' }),
    });
    assert.equal(bad.status, 400);
    const form = await fetch(`${a.url}/admin/cache/purge`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ sub: testbed.entityId('op-d') }).toString(),
    });
    assert.equal(form.status, 200);
    assert.equal(typeof ((await form.json()) as { purged: number }).purged, 'number');
    assert.equal((await resolve(a, testbed, 'op-a')).status, 200);
    const all = await fetch(`${a.url}/admin/cache/purge`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    assert.equal(all.status, 200);
    assert.ok(((await all.json()) as { purged: number }).purged > 0);
    assert.deepEqual(
      await client.keys(`${redis.prefix}v1:d:*`),
      [],
      'nothing of this deployment is left in Redis',
    );
  });

  it('forged and corrupted resolutions in Redis are never served: dropped, counted, resolved from upstream', async () => {
    const rogue = await generateSigningKey('ES256', testbed.trustAnchor('ta').jwks.keys[0]?.kid);
    const subject = testbed.entityId('op-forged');
    const key = (name: string) =>
      `${redis.prefix}v1:d:r:${JSON.stringify([testbed.entityId(name), [testbed.entityId('ta')]])}`;
    const now = Math.floor(Date.now() / 1000);
    const ta = testbed.entityId('ta');
    // A chain whose statements are signed by a key nobody pinned, naming a metadata of its own.
    const forgedEc = await forge(subject, subject, rogue, {
      authority_hints: [ta],
      metadata: { openid_provider: { issuer: subject, token_endpoint: 'https://evil.example' } },
    });
    const forgedSs = await forge(ta, subject, rogue);
    const forgedTa = await forge(ta, ta, rogue);
    await client.set(
      key('op-forged'),
      JSON.stringify({ jwts: [forgedEc, forgedSs, forgedTa], resolvedAt: now }),
      'EX',
      600,
    );
    await client.set(key('op-corrupt'), '{"jwts": [1, 2', 'EX', 600);
    // A real, valid chain, but of another subject: re-validation names the impostor.
    assert.equal((await resolve(a, testbed, 'op-other')).status, 200);
    const other = await client.get(key('op-other'));
    assert.ok(other !== null);
    await client.set(key('op-late'), other, 'EX', 600);

    const before = await metric(b, 'resolver_shared_rejected_total');
    for (const name of ['op-forged', 'op-corrupt', 'op-late']) {
      const answer = await resolve(b, testbed, name);
      assert.equal(answer.status, 200, answer.body);
      const claims = decodeJwt(answer.body);
      assert.equal(claims['sub'], testbed.entityId(name));
      const metadata = claims['metadata'] as { openid_provider: Record<string, unknown> };
      assert.equal(metadata.openid_provider['token_endpoint'], undefined, 'nothing forged served');
    }
    assert.equal((await metric(b, 'resolver_shared_rejected_total')) - before, 3);
    // What is in Redis now is the upstream truth, written by B.
    const stored = JSON.parse((await client.get(key('op-forged'))) ?? '{}') as { jwts: string[] };
    assert.notEqual(stored.jwts[0], forgedEc);
  });

  it('a forged statement in Redis is rejected by the chain checks, dropped, and fetched from upstream', async () => {
    const subject = testbed.entityId('op-stmt');
    const rogue = await generateSigningKey('ES256');
    const forged = await forge(subject, subject, rogue, {
      authority_hints: [testbed.entityId('ia')],
      metadata: { openid_provider: { issuer: subject, token_endpoint: 'https://evil.example' } },
    });
    const url = `${subject}/.well-known/openid-federation`;
    await client.set(`${redis.prefix}v1:d:s:${url}`, JSON.stringify({ jwt: forged }), 'EX', 600);
    const before = await metric(a, 'resolver_shared_rejected_total');
    testbed.requests.reset();
    const answer = await resolve(a, testbed, 'op-stmt');
    assert.equal(answer.status, 200, answer.body);
    const metadata = decodeJwt(answer.body)['metadata'] as {
      openid_provider: Record<string, unknown>;
    };
    assert.equal(metadata.openid_provider['token_endpoint'], undefined);
    assert.equal(testbed.requests.count({ entity: 'op-stmt', kind: 'configuration' }), 1);
    assert.ok((await metric(a, 'resolver_shared_rejected_total')) > before);
  });

  it('an unsigned "active" status written to Redis never admits a revoked mark', async () => {
    const jwt = await testbed.entityConfiguration('op-revoked');
    const entry = (decodeJwt(jwt)['trust_marks'] as Array<{ trust_mark: string }>)[0];
    assert.ok(entry !== undefined);
    const key = createHash('sha256').update(entry.trust_mark).digest('base64url');
    await client.set(
      `${redis.prefix}v1:d:t:${key}`,
      JSON.stringify({ status: 'active' }),
      'EX',
      600,
    );
    const before = await metric(b, 'resolver_shared_rejected_total');
    const answer = await resolve(b, testbed, 'op-revoked');
    assert.equal(answer.status, 200, answer.body);
    assert.equal(decodeJwt(answer.body)['trust_marks'], undefined, 'the revoked mark is left out');
    assert.equal((await metric(b, 'resolver_shared_rejected_total')) - before, 1);
    assert.equal(testbed.requests.count({ kind: 'status' }), 1, 'the issuer was asked instead');
    // What B stored is the issuer's signed answer, which A verifies and uses without asking.
    testbed.requests.reset();
    const onA = await resolve(a, testbed, 'op-revoked');
    assert.equal(decodeJwt(onA.body)['trust_marks'], undefined);
    assert.equal(testbed.requests.count({ kind: 'status' }), 0);
  });
});

describe('one process, no Redis: the admin API', () => {
  it('does not exist without ADMIN_TOKEN; with it, a purge makes the one process fetch that entity again', async () => {
    const without = await startHarness(federation(), ['ta']);
    try {
      const response = await fetch(`${without.resolver.url}/admin/cache/purge`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      assert.equal(response.status, 404);
      const ready = (await (await fetch(`${without.resolver.url}/readyz`)).json()) as {
        redis: string;
      };
      assert.equal(ready.redis, 'off');
    } finally {
      await without.close();
    }
    const h = await startHarness(federation(), ['ta'], { ADMIN_TOKEN });
    try {
      for (const subject of ['op-c', 'op-d']) {
        assert.equal((await h.get('/resolve', h.query(subject))).status, 200);
      }
      h.testbed.requests.reset();
      const purge = await fetch(`${h.resolver.url}/admin/cache/purge`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ sub: h.testbed.entityId('op-c') }),
      });
      assert.equal(purge.status, 200);
      assert.ok(
        ((await purge.json()) as { purged: number }).purged >= 2,
        'resolution and statements',
      );
      for (const [type, body] of [
        ['application/x-www-form-urlencoded', 'sub=a&sub=b'],
        ['text/plain', 'sub'],
        ['application/json', '[1]'],
        ['application/json', '{"sub": 7}'],
      ]) {
        const refused = await fetch(`${h.resolver.url}/admin/cache/purge`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': type ?? '' },
          body: body ?? '',
        });
        assert.equal(refused.status, 400, `${type} ${body}`);
      }
      assert.equal((await h.get('/resolve', h.query('op-d'))).status, 200);
      assert.equal(h.testbed.requests.total(), 0);
      assert.equal((await h.get('/resolve', h.query('op-c'))).status, 200);
      assert.equal(h.testbed.requests.count({ entity: 'op-c', kind: 'configuration' }), 1);
    } finally {
      await h.close();
    }
  });

  it('a Redis unreachable at boot is not fatal: the service starts, reports it down and resolves', async () => {
    const port = await freePort();
    const h = await startHarness(federation(), ['ta'], {
      REDIS_URL: `redis://127.0.0.1:${port}/0`,
      REDIS_TIMEOUT_MS: '50',
    });
    try {
      const ready = await fetch(`${h.resolver.url}/readyz`);
      assert.equal(ready.status, 200);
      assert.equal(((await ready.json()) as { redis: string }).redis, 'down');
      assert.equal((await h.get('/resolve', h.query('op-a'))).status, 200);
      assert.equal((await h.get('/resolve', h.query('op-a'))).status, 200);
    } finally {
      await h.close();
    }
  });
});

describe('replicas when Redis goes away', () => {
  let testbed: Testbed;
  let server: RedisServer;
  let a: ResolverProcess;
  let b: ResolverProcess;

  before(async () => {
    testbed = await startTestbed(federation());
    server = await startRedis();
    [a, b] = await replicas(testbed, server.url, 'fedres-down:', {
      REDIS_TIMEOUT_MS: '100',
      REDIS_RETRY_SECONDS: '1',
    });
  });
  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await testbed.close();
    await server.stop();
  });

  it('both replicas keep answering (cached and new subjects) and use Redis again once it is back, without a restart', async () => {
    assert.equal((await resolve(a, testbed, 'op-a')).status, 200);
    assert.equal((await resolve(b, testbed, 'op-a')).status, 200);
    await server.kill();
    for (const replica of [a, b]) {
      assert.equal((await resolve(replica, testbed, 'op-a')).status, 200, 'cached');
      assert.equal((await resolve(replica, testbed, 'op-c')).status, 200, 'new');
      const ready = await fetch(`${replica.url}/readyz`);
      assert.equal(ready.status, 200, 'Redis is a cache, not a dependency');
    }
    await waitUntil(
      async () =>
        ((await (await fetch(`${a.url}/readyz`)).json()) as { redis: string }).redis === 'down',
      3000,
      'A reports redis down',
    );
    assert.equal(await metric(a, 'resolver_redis_up'), 0);
    await server.restart();
    for (const replica of [a, b]) {
      await waitUntil(
        async () =>
          ((await (await fetch(`${replica.url}/readyz`)).json()) as { redis: string }).redis ===
          'up',
        8000,
        'redis is up again',
      );
    }
    testbed.requests.reset();
    assert.equal((await resolve(a, testbed, 'op-d')).status, 200);
    assert.ok(testbed.requests.total() > 0);
    testbed.requests.reset();
    assert.equal((await resolve(b, testbed, 'op-d')).status, 200);
    assert.equal(testbed.requests.total(), 0, 'shared again');
  });
});

describe('a service that cannot listen', () => {
  it('closes its Redis connections (and resolution workers) before it reports the error', async () => {
    const testbed = await startTestbed(federation());
    // A Redis of its own: every client connected to it is this test's.
    const redis = await startRedis();
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const probe = new Redis(redis.url);
    try {
      const port = String((taken.address() as AddressInfo).port);
      await assert.rejects(
        startTestResolver(testbed, ['ta'], {
          PORT: port,
          REDIS_URL: redis.url,
          RESOLUTION_WORKERS: '1',
        }),
        /EADDRINUSE/,
      );
      const clients = (await probe.client('LIST')) as string;
      assert.equal(clients.trim().split('\n').length, 1, clients);
    } finally {
      probe.disconnect();
      taken.close();
      await redis.stop();
      await testbed.close();
    }
  });
});
