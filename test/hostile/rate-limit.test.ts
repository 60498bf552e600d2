/**
 * §18.1 the per-client budget of cold resolutions (CLIENT_COLD_RATE 10/s, CLIENT_COLD_BURST 20,
 * the defaults): a burst over it is refused with 429 and Retry-After before any upstream work,
 * and answers from cache are never limited.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertError, get, rawBurst, resolveQuery } from './support/client.js';
import { startStack } from './support/stack.js';

const RATE = 10;
const BURST = 20;

describe('§18.1 per-client budget of cold resolutions', () => {
  it('30 simultaneous cold requests from one client: 20 resolve on their own merits (404 not_found), the rest answer 429 temporarily_unavailable with Retry-After (§8.9) and cost the upstream nothing; then 200 warm requests in a row from the same client all answer 200 from cache', async () => {
    const stack = await startStack();
    try {
      const { upstream, resolver, port } = stack;
      const anchor = upstream.trustAnchor.entity_id;
      const client = '127.0.50.5';
      // A subject resolved by someone else: warm in the cache before the client spends its budget.
      const warmSub = upstream.entityId('ok', 'warm');
      const warm = await stack.ask('/api/v1/resolve', warmSub, { from: '127.0.50.6' });
      assert.equal(warm.status, 200, warm.body.slice(0, 200));

      // Subjects that fail fast on their own merits (their configuration is gone), so that the
      // 30 requests are admitted or refused within moments of each other.
      const heads = Array.from(
        { length: 30 },
        (_, i) =>
          `GET /api/v1/resolve?${resolveQuery(upstream.entityId('gone', i), anchor)} HTTP/1.1\r\nHost: resolver\r\nConnection: close\r\n\r\n`,
      );
      const started = performance.now();
      const answers = await rawBurst(port, heads, { from: client });
      const burstSeconds = (performance.now() - started) / 1000;
      const admitted = answers.filter((answer) => answer.status !== 429);
      const limited = answers.filter((answer) => answer.status === 429);
      console.log(
        `rate limit: ${admitted.length} admitted, ${limited.length} limited within ${Math.round(burstSeconds * 1000)} ms; the upstream saw ${upstream.requests('gone')} of their subjects`,
      );
      // The burst is honoured, and at most the tokens refilled while it lasted come on top.
      assert.ok(admitted.length >= BURST, `${admitted.length} of 30 were admitted`);
      assert.ok(
        admitted.length <= BURST + Math.ceil(RATE * burstSeconds),
        `${admitted.length} of 30 were admitted within ${burstSeconds} s`,
      );
      assert.ok(limited.length > 0, 'the budget was enforced');
      for (const answer of admitted) assertError(answer, 404, 'not_found', 'admitted');
      for (const answer of limited) {
        const body = assertError(answer, 429, 'temporarily_unavailable', 'over the budget');
        assert.match(body.error_description, /new resolutions per second/);
        assert.match(String(answer.headers['retry-after']), /^[1-9]\d*$/);
      }
      // A refused request never reached the upstream: one configuration per admitted subject.
      assert.equal(upstream.requests('gone'), admitted.length);

      // The same client, its budget spent: answers from cache are not charged.
      const before = upstream.requests();
      for (let i = 0; i < 200; i++) {
        const answer = await get(
          `${resolver.url}/api/v1/resolve?${resolveQuery(warmSub, anchor)}`,
          { from: client },
        );
        assert.equal(answer.status, 200, `warm request ${i}: ${answer.body.slice(0, 200)}`);
        assert.equal((JSON.parse(answer.body) as { cached: boolean }).cached, true);
      }
      assert.equal(upstream.requests(), before, 'warm answers made no upstream request');
    } finally {
      await stack.close();
    }
  });
});
