/**
 * What the explorer page is served with and the JSON it reads: the page and its files (media
 * types, caching, the strict Content-Security-Policy), `/` redirecting to it, EXPLORER=off
 * removing both, `/api/v1/trust-anchors`, and the statements an explanation carries.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EXPLAIN_STATEMENT_CHARS } from '../../src/engine/explain-report.js';
import { EXPLORER_CSP } from '../../src/http/routes/explorer-routes.js';
import { peek, startHarness, type Harness } from '../support/service.js';
import { threeLevel } from '../support/topologies.js';

const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

describe('the explorer page (EXPLORER=on, the default)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness(threeLevel(), ['ta', 'inter']);
  });
  after(() => h.close());

  it('serves the page with a strict Content-Security-Policy and no caching without a check', async () => {
    assert.equal(EXPLORER_CSP, PAGE_CSP);
    const response = await h.get('/explorer');
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(response.headers.get('content-security-policy'), PAGE_CSP);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(response.headers.get('cache-control'), 'no-cache');
    const html = await response.text();
    assert.match(html, /<script src="explorer\/explorer\.js" defer><\/script>/);
    assert.match(html, /<link rel="stylesheet" href="explorer\/explorer\.css" \/>/);
    // No inline script or style the policy would have to allow, and nothing from elsewhere.
    assert.doesNotMatch(html, /<script>|<style|style="|\son[a-z]+=|(src|href)="(https?:)?\/\//);
  });

  it('serves its script and style sheet with their media types, nosniff and a short cache', async () => {
    for (const [path, type] of [
      ['/explorer/explorer.js', 'text/javascript; charset=utf-8'],
      ['/explorer/explorer.css', 'text/css; charset=utf-8'],
    ] as const) {
      const response = await h.get(path);
      assert.equal(response.status, 200, path);
      assert.equal(response.headers.get('content-type'), type, path);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff', path);
      assert.equal(response.headers.get('content-security-policy'), PAGE_CSP, path);
      assert.equal(response.headers.get('cache-control'), 'public, max-age=300', path);
      const text = await response.text();
      assert.ok(text.length > 1000 && text.length < 40_000, `${path}: ${text.length} bytes`);
      // The script builds the page with text, never by parsing markup.
      assert.doesNotMatch(text, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
    }
    assert.equal((await h.get('/explorer/index.html')).status, 404);
    assert.equal((await h.get('/explorer/other.js')).status, 404);
  });

  it('redirects / to the page', async () => {
    const response = await fetch(`${h.resolver.url}/`, { redirect: 'manual' });
    assert.equal(response.status, 302);
    assert.equal(
      new URL(response.headers.get('location') ?? '', `${h.resolver.url}/`).pathname,
      '/explorer',
    );
    assert.equal(response.headers.get('cache-control'), 'no-store');
  });

  it('lists the configured trust anchors, and whether the federation view exists', async () => {
    const response = await h.get('/api/v1/trust-anchors');
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.deepEqual(await response.json(), {
      trust_anchors: [h.testbed.entityId('inter'), h.testbed.entityId('ta')].sort(),
      crawl: false,
    });
  });

  it('explains with every statement received and the validated chain as JWTs', async () => {
    const response = await h.get('/api/v1/explain', h.query('op', 'ta'));
    assert.equal(response.status, 200);
    const report = (await response.json()) as {
      chosen: { trust_chain: string[]; trust_chain_statements: string[] };
      fetches: Array<{ kind: string; iss: string; sub: string; statement?: string }>;
    };
    const [op, inter, ta] = ['op', 'inter', 'ta'].map((name) => h.testbed.entityId(name));
    assert.deepEqual(report.chosen.trust_chain, [op, inter, ta]);
    // §4: the subject's configuration, the statements of each superior, the anchor's configuration.
    assert.deepEqual(
      report.chosen.trust_chain_statements.map((jwt) => {
        const { claims } = peek(jwt);
        return [claims['iss'], claims['sub']];
      }),
      [
        [op, op],
        [inter, op],
        [ta, inter],
        [ta, ta],
      ],
    );
    for (const fetch of report.fetches) {
      assert.ok(fetch.statement !== undefined, `${fetch.kind} ${fetch.iss} ${fetch.sub}`);
      const { claims } = peek(fetch.statement);
      assert.deepEqual([claims['iss'], claims['sub']], [fetch.iss, fetch.sub]);
    }
    assert.ok(report.fetches.some((f) => f.kind === 'subordinate_statement' && f.iss === inter));
  });
});

describe('an explanation of a broken chain', () => {
  let h: Harness;
  before(async () => {
    const topology = threeLevel();
    h = await startHarness(
      {
        ...topology,
        subordinates: [{ issuer: 'inter', subject: 'op', faults: { expired: true } }],
      },
      ['ta'],
    );
  });
  after(() => h.close());

  it('carries the statement that was received and rejected, for a reader to see what it says', async () => {
    const report = (await (await h.get('/api/v1/explain', h.query('op'))).json()) as {
      outcome: string;
      chosen?: unknown;
      branches: Array<{ failure?: { reason: string; statement_index?: number } }>;
      fetches: Array<{ kind: string; iss: string; statement?: string }>;
    };
    assert.equal(report.outcome, 'failed');
    assert.equal(report.chosen, undefined);
    assert.equal(report.branches[0]?.failure?.reason, 'statement_expired');
    assert.equal(report.branches[0]?.failure?.statement_index, 1);
    const rejected = report.fetches.find(
      (f) => f.kind === 'subordinate_statement' && f.iss === h.testbed.entityId('inter'),
    );
    const { claims } = peek(rejected?.statement ?? '');
    assert.equal(claims['sub'], h.testbed.entityId('op'));
    assert.ok(Number(claims['exp']) < Date.now() / 1000);
  });
});

describe('an explanation of statements larger than its budget', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness(threeLevel(), ['ta'], { MAX_RESPONSE_BYTES: String(2 * 1024 * 1024) });
  });
  after(() => h.close());

  it('repeats at most EXPLAIN_STATEMENT_CHARS of received statements and marks the rest omitted', async () => {
    // The subject's configuration alone is beyond the budget; the others fit.
    h.testbed.setFaults(
      { entity: 'op' },
      { claims: { x_padding: 'a'.repeat(EXPLAIN_STATEMENT_CHARS) } },
    );
    const response = await h.get('/api/v1/explain', h.query('op'));
    const report = (await response.json()) as {
      outcome: string;
      chosen?: { trust_chain_statements: string[] };
      fetches: Array<{ kind: string; iss: string; statement?: string; statement_omitted?: true }>;
    };
    assert.equal(report.outcome, 'resolved');
    const own = report.fetches.filter((f) => f.iss === h.testbed.entityId('op'));
    assert.deepEqual(
      own.map((f) => [f.statement, f.statement_omitted]),
      [[undefined, true]],
    );
    const others = report.fetches.filter((f) => f.iss !== h.testbed.entityId('op'));
    assert.ok(others.length >= 3);
    assert.ok(
      others.every((f) => typeof f.statement === 'string' && f.statement_omitted === undefined),
    );
    // The validated chain is always there, the large configuration included.
    assert.ok((report.chosen?.trust_chain_statements[0]?.length ?? 0) > EXPLAIN_STATEMENT_CHARS);
  });
});

describe('the explorer with EXPLORER=off', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness(threeLevel(), ['ta'], { EXPLORER: 'off' });
  });
  after(() => h.close());

  it('serves neither the page, its files nor the redirect', async () => {
    for (const path of ['/', '/explorer', '/explorer/explorer.js', '/explorer/explorer.css']) {
      const response = await fetch(`${h.resolver.url}${path}`, { redirect: 'manual' });
      assert.equal(response.status, 404, path);
      assert.equal(((await response.json()) as { reason: string }).reason, 'endpoint_not_found');
    }
    // The JSON APIs stay.
    assert.equal((await h.get('/api/v1/trust-anchors')).status, 200);
  });
});
