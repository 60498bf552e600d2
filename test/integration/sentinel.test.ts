/**
 * A highly available shared tier: two service replicas on Redis Sentinel (a primary, a replica
 * and three sentinels on loopback). The primary is killed during the run; the sentinels promote
 * the replica, and both service replicas follow it without a restart and share the tier again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestbed, type Testbed } from '../../src/testbed/index.js';
import { startResolverProcess, type ResolverProcess } from '../support/resolver-process.js';
import { startSentinelGroup, type SentinelGroup } from '../support/redis.js';

const ADMIN_TOKEN = 'sentinel-admin-token';

describe('replicas on Redis Sentinel, through a failover of the primary', () => {
  let testbed: Testbed;
  let group: SentinelGroup;
  let a: ResolverProcess;
  let b: ResolverProcess;

  before(async () => {
    const op = (name: string) => ({
      name,
      authorityHints: ['ta'],
      metadata: { openid_provider: { issuer: '{{self}}' } },
    });
    testbed = await startTestbed({
      entities: [{ name: 'ta' }, op('op-before'), op('op-during'), op('op-after')],
    });
    group = await startSentinelGroup();
    const env = {
      REDIS_SENTINELS: group.sentinels.join(','),
      REDIS_SENTINEL_NAME: group.name,
      REDIS_KEY_PREFIX: 'fedres-sentinel:',
      REDIS_RETRY_SECONDS: '1',
      ADMIN_TOKEN,
      CLIENT_COLD_RATE: '0',
      CIRCUIT_BREAKER_FAILURES: '0',
    };
    a = await startResolverProcess([testbed.trustAnchor('ta')], env);
    b = await startResolverProcess([testbed.trustAnchor('ta')], env);
  });
  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await testbed?.close();
    await group?.stop();
  });

  const resolve = async (replica: ResolverProcess, subject: string) => {
    const query = new URLSearchParams({
      sub: testbed.entityId(subject),
      trust_anchor: testbed.entityId('ta'),
    });
    return (await fetch(`${replica.url}/resolve?${query.toString()}`)).status;
  };
  const redisState = async (replica: ResolverProcess) =>
    ((await (await fetch(`${replica.url}/readyz`)).json()) as { redis: string }).redis;
  const waitUntil = async (condition: () => Promise<boolean>, timeoutMs: number, what: string) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await new Promise((done) => setTimeout(done, 100));
    }
  };

  it('shares the tier before, keeps answering during, and shares it again after the failover', async () => {
    for (const replica of [a, b]) {
      await waitUntil(async () => (await redisState(replica)) === 'up', 5000, 'redis is up');
    }
    assert.equal(await resolve(a, 'op-before'), 200);
    testbed.requests.reset();
    assert.equal(await resolve(b, 'op-before'), 200);
    assert.equal(testbed.requests.total(), 0, 'shared before the failover');

    const oldPrimary = await group.primaryPort();
    await group.killPrimary();
    // During the failover both replicas answer from their process tiers and upstream.
    assert.equal(await resolve(a, 'op-before'), 200);
    assert.equal(await resolve(b, 'op-during'), 200);
    await waitUntil(
      async () => (await group.primaryPort()) !== oldPrimary,
      20_000,
      'the sentinels promote the replica',
    );
    for (const replica of [a, b]) {
      await waitUntil(async () => (await redisState(replica)) === 'up', 20_000, 'redis is up');
    }

    // Both follow the new primary: what A resolves, B serves without an upstream request.
    await waitUntil(
      async () => {
        assert.equal(await resolve(a, 'op-after'), 200);
        testbed.requests.reset();
        assert.equal(await resolve(b, 'op-after'), 200);
        return testbed.requests.total() === 0;
      },
      10_000,
      'the replicas share the tier on the new primary',
    );

    // And a purge on A still reaches B through the new primary's pub/sub.
    const purge = await fetch(`${a.url}/admin/cache/purge`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sub: testbed.entityId('op-after') }),
    });
    assert.equal(purge.status, 200);
    await new Promise((done) => setTimeout(done, 1000));
    testbed.requests.reset();
    assert.equal(await resolve(b, 'op-after'), 200);
    assert.ok(testbed.requests.count({ entity: 'op-after' }) > 0, 'B fetched op-after again');
  });
});
