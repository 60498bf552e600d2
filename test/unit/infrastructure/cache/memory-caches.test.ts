/**
 * The bounds of the in-memory caches: entries and bytes (as charged) never exceed what they are
 * given, the least recently used goes first, and what could never fit is not kept at all.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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

  it('delete forgets an entry and its bytes', async () => {
    const tier = new MemoryTier<string>({ maxEntries: 100, maxBytes: 1000 });
    await tier.set('a', 'A', { ...long, sizeBytes: 300 });
    await tier.delete('a');
    assert.equal(await tier.get('a'), undefined);
    assert.equal(tier.bytes, 0);
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
});
