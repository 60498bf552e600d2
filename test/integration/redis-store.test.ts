/**
 * The shared tier's adapter against a real redis-server: leases are released and renewed, a
 * waiter ends when the lease is gone even without an announcement, and one slow command does not
 * make the whole tier skipped.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { RedisStore } from '../../src/infrastructure/cache/redis-store.js';
import { startRedis, type RedisServer } from '../support/redis.js';

describe('RedisStore (the shared tier on Redis)', () => {
  let server: RedisServer;
  const stores: RedisStore[] = [];
  const store = async (timeoutMs = 100) => {
    const created = new RedisStore({
      url: server.url,
      keyPrefix: 'store-test:',
      timeoutMs,
      retrySeconds: 1,
      logger: pino({ level: 'silent' }),
    });
    stores.push(created);
    await created.connected(2000);
    assert.equal(created.state, 'up');
    return created;
  };

  before(async () => {
    server = await startRedis(['--enable-debug-command', 'yes']);
  });
  after(async () => {
    for (const created of stores) await created.close();
    await server.stop();
  });

  it('one replica holds a lease at a time; release announces it to the waiter', async () => {
    const [a, b] = [await store(), await store()];
    assert.equal(await a.lease('job', 10_000), true);
    assert.equal(await b.lease('job', 10_000), false);
    const started = Date.now();
    const waited = b.awaitRelease('job', 10_000);
    await a.release('job');
    await waited;
    assert.ok(Date.now() - started < 2000, 'ended by the release, not by the timeout');
    assert.equal(await b.lease('job', 10_000), true);
    await b.release('job');
  });

  it('a waiter ends when the lease lapses, without any announcement (a holder that died)', async () => {
    const [a, b] = [await store(), await store()];
    assert.equal(await a.lease('lapsing', 400), true);
    const started = Date.now();
    await b.awaitRelease('lapsing', 10_000);
    const waited = Date.now() - started;
    assert.ok(waited >= 300 && waited < 3000, `waited ${waited} ms`);
  });

  it('renew keeps a lease past its first life; a lease held by another cannot be renewed', async () => {
    const [a, b] = [await store(), await store()];
    assert.equal(await a.lease('long', 500), true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(await a.renew('long', 2000), true);
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(await b.lease('long', 500), false, 'still held after its first 500 ms');
    assert.equal(await b.renew('long', 2000), false);
    await a.release('long');
  });

  it('one command slower than REDIS_TIMEOUT_MS does not make the tier skipped', async () => {
    const a = await store(50);
    await a.set('k', 'v', 60_000, ['https://e.example']);
    const admin = new Redis(server.url);
    try {
      const sleeping = admin.call('DEBUG', 'SLEEP', '0.2');
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(await a.get('k'), undefined, 'the slow command answers nothing');
      await sleeping;
      assert.equal(a.state, 'up');
      assert.equal(await a.get('k'), 'v');
    } finally {
      admin.disconnect();
    }
  });

  it('a purge of one entity removes what is indexed under it, and is announced', async () => {
    const [a, b] = [await store(), await store()];
    const heard: Array<string | undefined> = [];
    b.onPurge((entity) => heard.push(entity));
    await a.set('s:1', 'one', 60_000, ['https://x.example', 'https://y.example']);
    await a.set('s:2', 'two', 60_000, ['https://y.example']);
    await a.set('s:3', 'three', 60_000, ['https://z.example']);
    assert.equal(await a.purge('https://y.example'), 2);
    assert.equal(await b.get('s:1'), undefined);
    assert.equal(await b.get('s:3'), 'three');
    for (let i = 0; i < 20 && heard.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.deepEqual(heard, ['https://y.example']);
  });
});
