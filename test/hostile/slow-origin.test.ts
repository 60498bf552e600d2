/**
 * §18.1 a slow origin: every answer of the upstream takes 1 s, and 60 distinct subjects on it are
 * asked at once by 60 clients. At most MAX_UPSTREAM_CONNECTIONS_PER_ORIGIN (16) requests go to
 * the origin at a time, the others wait in a bounded queue of their own, and each fetch timeout
 * counts from when its request is sent, so every resolution succeeds.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertHygiene, clientAddress, since } from './support/client.js';
import { startStack } from './support/stack.js';

const SUBJECTS = 60;

describe('§18.1 a slow origin', () => {
  it(`${SUBJECTS} concurrent cold resolutions through an origin answering in 1 s all answer 200 within 30 s, with at most two upstream requests per subject plus the anchor's configuration`, async () => {
    const stack = await startStack({ upstreams: [{ latencyMs: 1000 }] });
    try {
      const { upstream } = stack;
      const started = performance.now();
      const answers = await Promise.all(
        Array.from({ length: SUBJECTS }, (_, i) =>
          stack.ask('/resolve', upstream.entityId('ok', i), {
            from: clientAddress(i),
            timeoutMs: 30_000,
          }),
        ),
      );
      const elapsed = since(started);
      console.log(
        `slow origin: ${SUBJECTS} resolutions answered within ${elapsed} ms, ${upstream.requests()} upstream requests`,
      );
      const statuses = answers.map((answer) => answer.status);
      assert.deepEqual(
        statuses.filter((status) => status !== 200),
        [],
        answers.find((answer) => answer.status !== 200)?.body,
      );
      for (const answer of answers) assertHygiene(answer, 'slow origin');
      assert.ok(elapsed < 30_000, `${elapsed} ms`);
      assert.ok(upstream.requests() <= SUBJECTS * 2 + 1, `${upstream.requests()} requests`);
    } finally {
      await stack.close();
    }
  });
});
