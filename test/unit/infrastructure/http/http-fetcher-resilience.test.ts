/**
 * The fetcher under load and failure, on loopback: per-origin admission with a bounded wait,
 * Retry-After, and the per-origin circuit breaker (driven by an injected clock, never by sleeping
 * through its open time). Only behaviour is asserted, never speed.
 */
import assert from 'node:assert/strict';
import { expectFailure } from '../../../support/assertions.js';
import { getEventListeners } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import { FederationError } from '../../../../src/federation/errors.js';
import {
  HttpFetcher,
  parseRetryAfter,
  type HttpFetcherOptions,
  type HttpRequestInit,
} from '../../../../src/infrastructure/http/http-fetcher.js';
import { sleep, startServer, type TestServer } from './test-server.js';

const EC = 'application/entity-statement+jwt';
const JWT = 'eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJodHRwczovL2V4In0.c2ln';
const GET_EC: HttpRequestInit = { accept: EC, expectedContentType: EC };

const LOOPBACK_OPTIONS: HttpFetcherOptions = {
  userAgent: 'federation-resolver/0.1.0-test',
  timeoutMs: 2_000,
  maxResponseBytes: 1024,
  allowInsecureHttp: true,
  allowPrivateNetwork: true,
};

/** Runs `body` with a fresh fetcher and server, closing both whatever happens. */
async function withServer(
  handler: Parameters<typeof startServer>[0],
  overrides: Partial<HttpFetcherOptions>,
  body: (fetcher: HttpFetcher, server: TestServer) => Promise<void>,
): Promise<void> {
  const server = await startServer(handler);
  const fetcher = new HttpFetcher({ ...LOOPBACK_OPTIONS, ...overrides });
  try {
    await body(fetcher, server);
  } finally {
    fetcher.close();
    await server.close();
  }
}

const TRANSIENT = 'temporarily_unavailable';

function ok(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': EC }).end(JWT);
}

/** Answers 200 after `ms`, unless the client went away first. */
function okAfter(res: ServerResponse, ms: number): void {
  const timer = setTimeout(() => ok(res), ms);
  res.on('close', () => clearTimeout(timer));
}

describe('HttpFetcher: per-origin admission', () => {
  it('with maxSockets 1, a queued request succeeds: its timeout starts when it is sent, not while it waits', async () => {
    await withServer(
      (_req, res) => okAfter(res, 300),
      { maxSockets: 1, timeoutMs: 400 },
      async (f, server) => {
        // The second request waits ~300 ms and then takes ~300 ms: 600 ms from the call, more
        // than timeoutMs, which is only right if the wait does not count.
        const [first, second] = await Promise.all([
          f.get(server.url('/first'), GET_EC),
          f.get(server.url('/second'), GET_EC),
        ]);
        assert.equal(first.body, JWT);
        assert.equal(second.body, JWT);
        assert.deepEqual(
          server.requests.map((r) => r.path),
          ['/first', '/second'],
        );
        // The agent has the same limit: one connection, reused.
        assert.equal(server.connections(), 1);
      },
    );
  });

  it('a request that waits longer than queueTimeoutMs fails with upstream_queue_timeout and is never sent', async () => {
    await withServer(
      (_req, res) => okAfter(res, 300),
      { maxSockets: 1, queueTimeoutMs: 100 },
      async (f, server) => {
        const first = f.get(server.url('/first'), GET_EC);
        const error = await expectFailure(f.get(server.url('/second'), GET_EC), {
          code: TRANSIENT,
          reason: 'upstream_queue_timeout',
        });
        assert.match(error.message, /connections were all busy/);
        assert.deepEqual(error.location, { url: server.url('/second') });
        assert.equal((await first).body, JWT);
        await sleep(50);
        assert.equal(server.requests.length, 1);
        assert.equal(server.requests[0]?.path, '/first');
      },
    );
  });

  it('a caller abort while queued gives deadline_exceeded; the request never reaches the server', async () => {
    await withServer(
      (_req, res) => okAfter(res, 300),
      { maxSockets: 1, queueTimeoutMs: 10_000, timeoutMs: 10_000 },
      async (f, server) => {
        const first = f.get(server.url('/first'), GET_EC);
        const controller = new AbortController();
        const queued = f.get(server.url('/queued'), { ...GET_EC, signal: controller.signal });
        let firstSettled = false;
        void first.finally(() => (firstSettled = true));
        setTimeout(() => controller.abort(new Error('resolution deadline')), 50);
        const error = await expectFailure(queued, { code: TRANSIENT, reason: 'deadline_exceeded' });
        // It gave up while the first request still held the only slot.
        assert.equal(firstSettled, false);
        assert.equal(error.location.url, server.url('/queued'));
        assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
        assert.equal((await first).body, JWT);
        await sleep(50);
        assert.deepEqual(
          server.requests.map((r) => r.path),
          ['/first'],
        );
      },
    );
  });

  it('beyond maxQueuedPerOrigin waiting requests, a request fails at once with upstream_queue_timeout', async () => {
    await withServer(
      (_req, res) => okAfter(res, 200),
      { maxSockets: 1, maxQueuedPerOrigin: 1, queueTimeoutMs: 10_000 },
      async (f, server) => {
        const first = f.get(server.url('/first'), GET_EC);
        const second = f.get(server.url('/second'), GET_EC);
        let firstSettled = false;
        void first.finally(() => (firstSettled = true));
        await expectFailure(f.get(server.url('/third'), GET_EC), {
          code: TRANSIENT,
          reason: 'upstream_queue_timeout',
        });
        assert.equal(firstSettled, false);
        assert.equal((await first).body, JWT);
        assert.equal((await second).body, JWT);
        assert.deepEqual(
          server.requests.map((r) => r.path),
          ['/first', '/second'],
        );
      },
    );
  });

  it('queued requests are sent in arrival order', async () => {
    await withServer(
      (_req, res) => okAfter(res, 20),
      { maxSockets: 1 },
      async (f, server) => {
        const paths = ['/1', '/2', '/3', '/4', '/5'];
        await Promise.all(paths.map((p) => f.get(server.url(p), GET_EC)));
        assert.deepEqual(
          server.requests.map((r) => r.path),
          paths,
        );
      },
    );
  });

  it('the limit is per origin: a busy origin does not hold up another one', async () => {
    const other = await startServer((_req, res) => ok(res));
    try {
      await withServer(
        (_req, res) => okAfter(res, 300),
        { maxSockets: 1, queueTimeoutMs: 100 },
        async (f, server) => {
          const busy = f.get(server.url('/busy'), GET_EC);
          assert.equal((await f.get(other.url('/free'), GET_EC)).body, JWT);
          // The same host on another port is another origin.
          assert.notEqual(new URL(server.url('/')).origin, new URL(other.url('/')).origin);
          assert.equal((await busy).body, JWT);
        },
      );
    } finally {
      await other.close();
    }
  });

  it('forgets an origin once nothing is in flight or queued for it', async () => {
    await withServer(
      (_req, res) => okAfter(res, 50),
      { maxSockets: 1, queueTimeoutMs: 10 },
      async (f, server) => {
        assert.equal(f.busyOrigins, 0);
        const first = f.get(server.url('/a'), GET_EC);
        const queued = f.get(server.url('/b'), GET_EC);
        assert.equal(f.busyOrigins, 1);
        await expectFailure(queued, { code: TRANSIENT, reason: 'upstream_queue_timeout' });
        await first;
        assert.equal(f.busyOrigins, 0);
        await expectFailure(
          f.get(server.url('/404'), { accept: EC, expectedContentType: 'text/plain' }),
          { code: 'not_found', reason: 'content_type_invalid' },
        );
        assert.equal(f.busyOrigins, 0);
      },
    );
  });

  it('close() rejects queued requests, which never reach the server', async () => {
    await withServer(
      (_req, res) => okAfter(res, 5_000),
      { maxSockets: 1, timeoutMs: 10_000, queueTimeoutMs: 10_000 },
      async (f, server) => {
        const first = f.get(server.url('/first'), GET_EC);
        const queued = f.get(server.url('/queued'), GET_EC);
        const settled: string[] = [];
        void first.catch(() => settled.push('first'));
        void queued.catch(() => settled.push('queued'));
        await sleep(50);
        f.close();
        await expectFailure(queued, { code: TRANSIENT, reason: 'statement_unavailable' });
        await expectFailure(first, { code: TRANSIENT, reason: 'statement_unavailable' });
        // Rejected by close() itself, not merely when the request ahead of it let go of its slot.
        assert.deepEqual(settled, ['queued', 'first']);
        assert.equal(f.busyOrigins, 0);
        assert.deepEqual(
          server.requests.map((r) => r.path),
          ['/first'],
        );
      },
    );
  });
});

describe('HttpFetcher: Retry-After', () => {
  /** Answers `/<status>` with that status and the `retry-after` query parameter as header. */
  const handler: Parameters<typeof startServer>[0] = (_req, res, recorded) => {
    const url = new URL(recorded.path, 'http://x');
    const retryAfter = url.searchParams.get('retry-after');
    res.writeHead(Number(url.pathname.slice(1)), {
      'content-type': 'application/json',
      ...(retryAfter === null ? {} : { 'retry-after': retryAfter }),
    });
    res.end('{}');
  };
  const retryAfterOf = async (f: HttpFetcher, url: string): Promise<number | undefined> => {
    const error = await expectFailure(f.get(url, GET_EC), {
      code: TRANSIENT,
      reason: 'upstream_status',
    });
    return error.location.retryAfter;
  };
  const query = (value: string): string => `?retry-after=${encodeURIComponent(value)}`;

  it('429 with Retry-After: 120 → retryAfter 120', async () => {
    await withServer(handler, { breaker: false }, async (f, server) => {
      assert.equal(await retryAfterOf(f, server.url(`/429${query('120')}`)), 120);
    });
  });

  it('503 with an HTTP-date 30 s ahead → retryAfter of about 30', async () => {
    await withServer(handler, { breaker: false }, async (f, server) => {
      const date = new Date(Date.now() + 30_000).toUTCString();
      const retryAfter = await retryAfterOf(f, server.url(`/503${query(date)}`));
      assert.ok(retryAfter !== undefined && retryAfter >= 29 && retryAfter <= 31, `${retryAfter}`);
    });
  });

  it('Retry-After: 99999 is capped at 300', async () => {
    await withServer(handler, { breaker: false }, async (f, server) => {
      assert.equal(await retryAfterOf(f, server.url(`/503${query('99999')}`)), 300);
    });
  });

  it('a garbage or absent Retry-After gives no retryAfter', async () => {
    await withServer(handler, { breaker: false }, async (f, server) => {
      for (const path of [`/503${query('soon')}`, `/429${query('-5')}`, '/500', '/502']) {
        const error = await expectFailure(f.get(server.url(path), GET_EC), {
          code: TRANSIENT,
          reason: 'upstream_status',
        });
        assert.equal('retryAfter' in error.location, false, path);
      }
    });
  });

  it('any 5xx carries it; a permanent refusal does not', async () => {
    await withServer(handler, { breaker: false }, async (f, server) => {
      assert.equal(await retryAfterOf(f, server.url(`/500${query('7')}`)), 7);
      const error = await expectFailure(f.get(server.url(`/404${query('7')}`), GET_EC), {
        code: 'not_found',
        reason: 'statement_unavailable',
      });
      assert.equal('retryAfter' in error.location, false);
    });
  });

  it('parseRetryAfter reads delta-seconds and the three HTTP-date forms of RFC 9110 §5.6.7', () => {
    const now = Date.UTC(1994, 10, 6, 8, 49, 7); // Sun, 06 Nov 1994 08:49:07 GMT
    const cases: ReadonlyArray<readonly [string | undefined, number | undefined]> = [
      ['0', 0],
      ['120', 120],
      ['300', 300],
      ['301', 300],
      ['99999999999999999999999', 300],
      ['Sun, 06 Nov 1994 08:49:37 GMT', 30],
      ['Sunday, 06-Nov-94 08:49:37 GMT', 30],
      ['Sun Nov  6 08:49:37 1994', 30],
      ['Sun, 06 Nov 1994 08:49:07 GMT', 0],
      ['Sat, 05 Nov 1994 08:49:37 GMT', 0],
      ['Mon, 07 Nov 1994 08:49:07 GMT', 300],
      ['Sun, 06 Nov 1994 08:49:37 UTC', undefined],
      ['Sun, 31 Feb 1994 08:49:37 GMT', undefined],
      ['Sun, 06 Nov 1994 25:49:37 GMT', undefined],
      ['06 Nov 1994 08:49:37', undefined],
      ['1.5', undefined],
      ['-1', undefined],
      ['+30', undefined],
      ['', undefined],
      ['soon', undefined],
      [undefined, undefined],
    ];
    for (const [value, expected] of cases) {
      assert.equal(parseRetryAfter(value, now), expected, String(value));
    }
  });
});

describe('HttpFetcher: circuit breaker', () => {
  /** A clock the test moves by hand, in milliseconds. */
  function manualClock(): { now: () => number; advance: (ms: number) => void } {
    let ms = 1_000_000;
    return { now: () => ms, advance: (by) => (ms += by) };
  }

  /** A server whose answer the test switches: 503 (optionally with Retry-After), 200 or 404. */
  async function switchable(): Promise<{
    server: TestServer;
    set: (mode: 'fail' | 'ok' | 'missing', retryAfter?: string) => void;
  }> {
    let mode: 'fail' | 'ok' | 'missing' = 'fail';
    let retryAfter: string | undefined;
    const server = await startServer((_req, res) => {
      if (mode === 'ok') ok(res);
      else if (mode === 'missing') res.writeHead(404).end();
      else res.writeHead(503, retryAfter === undefined ? {} : { 'retry-after': retryAfter }).end();
    });
    return {
      server,
      set: (next, after) => {
        mode = next;
        retryAfter = after;
      },
    };
  }

  const unavailable = { code: TRANSIENT, reason: 'upstream_status' } as const;
  const circuitOpen = { code: TRANSIENT, reason: 'circuit_open' } as const;

  it('after 5 consecutive 503s the 6th request fails with circuit_open, without reaching the server', async () => {
    const { server } = await switchable();
    const clock = manualClock();
    const changes: string[] = [];
    const f = new HttpFetcher({
      ...LOOPBACK_OPTIONS,
      breaker: { now: clock.now },
      onCircuitChange: (origin, state) => changes.push(`${origin} ${state}`),
    });
    try {
      const origin = new URL(server.url('/')).origin;
      for (let i = 1; i <= 5; i += 1) {
        await expectFailure(f.get(server.url(`/${i}`), GET_EC), unavailable);
        assert.equal(f.circuitState(origin), i < 5 ? 'closed' : 'open');
      }
      const connections = server.connections();
      const error = await expectFailure(f.get(server.url('/6'), GET_EC), circuitOpen);
      assert.deepEqual(error.location, { url: server.url('/6'), retryAfter: 30 });
      assert.ok(error.message.includes(origin), error.message);
      clock.advance(29_500);
      const later = await expectFailure(f.get(server.url('/7'), GET_EC), circuitOpen);
      assert.equal(later.location.retryAfter, 1);
      await sleep(20);
      assert.equal(server.requests.length, 5);
      assert.equal(server.connections(), connections);
      assert.deepEqual(changes, [`${origin} open`]);
      assert.equal(f.circuitState(server.url('/any/path')), 'open');
    } finally {
      f.close();
      await server.close();
    }
  });

  it('after the open time one probe goes through at a time; its success closes the circuit', async () => {
    const { server, set } = await switchable();
    const clock = manualClock();
    const changes: string[] = [];
    const f = new HttpFetcher({
      ...LOOPBACK_OPTIONS,
      breaker: { now: clock.now, failureThreshold: 2, openMs: 10_000 },
      onCircuitChange: (_origin, state) => changes.push(state),
    });
    try {
      await expectFailure(f.get(server.url('/1'), GET_EC), unavailable);
      await expectFailure(f.get(server.url('/2'), GET_EC), unavailable);
      await expectFailure(f.get(server.url('/3'), GET_EC), circuitOpen);
      assert.equal(server.requests.length, 2);

      clock.advance(10_000);
      set('ok');
      const probe = f.get(server.url('/probe'), GET_EC);
      // While the probe is out, everything else is still refused.
      const other = await expectFailure(f.get(server.url('/other'), GET_EC), circuitOpen);
      assert.equal(other.location.retryAfter, 1);
      assert.equal(f.circuitState(server.url('/')), 'half_open');
      assert.equal((await probe).body, JWT);
      assert.equal(f.circuitState(server.url('/')), 'closed');
      assert.equal((await f.get(server.url('/after'), GET_EC)).body, JWT);
      assert.deepEqual(
        server.requests.map((r) => r.path),
        ['/1', '/2', '/probe', '/after'],
      );
      assert.deepEqual(changes, ['open', 'half_open', 'closed']);
      // The count was reset: one failure does not open it again.
      set('fail');
      await expectFailure(f.get(server.url('/4'), GET_EC), unavailable);
      assert.equal(f.circuitState(server.url('/')), 'closed');
    } finally {
      f.close();
      await server.close();
    }
  });

  it('a probe that fails transiently opens the circuit again', async () => {
    const { server } = await switchable();
    const clock = manualClock();
    const f = new HttpFetcher({
      ...LOOPBACK_OPTIONS,
      breaker: { now: clock.now, failureThreshold: 2, openMs: 10_000 },
    });
    try {
      await expectFailure(f.get(server.url('/1'), GET_EC), unavailable);
      await expectFailure(f.get(server.url('/2'), GET_EC), unavailable);
      clock.advance(10_000);
      await expectFailure(f.get(server.url('/probe'), GET_EC), unavailable);
      assert.equal(f.circuitState(server.url('/')), 'open');
      const error = await expectFailure(f.get(server.url('/3'), GET_EC), circuitOpen);
      assert.equal(error.location.retryAfter, 10);
      assert.equal(server.requests.length, 3);
    } finally {
      f.close();
      await server.close();
    }
  });

  it('a probe answered with a permanent refusal lets the next request probe', async () => {
    const { server, set } = await switchable();
    const clock = manualClock();
    const f = new HttpFetcher({
      ...LOOPBACK_OPTIONS,
      breaker: { now: clock.now, failureThreshold: 1, openMs: 10_000 },
    });
    try {
      await expectFailure(f.get(server.url('/1'), GET_EC), unavailable);
      clock.advance(10_000);
      set('missing');
      await expectFailure(f.get(server.url('/probe'), GET_EC), {
        code: 'not_found',
        reason: 'statement_unavailable',
      });
      assert.equal(f.circuitState(server.url('/')), 'half_open');
      set('ok');
      assert.equal((await f.get(server.url('/next'), GET_EC)).body, JWT);
      assert.equal(f.circuitState(server.url('/')), 'closed');
    } finally {
      f.close();
      await server.close();
    }
  });

  it('a longer Retry-After keeps the circuit open past openMs (capped at 300 s)', async () => {
    const { server, set } = await switchable();
    const clock = manualClock();
    const f = new HttpFetcher({
      ...LOOPBACK_OPTIONS,
      breaker: { now: clock.now, failureThreshold: 1, openMs: 30_000 },
    });
    try {
      set('fail', '120');
      await expectFailure(f.get(server.url('/1'), GET_EC), unavailable);
      const error = await expectFailure(f.get(server.url('/2'), GET_EC), circuitOpen);
      assert.equal(error.location.retryAfter, 120);
      clock.advance(60_000);
      await expectFailure(f.get(server.url('/3'), GET_EC), circuitOpen);
      clock.advance(60_000);
      set('fail', '99999');
      await expectFailure(f.get(server.url('/probe'), GET_EC), unavailable);
      const capped = await expectFailure(f.get(server.url('/4'), GET_EC), circuitOpen);
      assert.equal(capped.location.retryAfter, 300);
      assert.deepEqual(
        server.requests.map((r) => r.path),
        ['/1', '/probe'],
      );
    } finally {
      f.close();
      await server.close();
    }
  });

  it('404s never open the circuit', async () => {
    const { server, set } = await switchable();
    const f = new HttpFetcher({ ...LOOPBACK_OPTIONS, breaker: { failureThreshold: 2 } });
    try {
      set('missing');
      for (let i = 0; i < 6; i += 1) {
        await expectFailure(f.get(server.url(`/${i}`), GET_EC), {
          code: 'not_found',
          reason: 'statement_unavailable',
        });
      }
      // A wrong media type is a permanent refusal too.
      set('ok');
      for (let i = 0; i < 3; i += 1) {
        await expectFailure(
          f.get(server.url(`/type/${i}`), { accept: EC, expectedContentType: 'text/plain' }),
          { code: 'not_found', reason: 'content_type_invalid' },
        );
      }
      assert.equal(f.circuitState(server.url('/')), 'closed');
      assert.equal(server.requests.length, 9);
    } finally {
      f.close();
      await server.close();
    }
  });

  it('an origin that answers as often as it fails stays closed; one that mostly fails opens', async () => {
    const { server, set } = await switchable();
    const f = new HttpFetcher({ ...LOOPBACK_OPTIONS });
    try {
      const fail = (): Promise<FederationError> =>
        expectFailure(f.get(server.url('/fail'), GET_EC), unavailable);
      for (let i = 0; i < 6; i += 1) {
        set('ok');
        await f.get(server.url('/ok'), GET_EC);
        set('fail');
        await fail();
      }
      assert.equal(f.circuitState(server.url('/')), 'closed');
      await fail();
      assert.equal(f.circuitState(server.url('/')), 'open', 'seven failures against six successes');
      assert.equal(server.requests.length, 13);
    } finally {
      f.close();
      await server.close();
    }
  });

  it('timeouts and failed connections count as transient failures', async () => {
    const hanging = await startServer(() => undefined);
    const refused = await startServer(() => undefined);
    const refusedUrl = refused.url('/x');
    await refused.close();
    const f = new HttpFetcher({
      ...LOOPBACK_OPTIONS,
      timeoutMs: 100,
      breaker: { failureThreshold: 2 },
    });
    try {
      for (let i = 0; i < 2; i += 1) {
        await expectFailure(f.get(hanging.url(`/${i}`), GET_EC), {
          code: TRANSIENT,
          reason: 'upstream_timeout',
        });
        await expectFailure(f.get(refusedUrl, GET_EC), {
          code: TRANSIENT,
          reason: 'statement_unavailable',
        });
      }
      await expectFailure(f.get(hanging.url('/2'), GET_EC), circuitOpen);
      await expectFailure(f.get(refusedUrl, GET_EC), circuitOpen);
      assert.equal(hanging.requests.length, 2);
    } finally {
      f.close();
      await hanging.close();
    }
  });

  it('the caller’s deadline_exceeded never counts', async () => {
    let hang = false;
    const server = await startServer((_req, res) => {
      if (hang) okAfter(res, 5_000);
      else res.writeHead(503).end();
    });
    const f = new HttpFetcher({ ...LOOPBACK_OPTIONS, timeoutMs: 10_000 });
    try {
      for (let i = 0; i < 4; i += 1) {
        await expectFailure(f.get(server.url(`/fail/${i}`), GET_EC), unavailable);
      }
      hang = true;
      for (let i = 0; i < 5; i += 1) {
        const controller = new AbortController();
        const request = f.get(server.url(`/hang/${i}`), { ...GET_EC, signal: controller.signal });
        setTimeout(() => controller.abort(), 30);
        await expectFailure(request, { code: TRANSIENT, reason: 'deadline_exceeded' });
      }
      assert.equal(f.circuitState(server.url('/')), 'closed');
      // Nor did it reset the count: the fifth transient failure opens the circuit.
      hang = false;
      await expectFailure(f.get(server.url('/fail/4'), GET_EC), unavailable);
      assert.equal(f.circuitState(server.url('/')), 'open');
      assert.equal(server.requests.filter((r) => r.path.startsWith('/fail/')).length, 5);
    } finally {
      f.close();
      await server.close();
    }
  });

  it('upstream_queue_timeout never counts', async () => {
    await withServer(
      (_req, res) => okAfter(res, 200),
      { maxSockets: 1, queueTimeoutMs: 20, breaker: { failureThreshold: 1 } },
      async (f, server) => {
        const first = f.get(server.url('/first'), GET_EC);
        for (let i = 0; i < 3; i += 1) {
          await expectFailure(f.get(server.url(`/queued/${i}`), GET_EC), {
            code: TRANSIENT,
            reason: 'upstream_queue_timeout',
          });
        }
        assert.equal(f.circuitState(server.url('/')), 'closed');
        await first;
        assert.equal((await f.get(server.url('/after'), GET_EC)).body, JWT);
      },
    );
  });

  it('requests queued when the circuit opens are refused when their turn comes, not sent', async () => {
    let calls = 0;
    await withServer(
      (_req, res) => {
        calls += 1;
        // The first answer comes late, so the others are queued behind it when it fails.
        setTimeout(() => res.writeHead(503).end(), calls === 1 ? 100 : 0);
      },
      { maxSockets: 1, breaker: { failureThreshold: 1 } },
      async (f, server) => {
        const results = await Promise.allSettled(
          ['/1', '/2', '/3'].map((p) => f.get(server.url(p), GET_EC)),
        );
        const reasons = results.map((r) =>
          r.status === 'rejected' && r.reason instanceof FederationError ? r.reason.reason : r,
        );
        assert.deepEqual(reasons, ['upstream_status', 'circuit_open', 'circuit_open']);
        assert.equal(server.requests.length, 1);
      },
    );
  });

  it('a circuit is per origin', async () => {
    const failing = await switchable();
    const healthy = await startServer((_req, res) => ok(res));
    const f = new HttpFetcher({ ...LOOPBACK_OPTIONS, breaker: { failureThreshold: 1 } });
    try {
      await expectFailure(f.get(failing.server.url('/1'), GET_EC), unavailable);
      await expectFailure(f.get(failing.server.url('/2'), GET_EC), circuitOpen);
      assert.equal((await f.get(healthy.url('/x'), GET_EC)).body, JWT);
      assert.equal(f.circuitState(healthy.url('/')), 'closed');
    } finally {
      f.close();
      await failing.server.close();
      await healthy.close();
    }
  });

  it('breaker: false disables it', async () => {
    const { server } = await switchable();
    const f = new HttpFetcher({ ...LOOPBACK_OPTIONS, breaker: false });
    try {
      for (let i = 0; i < 8; i += 1) {
        await expectFailure(f.get(server.url(`/${i}`), GET_EC), unavailable);
      }
      assert.equal(server.requests.length, 8);
      assert.equal(f.circuitState(server.url('/')), 'closed');
    } finally {
      f.close();
      await server.close();
    }
  });
});
