/**
 * The engine's statement cache (§10.2: statements MAY be cached until they expire; §10.5:
 * failures briefly) in front of an in-memory federation, with a clock moved by hand.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CachingStatementSource, type CachedStatement } from '../../../src/engine/index.js';
import { NotFoundError, TemporarilyUnavailableError } from '../../../src/federation/errors.js';
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
