import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NotFoundError, TemporarilyUnavailableError } from '../../../src/federation/errors.js';
import type {
  FetchContext,
  FetchedStatement,
  StatementSource,
} from '../../../src/federation/ports.js';
import { CachingStatementSource } from '../../../src/infrastructure/statements/caching-statement-source.js';
import { forgeJws } from '../../support/statements.js';

const NOW = 1_800_000_000;

/** A clock the test moves by hand. */
function clock(start = NOW) {
  let now = start;
  return { now: () => now, advance: (seconds: number) => (now += seconds) };
}

/** An upstream that counts requests and answers what the test says. */
class Upstream implements StatementSource {
  calls = 0;
  answer: () => Promise<string> = async () =>
    forgeJws({ typ: 'entity-statement+jwt' }, { exp: NOW + 100 });

  async #serve(url: string): Promise<FetchedStatement> {
    this.calls++;
    return { jwt: await this.answer(), url, cacheHit: false, durationMs: 1 };
  }
  fetchEntityConfiguration(entityId: string, _context: FetchContext): Promise<FetchedStatement> {
    return this.#serve(`${entityId}/.well-known/openid-federation`);
  }
  fetchSubordinateStatement(
    endpoint: string,
    subject: string,
    _context: FetchContext,
  ): Promise<FetchedStatement> {
    return this.#serve(`${endpoint}?sub=${encodeURIComponent(subject)}`);
  }
}

function cache(
  upstream: Upstream,
  time: ReturnType<typeof clock>,
  options: { maxTtlSeconds?: number; negativeTtlSeconds?: number } = {},
) {
  return new CachingStatementSource(upstream, {
    maxEntries: 100,
    maxTtlSeconds: options.maxTtlSeconds ?? 3600,
    negativeTtlSeconds: options.negativeTtlSeconds ?? 10,
    clock: time,
  });
}

const ID = 'https://e.example';

describe('statement cache (§10.2)', () => {
  it('serves a statement from cache until its exp, then fetches again', async () => {
    const upstream = new Upstream();
    const time = clock();
    const source = cache(upstream, time);
    assert.equal((await source.fetchEntityConfiguration(ID, {})).cacheHit, false);
    const second = await source.fetchEntityConfiguration(ID, {});
    assert.equal(second.cacheHit, true);
    assert.equal(upstream.calls, 1);
    time.advance(100); // now == exp: never served at or past exp
    assert.equal((await source.fetchEntityConfiguration(ID, {})).cacheHit, false);
    assert.equal(upstream.calls, 2);
  });

  it('does not cache a statement that is already expired or has no exp', async () => {
    const upstream = new Upstream();
    const source = cache(upstream, clock());
    upstream.answer = async () => forgeJws({}, { exp: NOW - 1 });
    await source.fetchEntityConfiguration(ID, {});
    upstream.answer = async () => forgeJws({}, { iss: ID });
    await source.fetchEntityConfiguration(ID, {});
    await source.fetchEntityConfiguration(ID, {});
    assert.equal(upstream.calls, 3);
  });

  it('refresh fetches anew and caches the new copy; discard forgets a copy', async () => {
    const upstream = new Upstream();
    const source = cache(upstream, clock());
    await source.fetchEntityConfiguration(ID, {});
    assert.equal((await source.fetchEntityConfiguration(ID, { refresh: true })).cacheHit, false);
    assert.equal((await source.fetchEntityConfiguration(ID, {})).cacheHit, true);
    source.discard(`${ID}/.well-known/openid-federation`);
    assert.equal((await source.fetchEntityConfiguration(ID, {})).cacheHit, false);
    assert.equal(upstream.calls, 3);
  });

  it('caches failures for the negative TTL, but never our own deadline', async () => {
    const upstream = new Upstream();
    const time = clock();
    const source = cache(upstream, time, { negativeTtlSeconds: 10 });
    upstream.answer = async () => {
      throw new NotFoundError('gone', { reason: 'statement_unavailable' });
    };
    await assert.rejects(source.fetchEntityConfiguration(ID, {}), NotFoundError);
    await assert.rejects(source.fetchEntityConfiguration(ID, {}), NotFoundError);
    assert.equal(upstream.calls, 1);
    upstream.answer = async () => {
      throw new TemporarilyUnavailableError('late', { reason: 'deadline_exceeded' });
    };
    await assert.rejects(
      source.fetchSubordinateStatement('https://i.example/fetch', ID, {}),
      TemporarilyUnavailableError,
    );
    await assert.rejects(
      source.fetchSubordinateStatement('https://i.example/fetch', ID, {}),
      TemporarilyUnavailableError,
    );
    assert.equal(upstream.calls, 3);
  });

  it('shares one upstream request between concurrent callers', async () => {
    const upstream = new Upstream();
    const source = cache(upstream, clock());
    let release: (jwt: string) => void = () => undefined;
    upstream.answer = () => new Promise<string>((resolve) => (release = resolve));
    const pending = Array.from({ length: 20 }, () => source.fetchEntityConfiguration(ID, {}));
    await new Promise((resolve) => setImmediate(resolve));
    release(forgeJws({}, { exp: NOW + 100 }));
    const results = await Promise.all(pending);
    assert.equal(upstream.calls, 1);
    assert.equal(new Set(results.map((result) => result.jwt)).size, 1);
  });

  it("one caller's deadline does not fail the others sharing the request", async () => {
    const upstream = new Upstream();
    const source = cache(upstream, clock());
    let release: (jwt: string) => void = () => undefined;
    upstream.answer = () => new Promise<string>((resolve) => (release = resolve));
    const controller = new AbortController();
    const impatient = source.fetchEntityConfiguration(ID, { signal: controller.signal });
    const patient = source.fetchEntityConfiguration(ID, {});
    controller.abort();
    await assert.rejects(
      impatient,
      (error: unknown) =>
        error instanceof TemporarilyUnavailableError && error.reason === 'deadline_exceeded',
    );
    release(forgeJws({}, { exp: NOW + 100 }));
    assert.equal((await patient).cacheHit, false);
  });

  it('caps the time a statement is kept by maxTtlSeconds', async () => {
    const upstream = new Upstream();
    const time = clock();
    const source = cache(upstream, time, { maxTtlSeconds: 1 });
    upstream.answer = async () => forgeJws({}, { exp: NOW + 3600 });
    await source.fetchEntityConfiguration(ID, {});
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.equal((await source.fetchEntityConfiguration(ID, {})).cacheHit, false);
    assert.equal(upstream.calls, 2);
  });
});
