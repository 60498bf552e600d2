/**
 * The engine's resolution service (§10.2, §10.4, §10.5) over an in-memory federation and a clock
 * moved by hand: served until the chain's exp and never after, refreshed in the background
 * shortly before, shared between concurrent callers, bounded in concurrency, dropped when the
 * trust anchors change, failures kept as their reason only, rejected statements forgotten, and
 * the trust mark issuers' chains started by the engine while the subject is still discovered.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolutionKey } from '../../../src/engine/index.js';
import { TemporarilyUnavailableError } from '../../../src/federation/errors.js';
import { createMemoryFederation, type Topology } from '../../../src/testbed/index.js';
import { createTestEngine, testClock } from '../../support/engine.js';
import { NOW } from '../../support/statements.js';

const LIFETIME = 400;

const TWO_LEVELS: Topology = {
  entities: [
    { name: 'ta', lifetimeSeconds: LIFETIME },
    { name: 'leaf', authorityHints: ['ta'], lifetimeSeconds: LIFETIME },
  ],
};

async function setup(
  options: Parameters<typeof createTestEngine>[2] & { topology?: Topology } = {},
) {
  const clock = options.clock ?? testClock();
  const federation = await createMemoryFederation(options.topology ?? TWO_LEVELS, {
    now: () => clock.now(),
  });
  const built = await createTestEngine(federation, ['ta'], { ...options, clock });
  const query = { subject: federation.entityId('leaf'), trustAnchors: [federation.entityId('ta')] };
  return { ...built, federation, query };
}

describe('resolution service: the resolution cache (§10.2, §10.4)', () => {
  it('serves a resolution from cache until the chain expires, and never after', async () => {
    const { resolutions, federation, clock, query } = await setup({ refreshAheadSeconds: 0 });
    const first = await resolutions.resolve(query);
    assert.equal(first.cached, false);
    const calls = federation.requests.total();
    clock.set(NOW + 100);
    assert.equal((await resolutions.resolve(query)).cached, true);
    assert.equal(federation.requests.total(), calls);
    clock.set(first.chain.exp);
    federation.reissue();
    const later = await resolutions.resolve(query);
    assert.equal(later.cached, false, 'an entry is not served at its exp');
    assert.ok(federation.requests.total() > calls);
  });

  it('refreshes a hot entry in the background shortly before it expires, serving the old one meanwhile', async () => {
    const { resolutions, federation, clock, query } = await setup({ refreshAheadSeconds: 60 });
    const first = await resolutions.resolve(query);
    const exp = first.chain.exp;
    clock.set(exp - 30); // inside min(60 s, lifetime / 4)
    federation.reissue();
    const before = federation.requests.total();
    const served = await resolutions.resolve(query);
    assert.equal(served.cached, true);
    assert.equal(served.chain.exp, exp, 'the old entry is served meanwhile');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(
      federation.requests.total() - before,
      3,
      'the refresh fetched every statement anew',
    );
    const after = await resolutions.resolve(query);
    assert.equal(after.cached, true);
    assert.ok(after.chain.exp > exp, 'the refreshed chain replaced the old one');
  });

  it('shares one resolution between concurrent callers', async () => {
    const { resolutions, federation, query } = await setup();
    const release = federation.hold();
    const pending = Array.from({ length: 25 }, () => resolutions.resolve(query));
    await new Promise((resolve) => setImmediate(resolve));
    release();
    const results = await Promise.all(pending);
    assert.equal(new Set(results.map((result) => result.contentId)).size, 1);
    assert.equal(federation.requests.total(), 3, 'three statements, fetched once');
  });

  it('answers 503 overloaded beyond the concurrent resolution limit', async () => {
    const { resolutions, federation, query } = await setup({ maxConcurrentResolutions: 1 });
    const release = federation.hold();
    const first = resolutions.resolve(query);
    await assert.rejects(
      resolutions.resolve({
        subject: 'https://other.example.org',
        trustAnchors: query.trustAnchors,
      }),
      (error: unknown) =>
        error instanceof TemporarilyUnavailableError && error.reason === 'overloaded',
    );
    release();
    assert.equal((await first).cached, false);
  });

  it('drops cached results when the trust anchors change', async () => {
    const { resolutions, anchors, query } = await setup();
    await resolutions.resolve(query);
    assert.equal((await resolutions.resolve(query)).cached, true);
    anchors.replace(anchors.all());
    assert.equal((await resolutions.resolve(query)).cached, false);
  });

  it('rejects a query whose anchors are all unconfigured with invalid_trust_anchor', async () => {
    const { resolutions } = await setup();
    assert.throws(
      () => resolutions.configuredAnchors(['https://x.example']),
      (error: unknown) =>
        error instanceof Error && 'code' in error && error.code === 'invalid_trust_anchor',
    );
  });
});

describe('resolution service: failures (§10.5)', () => {
  it('caches a failure for the negative TTL as its reason only, not the trace of what was read', async () => {
    const { resolutions, federation, failed, anchors, clock, query } = await setup({
      negativeTtlSeconds: 5,
    });
    federation.setFaults({ issuer: 'ta', subject: 'leaf' }, { expired: true });
    await assert.rejects(resolutions.resolve(query), { code: 'invalid_trust_chain' });
    const calls = federation.requests.total();
    await assert.rejects(resolutions.resolve(query), { reason: 'statement_expired' });
    assert.equal(federation.requests.total(), calls, 'served from the negative cache');
    const key = resolutionKey(anchors.version, query.subject, anchors.all());
    const entry = await failed.get(key);
    assert.ok(entry !== undefined && !entry.result.ok);
    assert.deepEqual(Object.keys(entry.result).sort(), ['failure', 'ok']);
    assert.equal(entry.result.failure.reason, 'statement_expired');
    clock.advance(6);
    federation.setFaults({ issuer: 'ta', subject: 'leaf' }, undefined);
    const fixed = await resolutions.resolve(query);
    assert.equal(fixed.cached, false);
  });

  it('forgets the statements a resolution rejected, so a fix upstream is picked up at once', async () => {
    const { resolutions, federation, clock, query } = await setup();
    federation.setFaults({ issuer: 'ta', subject: 'leaf' }, { wrongKey: true });
    await assert.rejects(resolutions.resolve(query), { reason: 'signature_invalid' });
    federation.setFaults({ issuer: 'ta', subject: 'leaf' }, undefined);
    clock.advance(6); // past the negative cache of the resolution, not of any statement
    const fixed = await resolutions.resolve(query);
    assert.equal(fixed.chain.subject, query.subject);
    assert.equal(
      federation.requests.count({ entity: 'ta', kind: 'fetch', subject: 'leaf' }),
      2,
      'the rejected statement was fetched again',
    );
    assert.equal(
      federation.requests.count({ entity: 'leaf', kind: 'configuration' }),
      1,
      'the accepted configuration stayed cached',
    );
  });
});

/** ta ← inter ← leaf, and certifier under ta, who issues leaf a mark the anchor accredits. */
const MARKED: Topology = {
  entities: [
    {
      name: 'ta',
      trustMarkIssuers: { '{{url}}/marks/certified': ['certifier'] },
    },
    { name: 'inter', authorityHints: ['ta'] },
    { name: 'certifier', authorityHints: ['ta'] },
    {
      name: 'leaf',
      authorityHints: ['inter'],
      trustMarks: [{ type: '{{url}}/marks/certified', issuer: 'certifier' }],
    },
  ],
};

describe('resolution service: trust marks orchestrated by the engine (§7.3, §8.3.2)', () => {
  it('a cached resolution keeps each statement as its JWS and only the claims still read', async () => {
    const { resolutions, resolved, anchors, query } = await setup({ topology: MARKED });
    await resolutions.resolve(query);
    const entry = await resolved.get(resolutionKey(anchors.version, query.subject, anchors.all()));
    assert.ok(entry !== undefined && entry.result.ok);
    const statements = entry.result.chain.statements;
    assert.equal(statements.length, 4);
    const kept = statements.map((statement) => Object.keys(statement.claims).sort());
    const base = ['exp', 'iat', 'iss', 'jwks', 'sub'];
    assert.deepEqual(kept, [
      [...base, 'trust_marks'].sort(), // the subject: its marks are evaluated later
      base,
      base,
      [...base, 'trust_mark_issuers'].sort(), // the anchor: whom it accredits
    ]);
    // The JWS is kept whole: what was dropped from the claims is still in it.
    const payload = (jwt: string): Record<string, unknown> =>
      JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8'));
    assert.ok('metadata' in payload(statements[3]?.jwt ?? ''), "the anchor's metadata");
    assert.ok('authority_hints' in payload(statements[0]?.jwt ?? ''), "the subject's hints");
    const again = await resolutions.resolve(query);
    assert.equal(again.cached, true);
    assert.equal(again.trustMarks?.verified.length, 1);
  });

  it("starts the issuer's chain while the subject's superiors are still being fetched", async () => {
    const { resolutions, federation, query } = await setup({ topology: MARKED });
    // The last step of the subject's own chain is slow; the issuer's chain is not.
    federation.setFaults({ issuer: 'ta', subject: 'inter' }, { delayMs: 150 });
    const served = await resolutions.resolve(query);
    assert.equal(served.trustMarks?.verified.length, 1);
    const log = federation.requests.entries();
    const slow = log.find(
      (entry) => entry.kind === 'fetch' && entry.subject === federation.entityId('inter'),
    );
    const issuer = log.filter(
      (entry) =>
        entry.entity === 'certifier' ||
        (entry.kind === 'fetch' && entry.subject === federation.entityId('certifier')),
    );
    assert.ok(slow !== undefined);
    assert.equal(
      issuer.length,
      2,
      "the certifier's configuration and the anchor's statement about it",
    );
    assert.ok(
      issuer.every((entry) => entry.at < slow.at + 150),
      "the issuer's chain was requested before the subject's chain was complete",
    );
  });

  it('explains every mark: verified ones and rejected ones with their reason', async () => {
    const { resolutions, federation, query } = await setup({ topology: MARKED });
    federation.setTrustMarkFaults('leaf', '{{url}}/marks/certified', { wrongKey: true });
    const explained = await resolutions.explain(query);
    assert.ok(explained.outcome.ok, 'a bad mark never breaks the chain');
    assert.equal(explained.trustMarks?.verified.length, 0);
    assert.equal(explained.trustMarks?.rejected[0]?.failure.reason, 'signature_invalid');
    assert.equal(explained.trustMarks?.rejected[0]?.failure.code, 'not_found');
  });

  it('a status endpoint that cannot be reached leaves the mark out as temporarily unavailable', async () => {
    const { resolutions, federation, query } = await setup({
      topology: MARKED,
      statusCheck: 'always',
    });
    federation.setTrustMarkStatus('leaf', '{{url}}/marks/certified', { http: 503 });
    const served = await resolutions.resolve(query);
    assert.equal(served.trustMarks?.verified.length, 0);
    const failure = served.trustMarks?.rejected[0]?.failure;
    assert.equal(failure?.reason, 'trust_mark_status_unavailable');
    assert.equal(failure?.code, 'temporarily_unavailable');
  });

  it('a status response that is not from the issuer is trust_mark_status_invalid', async () => {
    const { resolutions, federation, query } = await setup({
      topology: MARKED,
      statusCheck: 'always',
    });
    federation.setTrustMarkStatus('leaf', '{{url}}/marks/certified', 'active', { wrongKey: true });
    const served = await resolutions.resolve(query);
    const failure = served.trustMarks?.rejected[0]?.failure;
    assert.equal(failure?.reason, 'trust_mark_status_invalid');
    assert.match(failure?.message ?? '', /signature_invalid/);
  });
});

describe('resolution service: what cached chains keep', () => {
  const THREE_LEVELS: Topology = {
    entities: [
      { name: 'ta' },
      { name: 'ia', authorityHints: ['ta'] },
      { name: 'leaf', authorityHints: ['ia'] },
      { name: 'leaf-b', authorityHints: ['ia'] },
    ],
  };

  it("holds the superiors' statements that many chains share once, and each subject's own apart", async () => {
    const { resolutions, federation } = await setup({ topology: THREE_LEVELS });
    const trustAnchors = [federation.entityId('ta')];
    const a = await resolutions.resolve({ subject: federation.entityId('leaf'), trustAnchors });
    const b = await resolutions.resolve({ subject: federation.entityId('leaf-b'), trustAnchors });
    const served = async (name: string) =>
      (await resolutions.resolve({ subject: federation.entityId(name), trustAnchors })).chain;
    const [cachedA, cachedB] = [await served('leaf'), await served('leaf-b')];
    assert.equal(cachedA.statements.length, 4);
    // ta → ia and ta's configuration: one object for both chains.
    assert.equal(cachedA.statements[2], cachedB.statements[2]);
    assert.equal(cachedA.statements[3], cachedB.statements[3]);
    // The subjects' configurations and ia's statements about them are their own.
    assert.notEqual(cachedA.statements[1]?.jwt, cachedB.statements[1]?.jwt);
    // Nothing read later is lost: the JWS, the identity, the time and the keys.
    for (const [fresh, kept] of [
      [a.chain, cachedA],
      [b.chain, cachedB],
    ] as const) {
      assert.deepEqual(
        kept.statements.map((s) => [
          s.jwt,
          s.claims.iss,
          s.claims.sub,
          s.claims.exp,
          s.claims.jwks,
        ]),
        fresh.statements.map((s) => [
          s.jwt,
          s.claims.iss,
          s.claims.sub,
          s.claims.exp,
          s.claims.jwks,
        ]),
      );
    }
  });
});

describe("resolver engine: an anchor candidate's configuration checked against its own keys (§11.3)", () => {
  it('returns the keys and exp of a self-consistent configuration, and rejects one that is not', async () => {
    const { engine, federation } = await setup();
    const ta = federation.entityId('ta');
    const candidate = await engine.selfSignedConfiguration(ta);
    assert.deepEqual(candidate, {
      entityId: ta,
      jwks: federation.trustAnchor('ta').jwks,
      exp: NOW + LIFETIME,
    });
    federation.setFaults({ entity: 'ta' }, { wrongKey: true });
    await assert.rejects(engine.selfSignedConfiguration(ta), { reason: 'signature_invalid' });
    federation.setFaults({ entity: 'ta' }, { expired: true });
    await assert.rejects(engine.selfSignedConfiguration(ta), { reason: 'statement_expired' });
  });
});
