/**
 * The federation as a whole (CRAWL=on): the crawl through Subordinate Listings (§8.2), its bounds,
 * the health report, cache-only answers (RESOLVE_LIVE=never, §18.1), the Entity Collection
 * endpoint (the Entity Collection extension), and one crawl shared by two replicas on Redis.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { REASON_HINTS } from '../../src/engine/reason-hints.js';
import type { FailureReason } from '../../src/federation/errors.js';
import { startTestbed, type Testbed, type Topology } from '../../src/testbed/index.js';
import { startResolverProcess, type ResolverProcess } from '../support/resolver-process.js';
import { testRedis } from '../support/redis.js';
import { startHarness, startTestResolver, type Harness } from '../support/service.js';

const MARK = '{{url}}/marks/certified';

function op(name: string, hints: readonly string[], extra: Record<string, unknown> = {}) {
  return {
    name,
    authorityHints: hints,
    metadata: {
      openid_provider: { issuer: '{{self}}', display_name: `Provider ${name}`, ...extra },
    },
  };
}

/**
 * ta ← ia1 ← {op1, rp1}; ta ← ia2 ← ia3 ← op3 (nested); ia3 lists ta again (a loop back up); ta
 * lists an entity that does not exist and leaves op-unlisted out; op-expired's configuration has
 * expired; ia-down's list answers 503.
 */
function federation(): Topology {
  return {
    entities: [
      {
        name: 'ta',
        trustMarkIssuers: { [MARK]: ['ta'] },
        listFaults: { extra: ['http://127.0.0.1:9/nobody'], omit: ['op-unlisted'] },
      },
      { name: 'ia1', authorityHints: ['ta'] },
      { name: 'ia2', authorityHints: ['ta'] },
      { name: 'ia3', authorityHints: ['ia2'], listFaults: { extra: ['ta', 'ia2'] } },
      { name: 'ia-down', authorityHints: ['ta'], listFaults: { status: 503 } },
      {
        ...op('op1', ['ia1'], { 'display_name#de': 'Anbieter Eins', keywords: ['research'] }),
        trustMarks: [{ type: MARK, issuer: 'ta' }],
      },
      {
        name: 'rp1',
        authorityHints: ['ia1'],
        metadata: { openid_relying_party: { client_name: 'Shop', 'client_name#fr': 'Boutique' } },
      },
      op('op3', ['ia3']),
      { ...op('op-short', ['ia1']), lifetimeSeconds: 1800 },
      { ...op('op-expired', ['ia1']), faults: { expired: true } },
      op('op-hidden', ['ia-down']),
      op('op-unlisted', ['ta']),
    ],
    subordinates: [],
  };
}

interface Health {
  members: {
    total: number;
    resolved: number;
    failed: number;
    by_entity_type: Record<string, number>;
  };
  failures: Array<{ entity_id: string; error: string; reason: string; hint?: string }>;
  expiring: Array<{ entity_id: string; kind: string; url: string; exp: number }>;
  list_failures: Array<{ entity_id: string; reason: string; hint?: string }>;
  bounds: Array<{ reason: string; entity_id?: string }>;
  checked_at: number;
}

async function waitForCrawl(baseUrl: string, anchor: string, timeoutMs = 15_000): Promise<Health> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(
      `${baseUrl}/api/v1/federation?trust_anchor=${encodeURIComponent(anchor)}`,
    );
    if (response.status === 200) return (await response.json()) as Health;
    assert.equal(response.status, 503, await response.text());
    if (Date.now() > deadline) throw new Error('the crawl did not finish');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the crawl, the health report and the collection (CRAWL=on)', () => {
  let h: Harness;
  let health: Health;
  const id = (name: string) => h.testbed.entityId(name);

  before(async () => {
    h = await startHarness(federation(), ['ta'], { CRAWL: 'on', COLLECTION_MAX_LIMIT: '50' });
    health = await waitForCrawl(h.resolver.url, id('ta'));
  });
  after(() => h.close());

  async function collection(params: Record<string, string | string[]>) {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) {
      for (const v of typeof value === 'string' ? [value] : value) search.append(name, v);
    }
    const response = await fetch(`${h.resolver.url}/collection?${search.toString()}`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it('§8.2: finds every member through nested intermediates, once, and ignores the loop back up', () => {
    assert.equal(health.members.total, 10, JSON.stringify(health));
    assert.deepEqual(
      health.failures.map((failure) => [failure.entity_id, failure.reason]).sort(),
      [
        [
          'http://127.0.0.1:9/nobody',
          health.failures.find((f) => f.entity_id.endsWith('/nobody'))?.reason,
        ],
        [id('op-expired'), 'statement_expired'],
      ].sort(),
    );
    assert.equal(health.members.resolved, 8);
    assert.deepEqual(
      health.list_failures.map((failure) => [failure.entity_id, failure.reason]),
      [[id('ia-down'), 'upstream_status']],
    );
    assert.equal(health.members.by_entity_type['openid_provider'], 3);
    assert.deepEqual(health.bounds, []);
    // Each failure says how to fix it, in the words of docs/reasons.md.
    for (const failure of [...health.failures, ...health.list_failures]) {
      assert.equal(failure.hint, REASON_HINTS[failure.reason as FailureReason], failure.entity_id);
    }
  });

  it('the health report lists what expires within the horizon, each statement once', async () => {
    const soon = (await (
      await fetch(
        `${h.resolver.url}/api/v1/federation?trust_anchor=${encodeURIComponent(id('ta'))}&horizon=3600`,
      )
    ).json()) as Health;
    assert.deepEqual(
      [...new Set(soon.expiring.map((entry) => entry.entity_id))],
      [id('op-short')],
      JSON.stringify(soon.expiring),
    );
    assert.ok(soon.expiring.every((entry) => entry.exp <= soon.checked_at + 3600 + 60));
    // The default horizon (7 days) covers the testbed's one-day statements: the anchor's own
    // configuration is in every chain but reported once.
    const anchorStatements = health.expiring.filter(
      (entry) => entry.entity_id === id('ta') && entry.kind === 'statement',
    );
    assert.equal(anchorStatements.length, 1);
  });

  it('advertises federation_collection_endpoint in the resolver’s Entity Configuration', async () => {
    const jwt = await (await fetch(`${h.resolver.url}/.well-known/openid-federation`)).text();
    const metadata = decodeJwt(jwt)['metadata'] as Record<string, Record<string, unknown>>;
    assert.equal(
      metadata['federation_entity']?.['federation_collection_endpoint'],
      'https://resolver.test.example/collection',
    );
  });

  it('lists every subordinate with a valid chain, intermediates included, the anchor not, in code-point order', async () => {
    const { status, body } = await collection({ trust_anchor: id('ta') });
    assert.equal(status, 200);
    const ids = (body['entities'] as Array<{ entity_id: string }>).map((e) => e.entity_id);
    assert.deepEqual(
      ids,
      ['ia1', 'ia2', 'ia3', 'ia-down', 'op1', 'op3', 'op-short', 'rp1'].map(id).sort(),
    );
    assert.equal(body['next_entity_id'], undefined);
    assert.equal(typeof body['last_updated'], 'number');
  });

  it('ui_infos from the resolved metadata, language variants and the client_name fallback included', async () => {
    const { body } = await collection({
      trust_anchor: id('ta'),
      entity_type: 'openid_relying_party',
    });
    const [rp] = body['entities'] as Array<Record<string, unknown>>;
    assert.equal(rp?.['entity_id'], id('rp1'));
    assert.deepEqual(rp?.['entity_types'], ['openid_relying_party']);
    assert.deepEqual(rp?.['ui_infos'], {
      openid_relying_party: { display_name: 'Shop', 'display_name#fr': 'Boutique' },
    });
    const { body: ops } = await collection({ trust_anchor: id('ta'), query: 'EINS' });
    const [one] = ops['entities'] as Array<Record<string, unknown>>;
    assert.equal((ops['entities'] as unknown[]).length, 1);
    assert.deepEqual((one?.['ui_infos'] as Record<string, unknown>)['openid_provider'], {
      display_name: 'Provider op1',
      'display_name#de': 'Anbieter Eins',
      keywords: ['research'],
    });
  });

  it('filters: entity_type (any of), trust_mark_type (every, verified only), query on the identifier and keywords', async () => {
    const types = await collection({
      trust_anchor: id('ta'),
      entity_type: ['openid_relying_party', 'federation_entity'],
    });
    const typed = (types.body['entities'] as Array<{ entity_id: string }>).map((e) => e.entity_id);
    assert.ok(typed.includes(id('rp1')) && typed.includes(id('ia1')) && !typed.includes(id('op1')));
    const marked = await collection({
      trust_anchor: id('ta'),
      trust_mark_type: `${h.testbed.url}/marks/certified`,
    });
    assert.deepEqual(
      (marked.body['entities'] as Array<{ entity_id: string }>).map((e) => e.entity_id),
      [id('op1')],
    );
    const none = await collection({
      trust_anchor: id('ta'),
      trust_mark_type: [`${h.testbed.url}/marks/certified`, `${h.testbed.url}/marks/other`],
    });
    assert.deepEqual(none.body['entities'], []);
    const byId = await collection({ trust_anchor: id('ta'), query: '/OP3' });
    assert.deepEqual(
      (byId.body['entities'] as Array<{ entity_id: string }>).map((e) => e.entity_id),
      [id('op3')],
    );
    const byKeyword = await collection({ trust_anchor: id('ta'), query: 'research' });
    assert.equal((byKeyword.body['entities'] as unknown[]).length, 1);
  });

  it('pagination: every entity exactly once across pages of limit=3, in order, with next_entity_id', async () => {
    const seen: string[] = [];
    let from: string | undefined;
    for (let page = 0; page < 10; page++) {
      const { status, body } = await collection({
        trust_anchor: id('ta'),
        limit: '3',
        ...(from === undefined ? {} : { from_entity_id: from }),
      });
      assert.equal(status, 200);
      const entities = body['entities'] as Array<{ entity_id: string }>;
      assert.ok(entities.length <= 3);
      seen.push(...entities.map((e) => e.entity_id));
      from = body['next_entity_id'] as string | undefined;
      if (from === undefined) break;
    }
    const all = (await collection({ trust_anchor: id('ta') })).body['entities'] as Array<{
      entity_id: string;
    }>;
    assert.deepEqual(
      seen,
      all.map((e) => e.entity_id),
    );
    assert.equal(new Set(seen).size, seen.length);
  });

  it('entity_claims and ui_claims select what is included; trust_marks only when asked', async () => {
    const { body } = await collection({
      trust_anchor: id('ta'),
      query: 'op1',
      entity_claims: 'entity_id,trust_marks',
    });
    const [entity] = body['entities'] as Array<Record<string, unknown>>;
    assert.deepEqual(Object.keys(entity ?? {}).sort(), ['entity_id', 'trust_marks']);
    assert.equal((entity?.['trust_marks'] as unknown[]).length, 1);
    const ui = await collection({ trust_anchor: id('ta'), query: 'op1', ui_claims: 'keywords' });
    const [only] = ui.body['entities'] as Array<Record<string, Record<string, unknown>>>;
    assert.deepEqual(only?.['ui_infos'], { openid_provider: { keywords: ['research'] } });
    assert.equal(only?.['trust_marks'], undefined);
  });

  it('errors: trust_anchor missing 400, not configured 404, unknown from_entity_id 404 entity_id_not_found, unknown claims 400 unsupported_parameter, a bad limit 400', async () => {
    const cases: Array<[Record<string, string>, number, string]> = [
      [{}, 400, 'invalid_request'],
      [{ trust_anchor: 'https://other.example.org' }, 404, 'invalid_trust_anchor'],
      [{ trust_anchor: id('ta'), from_entity_id: id('op-unlisted') }, 404, 'entity_id_not_found'],
      [{ trust_anchor: id('ta'), entity_claims: 'secrets' }, 400, 'unsupported_parameter'],
      [{ trust_anchor: id('ta'), ui_claims: 'password' }, 400, 'unsupported_parameter'],
      [{ trust_anchor: id('ta'), limit: '0' }, 400, 'invalid_request'],
      [{ trust_anchor: id('ta'), limit: 'ten' }, 400, 'invalid_request'],
    ];
    for (const [params, status, error] of cases) {
      const answer = await collection(params);
      assert.equal(answer.status, status, JSON.stringify(params));
      assert.equal(answer.body['error'], error, JSON.stringify(params));
    }
  });

  it('pages are answered from memory, with no upstream request', async () => {
    h.testbed.requests.reset();
    for (let i = 0; i < 20; i++) {
      assert.equal((await collection({ trust_anchor: id('ta'), query: 'provider' })).status, 200);
    }
    assert.equal(h.testbed.requests.total(), 0);
  });
});

describe('crawl bounds: each stops the crawl with its reason', () => {
  let testbed: Testbed;
  before(async () => {
    testbed = await startTestbed(federation());
  });
  after(() => testbed.close());

  for (const [env, reason] of [
    [{ CRAWL_MAX_ENTITIES: '3' }, 'crawl_entity_limit'],
    [{ CRAWL_MAX_DEPTH: '1' }, 'crawl_depth_limit'],
    [{ CRAWL_MAX_LIST_ENTRIES: '2' }, 'crawl_list_limit'],
  ] as const) {
    it(`${Object.keys(env)[0]}: ${reason}`, async () => {
      const resolver = await startTestResolver(testbed, ['ta'], { CRAWL: 'on', ...env });
      try {
        const report = await waitForCrawl(resolver.service.url, testbed.entityId('ta'));
        assert.ok(
          report.bounds.some((bound) => bound.reason === reason),
          JSON.stringify(report.bounds),
        );
        if (reason === 'crawl_entity_limit') assert.equal(report.members.total, 3);
        if (reason === 'crawl_depth_limit') {
          // ia3 is two levels down: it is a member, but its subordinates are not listed.
          const anchor = encodeURIComponent(testbed.entityId('ta'));
          const page = (await (
            await fetch(`${resolver.service.url}/collection?trust_anchor=${anchor}&query=op3`)
          ).json()) as { entities: unknown[] };
          assert.equal(page.entities.length, 0, 'op3 is below the depth bound');
          assert.ok(report.bounds.some((bound) => bound.entity_id === testbed.entityId('ia2')));
        }
      } finally {
        await resolver.close();
      }
    });
  }

  it('CRAWL_PASS_TIMEOUT_SECONDS: crawl_time_limit', async () => {
    testbed.setLatency(400);
    const resolver = await startTestResolver(testbed, ['ta'], {
      CRAWL: 'on',
      CRAWL_PASS_TIMEOUT_SECONDS: '1',
      CRAWL_CONCURRENCY: '1',
    });
    try {
      const report = await waitForCrawl(resolver.service.url, testbed.entityId('ta'), 20_000);
      assert.ok(report.bounds.some((bound) => bound.reason === 'crawl_time_limit'));
      assert.ok(report.members.total < 10);
    } finally {
      testbed.setLatency(0);
      await resolver.close();
    }
  });
});

describe('§18.1 cache-only answers (RESOLVE_LIVE=never)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness(federation(), ['ta'], { CRAWL: 'on', RESOLVE_LIVE: 'never' });
    await waitForCrawl(h.resolver.url, h.testbed.entityId('ta'));
  });
  after(() => h.close());

  it('answers crawled members with zero upstream requests, and unknown subjects with 404 not_in_view and zero upstream requests', async () => {
    h.testbed.requests.reset();
    for (const path of ['/resolve', '/api/v1/resolve', '/discovery/openid-configuration']) {
      assert.equal((await h.get(path, h.query('op3'))).status, 200, path);
    }
    // A crawled member that failed keeps its failure.
    assert.equal((await h.get('/resolve', h.query('op-expired'))).status, 400);
    for (const path of ['/resolve', '/api/v1/resolve', '/api/v1/explain']) {
      const unknown = await h.get(path, h.query('op-unlisted'));
      assert.equal(unknown.status, 404, path);
      const body = (await unknown.json()) as Record<string, string>;
      assert.equal(body['error'], 'not_found');
      assert.equal(body['reason'], 'not_in_view');
      assert.match(
        body['error_description'] ?? '',
        /not in this resolver's view of the federation/,
      );
    }
    assert.equal(h.testbed.requests.total(), 0);
  });
});

describe('one crawl for two replicas on Redis', () => {
  let testbed: Testbed;
  let redis: Awaited<ReturnType<typeof testRedis>>;
  const replicas: ResolverProcess[] = [];

  before(async () => {
    testbed = await startTestbed(federation());
    redis = await testRedis();
  });
  after(async () => {
    await Promise.all(replicas.map((replica) => replica.close()));
    await testbed.close();
    await redis.stop();
  });

  it('one replica crawls, the other adopts its result: both serve the collection, upstream requests as for one crawl', async () => {
    // What one crawl costs upstream, alone.
    const alone = await startTestResolver(testbed, ['ta'], { CRAWL: 'on' });
    testbed.requests.reset();
    await waitForCrawl(alone.service.url, testbed.entityId('ta'));
    const single = testbed.requests.total();
    const singlePaths = testbed.requests.entries().map((entry) => entry.path);
    await alone.close();

    testbed.requests.reset();
    const env = {
      CRAWL: 'on',
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: redis.prefix,
      // A loaded CI machine can stall a process past 100 ms; what is tested here is one crawl.
      REDIS_TIMEOUT_MS: '1000',
      CLIENT_COLD_RATE: '0',
      CIRCUIT_BREAKER_FAILURES: '0',
    };
    const [a, b] = await Promise.all([
      startResolverProcess([testbed.trustAnchor('ta')], env),
      startResolverProcess([testbed.trustAnchor('ta')], env),
    ]);
    replicas.push(a, b);
    const reports = await Promise.all(
      [a, b].map((r) => waitForCrawl(r.url, testbed.entityId('ta'))),
    );
    assert.deepEqual(reports[0]?.members, reports[1]?.members);
    // On failure, the requests beyond one crawl's say what was fetched twice.
    const extra = testbed.requests.entries().map((entry) => entry.path);
    for (const path of singlePaths) extra.splice(extra.indexOf(path), 1);
    assert.equal(testbed.requests.total(), single, `the fleet crawled once; beyond: ${extra}`);
    for (const replica of [a, b]) {
      const page = (await (
        await fetch(
          `${replica.url}/collection?trust_anchor=${encodeURIComponent(testbed.entityId('ta'))}`,
        )
      ).json()) as { entities: unknown[] };
      assert.equal(page.entities.length, 8);
    }
  });

  // docs/decisions.md: a pass another replica stored less than half an interval ago is adopted.
  for (const [waitSeconds, crawls] of [
    [0, false],
    [5.5, true],
  ] as const) {
    it(`a replica starting ${waitSeconds} s after another's pass (interval 10 s) ${crawls ? 'crawls again' : 'adopts it: no list is fetched again'}`, async () => {
      const env = {
        CRAWL: 'on',
        CRAWL_INTERVAL_SECONDS: '10',
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: `${redis.prefix}late${waitSeconds}:`,
        REDIS_TIMEOUT_MS: '1000',
        CLIENT_COLD_RATE: '0',
        CIRCUIT_BREAKER_FAILURES: '0',
      };
      const first = await startResolverProcess([testbed.trustAnchor('ta')], env);
      replicas.push(first);
      const report = await waitForCrawl(first.url, testbed.entityId('ta'));
      await new Promise((resolve) => setTimeout(resolve, waitSeconds * 1000));
      testbed.requests.reset();
      const late = await startResolverProcess([testbed.trustAnchor('ta')], env);
      replicas.push(late);
      const adopted = await waitForCrawl(late.url, testbed.entityId('ta'));
      assert.deepEqual(adopted.members, report.members);
      // checked_at is when the pass the replica serves ended: its own, or the one it adopted.
      const lists = testbed.requests.count({ kind: 'list' });
      if (crawls) {
        assert.ok(adopted.checked_at > report.checked_at);
        assert.ok(lists >= 5, `lists fetched: ${lists}`);
      } else {
        assert.equal(adopted.checked_at, report.checked_at);
        assert.equal(lists, 0);
      }
    });
  }
});
