/**
 * RESOLUTION_WORKERS (docs/decisions.md): cold resolutions run in worker threads and answer
 * exactly as on the service thread, valid and invalid subjects alike (§10); a crawl through
 * workers fetches each statement once; the workers' counters reach /metrics; a purge empties
 * their caches too.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestbed, type Testbed, type Topology } from '../../src/testbed/index.js';
import { startTestResolver, type TestResolver } from '../support/service.js';

const MARK = '{{url}}/marks/certified';
const ADMIN_TOKEN = 'admin-secret-for-worker-tests';

/** ta ← ia1 ← {op1, rp1, op-expired, op-wrongkey}; ta ← ia2 ← ia3 ← op3. */
function federation(): Topology {
  const op = (name: string, hint: string) => ({
    name,
    authorityHints: [hint],
    metadata: { openid_provider: { issuer: '{{self}}', display_name: `Provider ${name}` } },
  });
  return {
    entities: [
      { name: 'ta', trustMarkIssuers: { [MARK]: ['ta'] } },
      { name: 'ia1', authorityHints: ['ta'] },
      { name: 'ia2', authorityHints: ['ta'] },
      { name: 'ia3', authorityHints: ['ia2'] },
      { ...op('op1', 'ia1'), trustMarks: [{ type: MARK, issuer: 'ta' }] },
      { name: 'rp1', authorityHints: ['ia1'], metadata: { openid_relying_party: {} } },
      { ...op('op-expired', 'ia1'), faults: { expired: true } },
      { ...op('op-wrongkey', 'ia1'), faults: { wrongKey: true } },
      op('op3', 'ia3'),
    ],
    subordinates: [],
  };
}

const SUBJECTS = ['op1', 'rp1', 'op3', 'ia3', 'op-expired', 'op-wrongkey'] as const;

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

async function getJson(url: string): Promise<Answer> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The parts of an answer that do not depend on when or on which thread it was computed. */
function stable(answer: Answer): unknown {
  const { resolved_at: _at, cached: _cached, ...rest } = answer.body;
  return { status: answer.status, ...rest };
}

/** Every fetch of an explanation without its timing and cache state. */
function stableExplain(answer: Answer): unknown {
  const body = answer.body as { fetches?: Array<Record<string, unknown>> };
  return {
    ...(stable(answer) as object),
    fetches: (body.fetches ?? []).map(({ duration_ms: _ms, cache_hit: _hit, ...fetch }) => fetch),
  };
}

describe('RESOLUTION_WORKERS: cold resolutions in worker threads', () => {
  let testbed: Testbed;
  let onThread: TestResolver;
  let inWorkers: TestResolver;
  const url = (resolver: TestResolver, path: string, subject: string) =>
    `${resolver.service.url}${path}?${new URLSearchParams({
      sub: testbed.entityId(subject),
      trust_anchor: testbed.entityId('ta'),
    }).toString()}`;

  before(async () => {
    testbed = await startTestbed(federation());
    onThread = await startTestResolver(testbed, ['ta']);
    inWorkers = await startTestResolver(testbed, ['ta'], {
      RESOLUTION_WORKERS: '2',
      ADMIN_TOKEN,
    });
  });
  after(async () => {
    await inWorkers?.close();
    await onThread?.close();
    await testbed?.close();
  });

  it('§10: /api/v1/resolve answers as on the service thread, chains, trust marks and failures with their reason and statement index', async () => {
    for (const subject of SUBJECTS) {
      const expected = await getJson(url(onThread, '/api/v1/resolve', subject));
      const actual = await getJson(url(inWorkers, '/api/v1/resolve', subject));
      assert.deepEqual(stable(actual), stable(expected), subject);
      if (actual.status === 200) assert.equal(actual.body['cached'], false, subject);
    }
    const failed = await getJson(url(inWorkers, '/api/v1/resolve', 'op-wrongkey'));
    assert.equal(failed.status, 400);
    assert.equal(failed.body['error'], 'invalid_trust_chain');
  });

  it('§8.3: the signed /resolve answer of a worker-resolved subject carries the same claims', async () => {
    const claims = async (resolver: TestResolver) => {
      const response = await fetch(url(resolver, '/resolve', 'op3'));
      assert.equal(response.status, 200);
      const payload = (await response.text()).split('.')[1] ?? '';
      const {
        iat: _iat,
        exp: _exp,
        iss: _iss,
        ...rest
      } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
      return rest;
    };
    assert.deepEqual(await claims(inWorkers), await claims(onThread));
  });

  it('/api/v1/explain (exhaustive, with every statement received) answers as on the service thread', async () => {
    for (const subject of ['op1', 'op-expired'] as const) {
      assert.deepEqual(
        stableExplain(await getJson(url(inWorkers, '/api/v1/explain', subject))),
        stableExplain(await getJson(url(onThread, '/api/v1/explain', subject))),
        subject,
      );
    }
  });

  it("/metrics counts the workers' upstream requests and statement cache lookups", async () => {
    const metrics = await (await fetch(`${inWorkers.service.url}/metrics`)).text();
    const value = (line: string) => {
      const found = metrics.split('\n').find((l) => l.startsWith(line));
      return found === undefined ? NaN : Number(found.slice(line.length).trim());
    };
    // Six subjects, four fetched statements or more each: all of them fetched by the workers.
    assert.ok(value('resolver_upstream_fetches_total{result="200"}') >= 10, metrics);
    assert.ok(value('resolver_cache_misses_total{cache="statements"}') >= 10, metrics);
    // The process's own figures appear once, not once per thread.
    assert.equal(
      metrics.split('\n').filter((l) => l.startsWith('# TYPE process_cpu_seconds_total')).length,
      1,
    );
  });

  it("a purge empties the workers' statement caches too: the purged subject is fetched again", async () => {
    assert.equal((await getJson(url(inWorkers, '/api/v1/resolve', 'rp1'))).status, 200);
    testbed.requests.reset();
    assert.equal((await getJson(url(inWorkers, '/api/v1/resolve', 'rp1'))).status, 200);
    assert.equal(testbed.requests.total(), 0, 'cached');
    const purge = await fetch(`${inWorkers.service.url}/admin/cache/purge`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sub: testbed.entityId('rp1') }),
    });
    assert.equal(purge.status, 200);
    assert.ok(((await purge.json()) as { purged: number }).purged >= 3);
    assert.equal((await getJson(url(inWorkers, '/api/v1/resolve', 'rp1'))).status, 200);
    assert.equal(testbed.requests.count({ kind: 'configuration', entity: 'rp1' }), 1);
    assert.equal(testbed.requests.count({ kind: 'fetch', subject: 'rp1' }), 1);
  });
});

describe('RESOLUTION_WORKERS: a crawl through worker threads', () => {
  let testbed: Testbed;
  before(async () => {
    testbed = await startTestbed(federation());
  });
  after(() => testbed.close());

  /** Crawls once with `workers`; the members and the upstream requests, by path. */
  async function crawl(workers: number) {
    testbed.requests.reset();
    const resolver = await startTestResolver(testbed, ['ta'], {
      CRAWL: 'on',
      RESOLUTION_WORKERS: String(workers),
    });
    try {
      const report = `${resolver.service.url}/api/v1/federation?trust_anchor=${encodeURIComponent(testbed.entityId('ta'))}`;
      const deadline = Date.now() + 15_000;
      for (;;) {
        const response = await fetch(report);
        if (response.status === 200) {
          const health = (await response.json()) as {
            members: unknown;
            failures: Array<{ entity_id: string; reason: string }>;
          };
          const paths = testbed.requests
            .entries()
            .filter((entry) => entry.kind !== 'status')
            .map((entry) => entry.path)
            .sort();
          return { members: health.members, failures: health.failures, paths };
        }
        assert.ok(Date.now() < deadline, 'no crawl pass ended within 15 s');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await resolver.close();
    }
  }

  it('finds the same members and failures as on the service thread, and fetches every statement once', async () => {
    const alone = await crawl(0);
    const pooled = await crawl(2);
    assert.deepEqual(pooled.members, alone.members);
    assert.deepEqual(pooled.failures, alone.failures);
    assert.ok(pooled.failures.some((failure) => failure.reason === 'statement_expired'));
    assert.deepEqual(pooled.paths, alone.paths);
    assert.equal(new Set(pooled.paths).size, pooled.paths.length, 'a statement fetched twice');
  });
});
