/**
 * §18.1 connections: MAX_CONNECTIONS caps what idle clients can hold, HEADERS_TIMEOUT_MS frees
 * what they hold, and the server checks its connections every second. Here MAX_CONNECTIONS=50 and
 * HEADERS_TIMEOUT_MS=1000 (lowered from 10000 to keep the test short).
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { assertError, get, since, sleep, type Answer } from './support/client.js';
import { startStack } from './support/stack.js';

const MAX_CONNECTIONS = 50;
const HEADERS_TIMEOUT_MS = 1000;
/** The bound on closing an idle connection: its timeout, the 1 s check interval and slack. */
const CLOSE_BOUND_MS = HEADERS_TIMEOUT_MS + 3000;

interface Held {
  readonly socket: Socket;
  readonly opened: number;
  closedAfter?: number;
  received: string;
}

/** Opens `count` connections that never send a byte; records when each is closed. */
async function openIdle(port: number, count: number): Promise<Held[]> {
  const held = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Held>((resolve) => {
          const socket = connect({ host: '127.0.0.1', port });
          const entry: Held = { socket, opened: performance.now(), received: '' };
          socket.on('data', (chunk: Buffer) => (entry.received += chunk.toString('latin1')));
          socket.on('error', () => undefined);
          socket.on('close', () => (entry.closedAfter ??= since(entry.opened)));
          socket.once('connect', () => resolve(entry));
          socket.once('error', () => resolve(entry));
        }),
    ),
  );
  return held;
}

/** Waits until every connection in `held` is closed, or `boundMs` has passed. */
async function allClosed(held: readonly Held[], boundMs: number): Promise<boolean> {
  const started = performance.now();
  while (held.some((entry) => entry.closedAfter === undefined)) {
    if (performance.now() - started > boundMs) return false;
    await sleep(50);
  }
  return true;
}

describe('§18.1 idle and slow connections', () => {
  it(`with MAX_CONNECTIONS ${MAX_CONNECTIONS}, 200 idle connections do not keep a new request from being answered once they time out, and each is closed within HEADERS_TIMEOUT_MS + 3 s (the held ones with 408 invalid_request)`, async () => {
    const stack = await startStack({
      env: {
        MAX_CONNECTIONS: String(MAX_CONNECTIONS),
        HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      },
    });
    let held: Held[] = [];
    try {
      const started = performance.now();
      held = await openIdle(stack.port, 200);
      let answer: Answer | undefined;
      let attempts = 0;
      while (answer?.status !== 200 && performance.now() - started < HEADERS_TIMEOUT_MS + 5000) {
        attempts++;
        try {
          answer = await get(`${stack.resolver.url}/healthz`, { timeoutMs: 2000 });
        } catch {
          // Refused while the idle connections fill the cap: try again shortly.
          await sleep(100);
        }
      }
      const answeredAfter = since(started);
      assert.equal(answer?.status, 200, `no answer after ${answeredAfter} ms (${attempts} tries)`);
      assert.ok(await allClosed(held, CLOSE_BOUND_MS), 'an idle connection was still open');
      const closedAfter = held.map((entry) => entry.closedAfter ?? Infinity);
      const answered = held.filter((entry) => entry.received.length > 0);
      console.log(
        `connections: healthz answered after ${answeredAfter} ms (${attempts} tries); idle connections closed after at most ${Math.max(...closedAfter)} ms; ${answered.length} of 200 were held and answered`,
      );
      assert.ok(Math.max(...closedAfter) <= CLOSE_BOUND_MS);
      // The cap held: at most MAX_CONNECTIONS were ever kept (and answered when they timed out).
      assert.ok(answered.length <= MAX_CONNECTIONS, `${answered.length} connections were held`);
      for (const entry of answered) {
        const response = entry.received;
        assert.match(response, /^HTTP\/1\.1 408 /);
        const [head = '', body = ''] = response.split('\r\n\r\n');
        const headers = Object.fromEntries(
          head
            .split('\r\n')
            .slice(1)
            .map((line) => [
              line.slice(0, line.indexOf(':')).toLowerCase(),
              line.slice(line.indexOf(':') + 1).trim(),
            ]),
        );
        assertError({ status: 408, headers, body }, 408, 'invalid_request', 'idle connection');
      }
      const healthy = await get(`${stack.resolver.url}/healthz`);
      assert.equal(healthy.status, 200);
    } finally {
      for (const entry of held) entry.socket.destroy();
      await stack.close();
    }
  });

  it('20 clients trickling one header byte every 200 ms (slowloris) are cut off within HEADERS_TIMEOUT_MS + 3 s, and a normal request is answered meanwhile', async () => {
    const stack = await startStack({ env: { HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS) } });
    let held: Held[] = [];
    const timers: NodeJS.Timeout[] = [];
    try {
      held = await openIdle(stack.port, 20);
      const head = 'GET /healthz HTTP/1.1\r\nHost: resolver\r\nX-Slow: ' + 'x'.repeat(1000);
      for (const entry of held) {
        let offset = 0;
        const timer = setInterval(() => {
          if (entry.closedAfter !== undefined || offset >= head.length) return;
          entry.socket.write(head[offset++] ?? '');
        }, 200);
        timers.push(timer);
      }
      const answer = await get(`${stack.resolver.url}/healthz`, { timeoutMs: 5000 });
      assert.equal(answer.status, 200);
      assert.ok(await allClosed(held, CLOSE_BOUND_MS), 'a trickling connection was still open');
      const closedAfter = Math.max(...held.map((entry) => entry.closedAfter ?? Infinity));
      console.log(`slowloris: every trickling connection closed after at most ${closedAfter} ms`);
      assert.ok(closedAfter <= CLOSE_BOUND_MS);
      for (const entry of held) assert.match(entry.received, /^HTTP\/1\.1 408 /);
    } finally {
      for (const timer of timers) clearInterval(timer);
      for (const entry of held) entry.socket.destroy();
      await stack.close();
    }
  });
});
