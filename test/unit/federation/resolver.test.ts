/**
 * TrustChainResolver (§10): the one error that stands for a resolution, the data it reports
 * (fetches, rejected statements), and time from the Clock port only.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TrustChainResolver } from '../../../src/federation/resolver.js';
import { MemoryDecodedStatementCache } from '../../../src/infrastructure/cache/decoded-statement-cache.js';
import { createMemoryFederation, type Topology } from '../../../src/testbed/index.js';
import { NOW } from '../../support/statements.js';

const THREE_LEVELS: Topology = {
  entities: [
    { name: 'ta' },
    { name: 'inter', authorityHints: ['ta'] },
    { name: 'op', authorityHints: ['inter'] },
  ],
};

async function setup(clock?: { now(): number }) {
  const federation = await createMemoryFederation(THREE_LEVELS, { now: () => NOW });
  const resolver = new TrustChainResolver({ source: federation, ...(clock ? { clock } : {}) });
  const query = { subject: federation.entityId('op'), trustAnchors: [federation.entityId('ta')] };
  const context = { trustAnchors: [federation.trustAnchor('ta')], now: NOW };
  return { federation, resolver, query, context };
}

describe('TrustChainResolver', () => {
  it("§8.9: null metadata is invalid_metadata in the subject's configuration and in a superior's statement alike", async () => {
    const own = await setup();
    own.federation.setFaults(
      { entity: 'op' },
      { claims: { metadata: { openid_provider: { display_name: null } } } },
    );
    const subject = await own.resolver.resolve(own.query, own.context);
    assert.ok(!subject.ok);
    assert.deepEqual(
      [subject.error.code, subject.error.reason],
      ['invalid_metadata', 'metadata_null'],
    );

    const superior = await setup();
    superior.federation.setFaults(
      { issuer: 'inter', subject: 'op' },
      { claims: { metadata: { openid_provider: { display_name: null } } } },
    );
    const above = await superior.resolver.resolve(superior.query, superior.context);
    assert.ok(!above.ok);
    assert.deepEqual([above.error.code, above.error.reason], ['invalid_metadata', 'metadata_null']);
    assert.equal(above.error.location.statementIndex, 1);
  });

  it('reports the statements it rejected, by the URL they came from', async () => {
    const { federation, resolver, query, context } = await setup();
    federation.setFaults({ issuer: 'ta', subject: 'inter' }, { wrongKey: true });
    const outcome = await resolver.resolve(query, context);
    assert.ok(!outcome.ok);
    assert.equal(outcome.error.reason, 'signature_invalid');
    assert.deepEqual(outcome.rejected, [
      `${federation.entityId('ta')}/fetch?sub=${encodeURIComponent(federation.entityId('inter'))}`,
    ]);
  });

  it("keeps the subject's own failure as it was typed where it happened (a 503 upstream is temporarily_unavailable)", async () => {
    const { federation, resolver, query, context } = await setup();
    federation.setFaults({ entity: 'op' }, { status: 503 });
    const outcome = await resolver.resolve(query, context);
    assert.ok(!outcome.ok);
    assert.deepEqual(
      [outcome.error.code, outcome.error.reason, outcome.error.location.statementIndex],
      ['temporarily_unavailable', 'upstream_status', 0],
    );
  });

  it('measures fetch durations with the Clock port and nothing else', async () => {
    let now = NOW;
    const ticking = { now: () => (now += 0.25) };
    const timed = await setup(ticking);
    timed.federation.setFaults({ issuer: 'inter', subject: 'op' }, { status: 404 });
    const outcome = await timed.resolver.resolve(timed.query, timed.context);
    const failed = outcome.trace.fetches.find((fetch) => fetch.error !== undefined);
    const ms = failed?.durationMs ?? 0;
    assert.ok(ms > 0 && ms % 250 === 0, `${ms} ms: whole ticks of the given clock`);

    const untimed = await setup();
    untimed.federation.setFaults({ issuer: 'inter', subject: 'op' }, { status: 404 });
    const plain = await untimed.resolver.resolve(untimed.query, untimed.context);
    assert.equal(plain.trace.fetches.find((fetch) => fetch.error !== undefined)?.durationMs, 0);
  });
});

describe('TrustChainResolver with a DecodedStatementCache', () => {
  const SIBLINGS: Topology = {
    entities: [
      { name: 'ta' },
      { name: 'inter', authorityHints: ['ta'] },
      { name: 'op', authorityHints: ['inter'] },
      { name: 'op2', authorityHints: ['inter'] },
    ],
  };

  async function withCache() {
    const federation = await createMemoryFederation(SIBLINGS, { now: () => NOW });
    const lookups = { hits: 0, misses: 0 };
    const decoded = new MemoryDecodedStatementCache(100, 1024 * 1024, (hit) => {
      lookups[hit ? 'hits' : 'misses'] += 1;
    });
    const resolver = new TrustChainResolver({ source: federation, validation: { decoded } });
    const plain = new TrustChainResolver({ source: federation });
    const query = (name: string) => ({
      subject: federation.entityId(name),
      trustAnchors: [federation.entityId('ta')],
    });
    const context = { trustAnchors: [federation.trustAnchor('ta')], now: NOW };
    return { federation, decoded, lookups, resolver, plain, query, context };
  }

  it("decodes the superiors' statements that two subjects share once, with the same result", async () => {
    const { decoded, lookups, resolver, plain, query, context } = await withCache();
    const first = await resolver.resolve(query('op'), context);
    assert.ok(first.ok);
    // op's configuration, inter's and ta's; inter's statement about op, ta's about inter.
    assert.equal(decoded.size, 5);
    assert.equal(lookups.hits, 0);
    const second = await resolver.resolve(query('op2'), context);
    assert.ok(second.ok);
    // Only op2's configuration and inter's statement about it are new.
    assert.equal(decoded.size, 7);
    assert.equal(lookups.hits, 3);
    const fresh = await plain.resolve(query('op2'), context);
    assert.ok(fresh.ok);
    assert.deepEqual(second.chain.metadata, fresh.chain.metadata);
    assert.deepEqual(
      second.chain.statements.map((s) => s.jwt),
      fresh.chain.statements.map((s) => s.jwt),
    );
  });

  it('§3.2 steps 7, 8: a statement decoded before is still checked against the time of each resolution', async () => {
    const { resolver, query, context } = await withCache();
    assert.ok((await resolver.resolve(query('op'), context)).ok);
    const later = await resolver.resolve(query('op'), { ...context, now: NOW + 400 * 24 * 3600 });
    assert.ok(!later.ok);
    assert.equal(later.error.reason, 'statement_expired');
  });
});
