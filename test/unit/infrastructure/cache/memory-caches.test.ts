/**
 * The bounds of the in-memory caches: entries and bytes (as charged) never exceed what they are
 * given, the least recently used goes first, and what could never fit is not kept at all.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DecodedEntityStatement } from '../../../../src/federation/types.js';
import { MemoryDecodedStatementCache } from '../../../../src/infrastructure/cache/decoded-statement-cache.js';
import { FrequencySketch } from '../../../../src/infrastructure/cache/frequency-sketch.js';
import { MemoryTier } from '../../../../src/infrastructure/cache/memory-tier.js';
import { MemoryVerificationCache } from '../../../../src/infrastructure/cache/verification-cache.js';

const long = { ttlMs: 60_000 };

describe('MemoryTier', () => {
  it('keeps at most maxEntries, dropping the least recently used', async () => {
    const tier = new MemoryTier<string>({ maxEntries: 2 });
    await tier.set('a', 'A', { ...long, sizeBytes: 1 });
    await tier.set('b', 'B', { ...long, sizeBytes: 1 });
    assert.equal(await tier.get('a'), 'A'); // a is now the most recently used
    await tier.set('c', 'C', { ...long, sizeBytes: 1 });
    assert.equal(tier.size, 2);
    assert.equal(await tier.get('b'), undefined);
    assert.equal(await tier.get('a'), 'A');
    assert.equal(await tier.get('c'), 'C');
  });

  it('keeps at most maxBytes as charged, dropping the least recently used', async () => {
    const tier = new MemoryTier<string>({ maxEntries: 100, maxBytes: 1000 });
    await tier.set('a', 'A', { ...long, sizeBytes: 400 });
    await tier.set('b', 'B', { ...long, sizeBytes: 400 });
    assert.equal(tier.bytes, 800);
    await tier.get('a');
    await tier.set('c', 'C', { ...long, sizeBytes: 400 });
    assert.equal(tier.bytes, 800);
    assert.equal(await tier.get('b'), undefined);
    assert.equal(await tier.get('a'), 'A');
    assert.equal(await tier.get('c'), 'C');
  });

  it('does not keep an entry larger than the whole budget, nor evict others for it', async () => {
    const tier = new MemoryTier<string>({ maxEntries: 100, maxBytes: 1000 });
    await tier.set('small', 'S', { ...long, sizeBytes: 10 });
    await tier.set('huge', 'H', { ...long, sizeBytes: 1001 });
    assert.equal(await tier.get('huge'), undefined);
    assert.equal(await tier.get('small'), 'S');
    assert.equal(tier.bytes, 10);
  });

  it('charges a fractional or zero size as at least one byte', async () => {
    const tier = new MemoryTier<string>({ maxEntries: 100, maxBytes: 1000 });
    await tier.set('zero', 'Z', { ...long, sizeBytes: 0 });
    await tier.set('half', 'H', { ...long, sizeBytes: 0.5 });
    assert.equal(tier.bytes, 2);
  });

  it('forgets an entry when its time to live runs out, and stores nothing for a TTL of 0', async () => {
    const tier = new MemoryTier<string>({ maxEntries: 100 });
    await tier.set('brief', 'B', { ttlMs: 20, sizeBytes: 1 });
    await tier.set('never', 'N', { ttlMs: 0, sizeBytes: 1 });
    assert.equal(await tier.get('brief'), 'B');
    assert.equal(await tier.get('never'), undefined);
    await new Promise((resolve) => setTimeout(resolve, 40));
    assert.equal(await tier.get('brief'), undefined);
    assert.equal(tier.size, 0); // purged, not merely hidden
  });

  it('expired entries that are never read again leave memory at the next sweep, with their bytes', async () => {
    const tier = new MemoryTier<string>({ maxEntries: 100, maxBytes: 1000, sweepIntervalMs: 10 });
    await tier.set('brief', 'B', { ttlMs: 20, sizeBytes: 300 });
    await tier.set('kept', 'K', { ...long, sizeBytes: 100 });
    assert.equal(tier.bytes, 400);
    await new Promise((resolve) => setTimeout(resolve, 40));
    // Any use sweeps: here a read of another key.
    assert.equal(await tier.get('kept'), 'K');
    assert.equal(tier.size, 1);
    assert.equal(tier.bytes, 100);
  });

  it('delete forgets an entry and its bytes', async () => {
    const tier = new MemoryTier<string>({ maxEntries: 100, maxBytes: 1000 });
    await tier.set('a', 'A', { ...long, sizeBytes: 300 });
    await tier.delete('a');
    assert.equal(await tier.get('a'), undefined);
    assert.equal(tier.bytes, 0);
  });
});

describe('MemoryDecodedStatementCache', () => {
  const statement = (jwt: string) =>
    ({
      jwt,
      header: {},
      claims: {},
      kind: 'entity_configuration',
    }) as unknown as DecodedEntityStatement;

  it('keeps at most maxEntries and maxBytes (4 bytes per JWS character and 256), least recently used first', () => {
    const byEntries = new MemoryDecodedStatementCache(2, 1024 * 1024);
    for (const jwt of ['a', 'b', 'c']) byEntries.set(jwt, statement(jwt));
    assert.equal(byEntries.size, 2);
    assert.equal(byEntries.get('a'), undefined);
    assert.equal(byEntries.get('c')?.jwt, 'c');

    const byBytes = new MemoryDecodedStatementCache(100, 2 * (4 * 100 + 256));
    for (const jwt of ['x', 'y', 'z']) byBytes.set(jwt.repeat(100), statement(jwt.repeat(100)));
    assert.equal(byBytes.size, 2);
    assert.equal(byBytes.bytes, 2 * (4 * 100 + 256));
    assert.equal(byBytes.get('x'.repeat(100)), undefined);
  });

  it('does not keep a statement larger than the whole budget, nor evict others for it', () => {
    const cache = new MemoryDecodedStatementCache(100, 4 * 10 + 256);
    cache.set('small', statement('small'));
    cache.set('l'.repeat(11), statement('l'.repeat(11)));
    assert.equal(cache.get('l'.repeat(11)), undefined);
    assert.equal(cache.get('small')?.jwt, 'small');
  });
});

describe('MemoryVerificationCache', () => {
  it('keeps at most maxBytes of results, the least recently added going first', () => {
    // Each result is charged 2 × (43-character hash + separator + fingerprint) + 96 bytes.
    const cache = new MemoryVerificationCache(1000, undefined, 1000);
    for (let i = 0; i < 20; i++) cache.add(`jwt-${i}`, `key-${i}`);
    assert.ok(cache.size > 0 && cache.size < 20, `${cache.size}`);
    assert.ok(cache.bytes <= 1000, `${cache.bytes}`);
    assert.equal(cache.has('jwt-19', 'key-19'), true);
    assert.equal(cache.has('jwt-0', 'key-0'), false);
  });

  it('a result is reused only for the same JWS and the same key, and counts each lookup', () => {
    const lookups: boolean[] = [];
    const cache = new MemoryVerificationCache(10, (hit) => lookups.push(hit));
    cache.add('jwt', 'key');
    assert.equal(cache.has('jwt', 'key'), true);
    assert.equal(cache.has('jwt', 'other-key'), false);
    assert.equal(cache.has('jwt2', 'key'), false);
    assert.deepEqual(lookups, [true, false, false]);
  });

  it("the key reused from the lookup before a write is that lookup's own JWS and key, never another's", () => {
    const cache = new MemoryVerificationCache(10);
    assert.equal(cache.has('jwt-a', 'key'), false);
    assert.equal(cache.has('jwt-b', 'key'), false);
    // The last lookup was of jwt-b: adding jwt-a must not record jwt-b.
    cache.add('jwt-a', 'key');
    assert.equal(cache.has('jwt-b', 'key'), false);
    assert.equal(cache.has('jwt-a', 'other-key'), false);
    cache.add('jwt-a', 'other-key');
    assert.equal(cache.has('jwt-a', 'key'), true);
    assert.equal(cache.has('jwt-a', 'other-key'), true);
    assert.equal(cache.size, 2);
  });
});

describe('scan resistance (TinyLFU admission)', () => {
  /** Two sequential passes over `keys` keys, each get-then-set on a miss; the second pass's hits. */
  async function secondPassHits(tier: MemoryTier<string>, keys: number): Promise<number> {
    let hits = 0;
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < keys; i++) {
        const key = `subject-${i}`;
        if ((await tier.get(key)) !== undefined) {
          if (pass === 1) hits++;
        } else {
          await tier.set(key, 'chain', { ttlMs: 60_000, sizeBytes: 100 });
        }
      }
    }
    return hits;
  }

  it('a sweep of 12 keys over a tier of 10: plain LRU hits nothing on the second pass, TinyLFU keeps 10', async () => {
    assert.equal(await secondPassHits(new MemoryTier<string>({ maxEntries: 10 }), 12), 0);
    const resistant = new MemoryTier<string>({ maxEntries: 10, scanResistant: true });
    assert.equal(await secondPassHits(resistant, 12), 10);
  });

  it('the same holds when the bound is in bytes', async () => {
    const resistant = new MemoryTier<string>({
      maxEntries: 1000,
      maxBytes: 1000,
      scanResistant: true,
    });
    assert.equal(await secondPassHits(resistant, 12), 10);
  });

  it('a key asked for more often than the victim still gets in, and a popular one survives a sweep', async () => {
    const tier = new MemoryTier<string>({ maxEntries: 3, scanResistant: true });
    for (const key of ['a', 'b', 'c']) {
      await tier.get(key);
      await tier.set(key, key, { ttlMs: 60_000, sizeBytes: 10 });
    }
    // 'a' is popular.
    for (let i = 0; i < 5; i++) await tier.get('a');
    // A newcomer asked for once is refused: it is no more wanted than the victim.
    await tier.get('d');
    await tier.set('d', 'd', { ttlMs: 60_000, sizeBytes: 10 });
    assert.equal(await tier.get('d'), undefined);
    // Asked for again, it is wanted more than the least recently used ('b'): it gets in.
    await tier.get('d');
    await tier.set('d', 'd', { ttlMs: 60_000, sizeBytes: 10 });
    assert.equal(await tier.get('d'), 'd');
    // A sweep of newcomers asked for once each never evicts the popular key.
    for (let i = 0; i < 20; i++) {
      await tier.get(`sweep-${i}`);
      await tier.set(`sweep-${i}`, 'x', { ttlMs: 60_000, sizeBytes: 10 });
    }
    assert.equal(await tier.get('a'), 'a');
  });

  it('the sketch estimates at least the true count, and forgets with age', () => {
    const sketch = new FrequencySketch(10);
    for (let i = 0; i < 5; i++) sketch.record('hot');
    sketch.record('cold');
    assert.ok(sketch.frequency('hot') >= 5);
    assert.ok(sketch.frequency('cold') >= 1);
    assert.equal(sketch.frequency('never'), 0);
    // 10 × capacity (at least 100) recordings halve every counter.
    for (let i = 0; i < 100; i++) sketch.record(`other-${i % 7}`);
    assert.ok(sketch.frequency('hot') <= 3, `${sketch.frequency('hot')}`);
  });
});
