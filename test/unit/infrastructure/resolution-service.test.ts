/**
 * The resolution cache (§10.2, §10.4): served until the chain's exp and never after, refreshed in
 * the background shortly before, shared between concurrent callers, bounded in concurrency, and
 * dropped when the trust anchors are reloaded. A hand-moved clock and an in-memory source.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { entityConfigurationUrl, fetchEndpointUrl } from '../../../src/federation/entity-id.js';
import { NotFoundError, TemporarilyUnavailableError } from '../../../src/federation/errors.js';
import type {
  FetchContext,
  FetchedStatement,
  StatementSource,
} from '../../../src/federation/ports.js';
import { TrustChainResolver } from '../../../src/federation/resolver.js';
import { ResolutionService } from '../../../src/infrastructure/resolution-service.js';
import { TrustAnchorStore } from '../../../src/infrastructure/trust-anchor-store.js';
import {
  NOW,
  configurationClaims,
  createEntity,
  sign,
  subordinateClaims,
} from '../../support/statements.js';

const ta = await createEntity('https://ta.example.org');
const leaf = await createEntity('https://leaf.example.org');
const FETCH = 'https://ta.example.org/fetch';
const LIFETIME = 400;

/** Serves the two-level federation from memory, re-signing at the current clock on demand. */
class MemorySource implements StatementSource {
  calls = 0;
  refreshes = 0;
  gate: Promise<void> = Promise.resolve();
  constructor(private readonly time: { now(): number }) {}

  async #statements(): Promise<Map<string, string>> {
    const iat = Math.floor(this.time.now()) - 10;
    const times = { iat, exp: iat + LIFETIME };
    return new Map([
      [
        entityConfigurationUrl(leaf.id),
        await sign(configurationClaims(leaf, { ...times, authority_hints: [ta.id] }), leaf.key),
      ],
      [
        entityConfigurationUrl(ta.id),
        await sign(
          configurationClaims(ta, {
            ...times,
            metadata: { federation_entity: { federation_fetch_endpoint: FETCH } },
          }),
          ta.key,
        ),
      ],
      [fetchEndpointUrl(FETCH, leaf.id), await sign(subordinateClaims(ta, leaf, times), ta.key)],
    ]);
  }
  async #serve(url: string, context: FetchContext): Promise<FetchedStatement> {
    this.calls++;
    if (context.refresh === true) this.refreshes++;
    await this.gate;
    const jwt = (await this.#statements()).get(url);
    if (jwt === undefined)
      throw new NotFoundError('no such statement', { reason: 'statement_unavailable', url });
    return { jwt, url, cacheHit: false, durationMs: 0 };
  }
  fetchEntityConfiguration(entityId: string, context: FetchContext) {
    return this.#serve(entityConfigurationUrl(entityId), context);
  }
  fetchSubordinateStatement(endpoint: string, subject: string, context: FetchContext) {
    return this.#serve(fetchEndpointUrl(endpoint, subject), context);
  }
}

const folders: string[] = [];
after(() => folders.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function setup(options: { maxConcurrentResolutions?: number; refreshAheadSeconds?: number } = {}) {
  let now = NOW;
  const time = { now: () => now, set: (value: number) => (now = value) };
  const dir = mkdtempSync(join(tmpdir(), 'anchors-'));
  folders.push(dir);
  writeFileSync(join(dir, 'ta.json'), JSON.stringify({ entity_id: ta.id, jwks: ta.jwks }));
  const anchors = new TrustAnchorStore(dir, { allowHttp: false });
  anchors.load();
  const source = new MemorySource(time);
  const service = new ResolutionService({
    resolver: new TrustChainResolver({ source }),
    anchors,
    clock: time,
    options: {
      resolutionTimeoutMs: 5000,
      maxConcurrentResolutions: options.maxConcurrentResolutions ?? 10,
      cacheMaxEntries: 100,
      negativeTtlSeconds: 5,
      refreshAheadSeconds: options.refreshAheadSeconds ?? 60,
    },
  });
  return { service, source, time, anchors };
}

const QUERY = { subject: leaf.id, trustAnchors: [ta.id] };

describe('resolution cache', () => {
  it('serves a resolution from cache until the chain expires, and never after', async () => {
    const { service, source, time } = setup({ refreshAheadSeconds: 0 });
    const first = await service.resolve(QUERY);
    assert.equal(first.outcome.ok, true);
    assert.equal(first.cached, false);
    const calls = source.calls;
    time.set(NOW + 100);
    assert.equal((await service.resolve(QUERY)).cached, true);
    assert.equal(source.calls, calls);
    const exp = first.outcome.ok ? first.outcome.chain.exp : 0;
    time.set(exp);
    const later = await service.resolve(QUERY);
    assert.equal(later.cached, false, 'an entry is not served at its exp');
    assert.ok(source.calls > calls);
  });

  it('refreshes a hot entry in the background shortly before it expires, serving the old one meanwhile', async () => {
    const { service, source, time } = setup({ refreshAheadSeconds: 60 });
    const first = await service.resolve(QUERY);
    const exp = first.outcome.ok ? first.outcome.chain.exp : 0;
    time.set(exp - 30); // inside min(60 s, lifetime / 4)
    const served = await service.resolve(QUERY);
    assert.equal(served.cached, true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(source.refreshes >= 3, 'the refresh fetched every statement anew');
    const after = await service.resolve(QUERY);
    assert.equal(after.cached, true);
    assert.ok(
      after.outcome.ok && after.outcome.chain.exp > exp,
      'the refreshed chain replaced the old one',
    );
  });

  it('shares one resolution between concurrent callers', async () => {
    const { service, source } = setup();
    let open: () => void = () => undefined;
    source.gate = new Promise((resolve) => (open = resolve));
    const pending = Array.from({ length: 25 }, () => service.resolve(QUERY));
    await new Promise((resolve) => setImmediate(resolve));
    open();
    const results = await Promise.all(pending);
    assert.ok(results.every((result) => result.outcome.ok));
    assert.equal(source.calls, 3, 'three statements, fetched once');
  });

  it('answers 503 overloaded beyond the concurrent resolution limit', async () => {
    const { service, source } = setup({ maxConcurrentResolutions: 1 });
    let open: () => void = () => undefined;
    source.gate = new Promise((resolve) => (open = resolve));
    const first = service.resolve(QUERY);
    await assert.rejects(
      service.resolve({ subject: 'https://other.example.org', trustAnchors: [ta.id] }),
      (error: unknown) =>
        error instanceof TemporarilyUnavailableError && error.reason === 'overloaded',
    );
    open();
    assert.equal((await first).outcome.ok, true);
  });

  it('drops cached results when the trust anchors are reloaded', async () => {
    const { service, anchors } = setup();
    await service.resolve(QUERY);
    assert.equal((await service.resolve(QUERY)).cached, true);
    anchors.load();
    assert.equal((await service.resolve(QUERY)).cached, false);
  });

  it('rejects a query whose anchors are all unconfigured with invalid_trust_anchor', () => {
    const { service } = setup();
    assert.throws(
      () => service.configuredAnchors(['https://x.example']),
      (error: unknown) => {
        return error instanceof Error && 'code' in error && error.code === 'invalid_trust_anchor';
      },
    );
  });
});
