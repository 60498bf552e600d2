/**
 * The engine's statement cache (§10.2: statements MAY be cached until they expire; §10.5:
 * failures briefly) in front of an in-memory federation, with a clock moved by hand.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CachingStatementSource, type CachedStatement } from '../../../src/engine/index.js';
import {
  FederationError,
  NotFoundError,
  TemporarilyUnavailableError,
} from '../../../src/federation/errors.js';
import type { StatementSource } from '../../../src/federation/ports.js';
import { MemoryTier } from '../../../src/infrastructure/cache/memory-tier.js';
import { createMemoryFederation, type MemoryFederation } from '../../../src/testbed/index.js';
import { testClock, type TestClock } from '../../support/engine.js';

async function setup(
  options: { lifetimeSeconds?: number; maxTtlSeconds?: number; negativeTtlSeconds?: number } = {},
): Promise<{
  federation: MemoryFederation;
  clock: TestClock;
  source: CachingStatementSource;
  id: string;
}> {
  const clock = testClock();
  const federation = await createMemoryFederation(
    {
      entities: [
        { name: 'ta', lifetimeSeconds: options.lifetimeSeconds ?? 100 },
        { name: 'leaf', authorityHints: ['ta'], lifetimeSeconds: options.lifetimeSeconds ?? 100 },
      ],
    },
    { now: () => clock.now() },
  );
  const source = new CachingStatementSource({
    upstream: federation,
    tier: new MemoryTier<CachedStatement>({ maxEntries: 100 }),
    clock,
    options: {
      maxTtlSeconds: options.maxTtlSeconds ?? 3600,
      negativeTtlSeconds: options.negativeTtlSeconds ?? 10,
      transientTtlSeconds: 2,
    },
  });
  return { federation, clock, source, id: federation.entityId('leaf') };
}

describe('statement cache (§10.2)', () => {
  it('serves a statement from cache until its exp, then fetches again', async () => {
    const { federation, clock, source, id } = await setup();
    assert.equal((await source.fetchEntityConfiguration(id, {})).cacheHit, false);
    const second = await source.fetchEntityConfiguration(id, {});
    assert.equal(second.cacheHit, true);
    assert.equal(federation.requests.total(), 1);
    clock.advance(100); // now == exp: never served at or past exp
    assert.equal((await source.fetchEntityConfiguration(id, {})).cacheHit, false);
    assert.equal(federation.requests.total(), 2);
  });

  it('does not cache a statement that is already expired or has no exp', async () => {
    const { federation, source, id } = await setup();
    federation.setFaults({ entity: 'leaf' }, { expired: true });
    await source.fetchEntityConfiguration(id, {});
    await source.fetchEntityConfiguration(id, {});
    federation.setFaults({ entity: 'leaf' }, { claims: { exp: undefined } });
    await source.fetchEntityConfiguration(id, {});
    await source.fetchEntityConfiguration(id, {});
    assert.equal(federation.requests.total(), 4);
  });

  it('refresh fetches anew and caches the new copy; discard forgets a copy', async () => {
    const { federation, source, id } = await setup();
    const first = await source.fetchEntityConfiguration(id, {});
    assert.equal((await source.fetchEntityConfiguration(id, { refresh: true })).cacheHit, false);
    assert.equal((await source.fetchEntityConfiguration(id, {})).cacheHit, true);
    await source.discard([first.url]);
    assert.equal((await source.fetchEntityConfiguration(id, {})).cacheHit, false);
    assert.equal(federation.requests.total(), 3);
  });

  it('caches failures for the negative TTL, but never our own deadline', async () => {
    const { federation, source, id } = await setup({ negativeTtlSeconds: 10 });
    federation.setFaults({ entity: 'leaf' }, { status: 404 });
    await assert.rejects(source.fetchEntityConfiguration(id, {}), NotFoundError);
    await assert.rejects(source.fetchEntityConfiguration(id, {}), NotFoundError);
    assert.equal(federation.requests.total(), 1);
    const controller = new AbortController();
    controller.abort();
    const endpoint = `${federation.entityId('ta')}/fetch`;
    for (let i = 0; i < 2; i++) {
      await assert.rejects(
        source.fetchSubordinateStatement(endpoint, id, { signal: controller.signal }),
        (error: unknown) =>
          error instanceof TemporarilyUnavailableError && error.reason === 'deadline_exceeded',
      );
    }
    assert.equal((await source.fetchSubordinateStatement(endpoint, id, {})).cacheHit, false);
  });

  it('shares one upstream request between concurrent callers', async () => {
    const { federation, source, id } = await setup();
    const release = federation.hold();
    const pending = Array.from({ length: 20 }, () => source.fetchEntityConfiguration(id, {}));
    await new Promise((resolve) => setImmediate(resolve));
    release();
    const results = await Promise.all(pending);
    assert.equal(federation.requests.total(), 1);
    assert.equal(new Set(results.map((result) => result.jwt)).size, 1);
  });

  it("one caller's deadline does not fail the others sharing the request", async () => {
    const { source, federation, id } = await setup();
    const release = federation.hold();
    const controller = new AbortController();
    const impatient = source.fetchEntityConfiguration(id, { signal: controller.signal });
    const patient = source.fetchEntityConfiguration(id, {});
    controller.abort();
    await assert.rejects(
      impatient,
      (error: unknown) =>
        error instanceof TemporarilyUnavailableError && error.reason === 'deadline_exceeded',
    );
    release();
    assert.equal((await patient).cacheHit, false);
  });

  it('caps the time a statement is kept by maxTtlSeconds', async () => {
    const { federation, source, id } = await setup({ lifetimeSeconds: 3600, maxTtlSeconds: 1 });
    await source.fetchEntityConfiguration(id, {});
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.equal((await source.fetchEntityConfiguration(id, {})).cacheHit, false);
    assert.equal(federation.requests.total(), 2);
  });
});

/** A tier that records the time to live of every entry it is given. */
class RecordingTier extends MemoryTier<CachedStatement> {
  readonly ttls: number[] = [];

  override set(
    key: string,
    value: CachedStatement,
    entry: { readonly ttlMs: number; readonly sizeBytes: number },
  ): Promise<void> {
    this.ttls.push(entry.ttlMs);
    return super.set(key, value, entry);
  }
}

/** An upstream that fails every request with `failure`, counting the requests. */
function failingUpstream(failure: FederationError): StatementSource & { calls: number } {
  const upstream = {
    calls: 0,
    fetchEntityConfiguration: () => {
      upstream.calls++;
      return Promise.reject(failure);
    },
    fetchSubordinateStatement: () => {
      upstream.calls++;
      return Promise.reject(failure);
    },
  };
  return upstream;
}

describe('statement cache: how long a failure is remembered (§10.5)', () => {
  const url = 'https://leaf.example.org/.well-known/openid-federation';
  const transient = (retryAfter?: number): FederationError =>
    new TemporarilyUnavailableError('upstream 503', {
      reason: 'upstream_status',
      url,
      status: 503,
      ...(retryAfter === undefined ? {} : { retryAfter }),
    });

  async function remembered(
    failure: FederationError,
    negativeTtlSeconds = 10,
  ): Promise<{ ttls: number[]; calls: number }> {
    const tier = new RecordingTier({ maxEntries: 10 });
    const upstream = failingUpstream(failure);
    const source = new CachingStatementSource({
      upstream,
      tier,
      clock: testClock(),
      options: { maxTtlSeconds: 3600, negativeTtlSeconds, transientTtlSeconds: 2 },
    });
    for (let i = 0; i < 2; i++) {
      await assert.rejects(
        source.fetchEntityConfiguration('https://leaf.example.org', {}),
        (error: unknown) => error instanceof FederationError && error.reason === failure.reason,
      );
    }
    return { ttls: tier.ttls, calls: upstream.calls };
  }

  it('a permanent failure for the negative TTL, and the second request is answered from it', async () => {
    const failure = new NotFoundError('gone', { reason: 'upstream_status', url, status: 404 });
    assert.deepEqual(await remembered(failure), { ttls: [10_000], calls: 1 });
  });

  it('a transient failure without Retry-After for the transient TTL, never beyond the negative TTL', async () => {
    assert.deepEqual((await remembered(transient())).ttls, [2_000]);
    assert.deepEqual((await remembered(transient(), 1)).ttls, [1_000]);
  });

  it('a transient failure with Retry-After for that long, capped at 300 s', async () => {
    assert.deepEqual((await remembered(transient(120))).ttls, [120_000]);
    assert.deepEqual((await remembered(transient(99_999))).ttls, [300_000]);
  });

  it('neither our own deadline nor our own queue, and nothing at all with a negative TTL of 0', async () => {
    for (const reason of ['deadline_exceeded', 'upstream_queue_timeout'] as const) {
      const ours = new TemporarilyUnavailableError('ours', { reason, url });
      assert.deepEqual(await remembered(ours), { ttls: [], calls: 2 });
    }
    assert.deepEqual(await remembered(transient(120), 0), { ttls: [], calls: 2 });
  });
});
