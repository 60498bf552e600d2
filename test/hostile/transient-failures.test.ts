/**
 * §10.5 transient and permanent upstream failures: what a retry may cure answers 503
 * temporarily_unavailable with Retry-After (the upstream's own value when it gave one, capped at
 * 300 s), what it cannot answers 404 not_found; a transient failure is cached only for
 * TRANSIENT_FAILURE_TTL_SECONDS (2 s), so a repaired upstream is used again within seconds.
 *
 * The circuit breaker is turned off in the first case (CIRCUIT_BREAKER_FAILURES=0): every
 * subject there lives on the same origin, and five transient failures in a row would open its
 * circuit (circuit-breaker.test.ts shows that). FETCH_TIMEOUT_MS is lowered to 1000 to keep the
 * silent case short.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startHarness } from '../support/service.js';
import { threeLevel } from '../support/topologies.js';
import { assertError, clientAddress, get, since, sleep } from './support/client.js';
import { startStack } from './support/stack.js';

const FETCH_TIMEOUT_MS = 1000;

/** kind of the subject, expected Retry-After (undefined: any positive number of seconds). */
const TRANSIENT: ReadonlyArray<readonly [string, string, number | undefined]> = [
  ['an HTTP 500', 'status-500-0', undefined],
  ['an HTTP 503 with Retry-After: 7', 'status-503-7', 7],
  ['an HTTP 429 with Retry-After: 120', 'status-429-120', 120],
  ['an HTTP 503 with Retry-After: 1000 (capped)', 'status-503-1000', 300],
  ['a TCP reset', 'reset', undefined],
  ['no answer at all (timeout)', 'silent', undefined],
];

const PERMANENT: ReadonlyArray<readonly [string, string]> = [
  ['an HTTP 404', 'gone'],
  ['a body far over MAX_RESPONSE_BYTES', 'oversized'],
];

describe('§10.5 transient and permanent upstream failures', () => {
  it('a subject configuration failing transiently (500, 503 and 429 with Retry-After, reset, timeout) answers 503 temporarily_unavailable with the upstream’s Retry-After (at most 300) or the service’s own; one failing permanently (404, oversized) answers 404 not_found; each within 10 s and one upstream request (a reset one retry)', async () => {
    const stack = await startStack({
      env: { CIRCUIT_BREAKER_FAILURES: '0', FETCH_TIMEOUT_MS: String(FETCH_TIMEOUT_MS) },
    });
    try {
      const { upstream } = stack;
      let client = 0;
      for (const [what, kind, retryAfter] of TRANSIENT) {
        const before = upstream.requests(kind);
        const started = performance.now();
        const answer = await stack.ask('/resolve', upstream.entityId(kind, 1), {
          from: clientAddress(client++),
        });
        const elapsed = since(started);
        assertError(answer, 503, 'temporarily_unavailable', what);
        const header = String(answer.headers['retry-after']);
        if (retryAfter === undefined) assert.match(header, /^[1-9]\d*$/, `${what}: Retry-After`);
        else assert.equal(header, String(retryAfter), `${what}: Retry-After`);
        assert.ok(elapsed < 10_000, `${what}: answered after ${elapsed} ms`);
        // A reset of a reused keep-alive connection is retried once on a fresh one.
        const sent = upstream.requests(kind) - before;
        assert.ok(sent >= 1 && sent <= (kind === 'reset' ? 2 : 1), `${what}: ${sent} requests`);
      }
      for (const [what, kind] of PERMANENT) {
        const before = upstream.requests(kind);
        const started = performance.now();
        const answer = await stack.ask('/resolve', upstream.entityId(kind, 1), {
          from: clientAddress(client++),
        });
        const elapsed = since(started);
        assertError(answer, 404, 'not_found', what);
        assert.equal(answer.headers['retry-after'], undefined, `${what}: no Retry-After`);
        assert.ok(elapsed < 10_000, `${what}: answered after ${elapsed} ms`);
        assert.equal(upstream.requests(kind), before + 1, `${what}: one upstream request`);
      }
      const healthy = await stack.ask('/resolve', upstream.entityId('ok', 1), {
        from: clientAddress(client++),
      });
      assert.equal(healthy.status, 200, healthy.body.slice(0, 200));
    } finally {
      await stack.close();
    }
  });

  for (const [what, target, status] of [
    ["the intermediate's fetch endpoint answering 500", { issuer: 'inter', subject: 'op' }, 500],
    ["the intermediate's own configuration answering 502", { entity: 'inter' }, 502],
  ] as const) {
    it(`a superior failing transiently (${what}) answers 503 temporarily_unavailable with Retry-After, and once repaired the subject resolves again within 8 s (the transient TTL of 2 s, not NEGATIVE_CACHE_TTL_SECONDS 10)`, async () => {
      const h = await startHarness(threeLevel(), ['ta']);
      try {
        const url = () =>
          `${h.resolver.url}/resolve?${new URLSearchParams(h.query('op') as Record<string, string>).toString()}`;
        h.testbed.setFaults(target, { status });
        const failed = await get(url());
        assertError(failed, 503, 'temporarily_unavailable', what);
        assert.match(String(failed.headers['retry-after']), /^[1-9]\d*$/);
        h.testbed.setFaults(target, undefined);
        const repaired = performance.now();
        let answer = await get(url());
        let polls = 1;
        while (answer.status !== 200 && performance.now() - repaired < 8000) {
          assertError(answer, 503, 'temporarily_unavailable', `${what}, while cached`);
          await sleep(200);
          answer = await get(url());
          polls++;
        }
        const elapsed = since(repaired);
        console.log(`${what}: resolved again ${elapsed} ms after the repair (${polls} requests)`);
        assert.equal(answer.status, 200, `still ${answer.status} after ${elapsed} ms`);
        // Polling never turned into upstream load: cached failures answer without a request.
        assert.ok(h.testbed.requests.total() <= 20, `${h.testbed.requests.total()} requests`);
      } finally {
        await h.close();
      }
    });
  }
});
