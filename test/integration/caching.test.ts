/**
 * Caching, sharing of in-flight work and the resolution deadline (§10.2, §10.4, §10.5), measured
 * by the testbed's request counters.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sampleFederation } from '../../src/testbed/index.js';
import { startHarness } from '../support/service.js';
import { threeLevel } from '../support/topologies.js';

describe('caching and shared work', () => {
  it('a second identical resolution makes zero upstream requests', async () => {
    const h = await startHarness(threeLevel(), ['ta']);
    try {
      const first = await h.get('/resolve', h.query('op'));
      assert.equal(first.status, 200);
      const upstream = h.testbed.requests.total();
      assert.ok(upstream >= 5, 'the cold resolution fetched the chain');
      const second = await h.get('/resolve', h.query('op'));
      assert.equal(second.status, 200);
      assert.equal(await second.text(), await first.text(), 'the signed response is reused too');
      assert.equal(h.testbed.requests.total(), upstream);
      const json = (await (
        await h.get('/api/v1/resolve', h.query('op', 'ta', { entity_type: 'openid_provider' }))
      ).json()) as {
        cached: boolean;
      };
      assert.equal(json.cached, true);
      assert.equal(h.testbed.requests.total(), upstream);
    } finally {
      await h.close();
    }
  });

  it('a resolution of another subject reuses the statements it shares (statement cache)', async () => {
    const h = await startHarness(sampleFederation(), ['ta']);
    try {
      assert.equal((await h.get('/resolve', h.query('op-university'))).status, 200);
      h.testbed.requests.reset();
      assert.equal((await h.get('/resolve', h.query('rp-broken'))).status, 400);
      // Only what is new: rp-broken's configuration and the university's statement about it.
      assert.equal(h.testbed.requests.count({ entity: 'ta' }), 0);
      assert.equal(h.testbed.requests.count({ kind: 'configuration', entity: 'university' }), 0);
      assert.equal(h.testbed.requests.total(), 2);
    } finally {
      await h.close();
    }
  });

  it('50 concurrent cold resolutions of one subject fetch each statement once', async () => {
    const h = await startHarness(sampleFederation(), ['ta']);
    try {
      h.testbed.setLatency(20);
      const responses = await Promise.all(
        Array.from({ length: 50 }, () => h.get('/resolve', h.query('op-research'))),
      );
      const bodies = await Promise.all(responses.map((response) => response.text()));
      assert.ok(responses.every((response) => response.status === 200));
      assert.equal(new Set(bodies).size, 1);
      const paths = h.testbed.requests.entries().map((entry) => entry.path);
      assert.ok(paths.length > 0);
      assert.deepEqual(
        paths.filter((path, index) => paths.indexOf(path) !== index),
        [],
        'no statement was requested twice',
      );
    } finally {
      await h.close();
    }
  });

  it('concurrent resolutions of different subjects share the statements they have in common', async () => {
    const h = await startHarness(sampleFederation(), ['ta']);
    try {
      h.testbed.setLatency(20);
      const subjects = ['op-university', 'op-research', 'rp-lab', 'rp-shop'];
      const responses = await Promise.all(
        subjects.map((subject) => h.get('/resolve', h.query(subject))),
      );
      assert.deepEqual(
        responses.map((response) => response.status),
        [200, 200, 200, 200],
      );
      const paths = h.testbed.requests.entries().map((entry) => entry.path);
      assert.equal(new Set(paths).size, paths.length);
    } finally {
      await h.close();
    }
  });
});

describe('deadline', () => {
  it('a slow upstream hits the resolution deadline with 503, and the service keeps answering', async () => {
    const h = await startHarness(threeLevel(), ['ta'], {
      RESOLUTION_TIMEOUT_MS: '300',
      FETCH_TIMEOUT_MS: '5000',
    });
    try {
      h.testbed.setFaults({ issuer: 'ta', subject: 'inter' }, { delayMs: 3000 });
      const slow = h.get('/resolve', h.query('op'));
      // While the slow resolution waits, the service answers other requests.
      const health = await h.get('/healthz');
      assert.equal(health.status, 200);
      const response = await slow;
      assert.equal(response.status, 503);
      assert.equal(response.headers.get('retry-after'), '5');
      const body = (await response.json()) as { error: string; error_description: string };
      assert.equal(body.error, 'temporarily_unavailable');
      assert.match(body.error_description, /deadline/);
      assert.equal((await h.get('/resolve', h.query('rp'))).status, 200);
      const explain = (await (await h.get('/api/v1/explain', h.query('op'))).json()) as {
        branches: Array<{ failure?: { reason: string } }>;
      };
      assert.ok(explain.branches.some((branch) => branch.failure?.reason === 'deadline_exceeded'));
    } finally {
      await h.close();
    }
  });

  it('an upstream slower than FETCH_TIMEOUT_MS is reported as upstream_timeout', async () => {
    const h = await startHarness(threeLevel(), ['ta'], {
      RESOLUTION_TIMEOUT_MS: '5000',
      FETCH_TIMEOUT_MS: '200',
    });
    try {
      h.testbed.setFaults({ issuer: 'inter', subject: 'op' }, { delayMs: 2000 });
      const response = await h.get('/resolve', h.query('op'));
      assert.equal(response.status, 503);
      const explain = (await (await h.get('/api/v1/explain', h.query('op'))).json()) as {
        error?: { reason: string };
      };
      assert.equal(explain.error?.reason, 'upstream_timeout');
    } finally {
      await h.close();
    }
  });
});

describe('bounds', () => {
  it('§18.1: MAX_FETCHES_PER_RESOLUTION ends the resolution with fetch_limit_exceeded, a 503 that says so (no chain was seen whole)', async () => {
    const h = await startHarness(threeLevel(), ['ta'], { MAX_FETCHES_PER_RESOLUTION: '3' });
    try {
      const response = await h.get('/resolve', h.query('op'));
      assert.equal(response.status, 503);
      assert.ok(response.headers.get('retry-after') !== null);
      const body = (await response.json()) as { error: string; error_description: string };
      assert.equal(body.error, 'temporarily_unavailable');
      assert.match(body.error_description, /fetch limit/);
      const explain = (await (await h.get('/api/v1/explain', h.query('op'))).json()) as {
        branches: Array<{ failure?: { reason: string } }>;
      };
      assert.ok(
        explain.branches.some((branch) => branch.failure?.reason === 'fetch_limit_exceeded'),
      );
    } finally {
      await h.close();
    }
  });

  it('MAX_CHAIN_DEPTH ends a branch with max_depth_exceeded', async () => {
    const h = await startHarness(threeLevel(), ['ta'], { MAX_CHAIN_DEPTH: '1' });
    try {
      assert.equal(
        (await h.get('/resolve', h.query('rp'))).status,
        200,
        'one superior is within the bound',
      );
      assert.equal((await h.get('/resolve', h.query('op'))).status, 400);
      const explain = (await (await h.get('/api/v1/explain', h.query('op'))).json()) as {
        error?: { reason: string };
      };
      assert.equal(explain.error?.reason, 'max_depth_exceeded');
    } finally {
      await h.close();
    }
  });

  it('MAX_AUTHORITY_HINTS limits the hints followed per entity', async () => {
    const topology = {
      entities: [
        { name: 'ta' },
        { name: 'x1', authorityHints: ['ta'] },
        { name: 'x2', authorityHints: ['ta'] },
        { name: 'x3', authorityHints: ['ta'] },
        { name: 'leaf', authorityHints: ['x1', 'x2', 'x3'] },
      ],
    };
    const h = await startHarness(topology, ['ta'], { MAX_AUTHORITY_HINTS: '2' });
    try {
      assert.equal((await h.get('/resolve', h.query('leaf'))).status, 200);
      assert.equal(
        h.testbed.requests.count({ entity: 'x3' }),
        0,
        'the third hint is never contacted',
      );
      const explain = (await (await h.get('/api/v1/explain', h.query('leaf'))).json()) as {
        branches: Array<{ path: string[]; failure?: { reason: string } }>;
      };
      assert.ok(
        explain.branches.some((branch) => branch.failure?.reason === 'authority_hints_exceeded'),
      );
    } finally {
      await h.close();
    }
  });
});

describe('round trips', () => {
  it('fetches the requested anchor configuration together with the subject configuration', async () => {
    const h = await startHarness(threeLevel(), ['ta']);
    try {
      h.testbed.setLatency(30);
      assert.equal((await h.get('/resolve', h.query('op'))).status, 200);
      const arrival = (entity: string) =>
        h.testbed.requests
          .entries()
          .find((entry) => entry.entity === entity && entry.kind === 'configuration')?.at ?? NaN;
      // inter is known only once op's configuration has answered; ta is known from the request.
      assert.ok(arrival('ta') < arrival('inter'), 'ta was requested before inter became known');
      assert.equal(h.testbed.requests.count({ entity: 'ta', kind: 'configuration' }), 1);
    } finally {
      await h.close();
    }
  });
});
