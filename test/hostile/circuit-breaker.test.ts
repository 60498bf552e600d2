/**
 * §10.5, §18.1 the per-origin circuit breaker (CIRCUIT_BREAKER_FAILURES 5, the default): five
 * consecutive transient failures of one upstream origin open its circuit, and resolutions through
 * it then fail at once, without a request to it, while other origins are served as before.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertError, clientAddress } from './support/client.js';
import { startStack } from './support/stack.js';

interface Explain {
  outcome: string;
  error?: { error: string; reason: string };
  fetches: Array<{ url: string; error?: { reason: string } }>;
}

describe('§10.5 circuit breaker per upstream origin', () => {
  it('after 5 consecutive 500s of one origin, a new subject on it answers 503 temporarily_unavailable with Retry-After, /api/v1/explain reports circuit_open, the origin receives no request, and another origin still resolves', async () => {
    const stack = await startStack({ upstreams: [{}, {}] });
    try {
      const [failing, healthy] = stack.upstreams;
      if (failing === undefined || healthy === undefined) throw new Error('stack');
      let client = 0;
      const from = () => clientAddress(client++);
      // The anchor's configuration is cached first, so that only failures follow.
      const warm = await stack.ask('/resolve', failing.entityId('ok', 0), { from: from() });
      assert.equal(warm.status, 200, warm.body.slice(0, 200));
      for (let i = 0; i < 5; i++) {
        const answer = await stack.ask('/resolve', failing.entityId('status-500-0', i), {
          from: from(),
        });
        assertError(answer, 503, 'temporarily_unavailable', `failure ${i + 1}`);
      }

      const before = failing.requests();
      const refused = await stack.ask('/resolve', failing.entityId('ok', 1), { from: from() });
      assertError(refused, 503, 'temporarily_unavailable', 'through the open circuit');
      assert.match(String(refused.headers['retry-after']), /^[1-9]\d*$/);

      const explained = await stack.ask('/api/v1/explain', failing.entityId('ok', 2), {
        from: from(),
      });
      assert.equal(explained.status, 200, explained.body.slice(0, 300));
      const report = JSON.parse(explained.body) as Explain;
      assert.equal(report.outcome, 'failed');
      const reasons = [report.error?.reason, ...report.fetches.map((fetch) => fetch.error?.reason)];
      assert.ok(reasons.includes('circuit_open'), JSON.stringify(report));
      assert.equal(failing.requests(), before, 'the open circuit sent nothing to the origin');

      const other = await stack.ask('/resolve', healthy.entityId('ok', 0), {
        from: from(),
        upstream: healthy,
      });
      assert.equal(other.status, 200, other.body.slice(0, 200));
      // Answers from cache do not depend on the circuit.
      const cached = await stack.ask('/resolve', failing.entityId('ok', 0), { from: from() });
      assert.equal(cached.status, 200);
      assert.equal(failing.requests(), before);
    } finally {
      await stack.close();
    }
  });
});
