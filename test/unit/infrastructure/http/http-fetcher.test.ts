import assert from 'node:assert/strict';
import { expectFailure } from '../../../support/assertions.js';
import { getEventListeners } from 'node:events';
import * as net from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  FederationError,
  type FailureReason,
  type FederationErrorCode,
} from '../../../../src/federation/errors.js';
import { AddressNotAllowedError } from '../../../../src/infrastructure/http/address-guard.js';
import {
  HttpFetcher,
  type HttpFetcherOptions,
  type HttpRequestInit,
} from '../../../../src/infrastructure/http/http-fetcher.js';
import {
  SELF_SIGNED_TLS,
  sleep,
  startServer,
  streamUntilClosed,
  type TestServer,
} from './test-server.js';

const EC = 'application/entity-statement+jwt';
const STATUS = 'application/trust-mark-status-response+jwt';
const JWT = 'eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJodHRwczovL2V4In0.c2ln';
const GET_EC: HttpRequestInit = { accept: EC, expectedContentType: EC };
const USER_AGENT = 'federation-resolver/0.1.0-test';

const LOOPBACK_OPTIONS: HttpFetcherOptions = {
  userAgent: USER_AGENT,
  timeoutMs: 2_000,
  maxResponseBytes: 1024,
  allowInsecureHttp: true,
  allowPrivateNetwork: true,
};

const fetchers: HttpFetcher[] = [];
/** A fetcher closed after all tests of this file. */
function fetcher(overrides: Partial<HttpFetcherOptions> = {}): HttpFetcher {
  const created = new HttpFetcher({ ...LOOPBACK_OPTIONS, ...overrides });
  fetchers.push(created);
  return created;
}
after(() => {
  for (const f of fetchers) f.close();
});

/** Milliseconds taken by `promise` to settle, whatever the outcome. */
async function timed(promise: Promise<unknown>): Promise<number> {
  const start = performance.now();
  await promise.catch(() => undefined);
  return performance.now() - start;
}

describe('HttpFetcher: successful requests', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer((req, res, recorded) => {
      if (recorded.path.startsWith('/ec')) {
        setTimeout(() => {
          res.writeHead(200, { 'content-type': `${EC}; charset=UTF-8` }).end(JWT);
        }, 40);
      } else if (recorded.path === '/upper') {
        res.writeHead(200, { 'content-type': 'Application/Entity-Statement+JWT' }).end(JWT);
      } else if (recorded.path === '/exact-cap') {
        res.writeHead(200, { 'content-type': EC }).end('x'.repeat(1024));
      } else if (recorded.path === '/utf8') {
        res.writeHead(200, { 'content-type': EC }).end('é✓');
      } else if (recorded.path === '/status' && req.method === 'POST') {
        res.writeHead(200, { 'content-type': STATUS }).end(JWT);
      } else {
        res.writeHead(500).end();
      }
    });
  });
  after(() => server.close());

  it('returns the body, the status, the content type as received, the URL and the duration', async () => {
    const response = await fetcher().get(server.url('/ec?sub=x'), GET_EC);
    assert.equal(response.body, JWT);
    assert.equal(response.status, 200);
    assert.equal(response.contentType, `${EC}; charset=UTF-8`);
    assert.equal(response.url, server.url('/ec?sub=x'));
    assert.ok(response.durationMs >= 35, `durationMs ${response.durationMs}`);
    assert.ok(response.durationMs < 2_000, `durationMs ${response.durationMs}`);
  });

  it('sends our User-Agent and the explicit Accept, as a plain GET without a body', async () => {
    const before = server.requests.length;
    await fetcher().get(server.url('/ec'), { accept: `${EC}, */*;q=0.1`, expectedContentType: EC });
    const recorded = server.requests[before];
    assert.ok(recorded !== undefined);
    assert.equal(recorded.method, 'GET');
    assert.equal(recorded.headers['user-agent'], USER_AGENT);
    assert.equal(recorded.headers.accept, `${EC}, */*;q=0.1`);
    assert.equal(recorded.headers['content-type'], undefined);
    assert.equal(recorded.body, '');
  });

  it('compares the media type case-insensitively', async () => {
    const response = await fetcher().get(server.url('/upper'), GET_EC);
    assert.equal(response.body, JWT);
  });

  it('accepts a body of exactly maxResponseBytes', async () => {
    const response = await fetcher().get(server.url('/exact-cap'), GET_EC);
    assert.equal(response.body.length, 1024);
  });

  it('decodes the body as UTF-8', async () => {
    const response = await fetcher().get(server.url('/utf8'), GET_EC);
    assert.equal(response.body, 'é✓');
  });

  it('POSTs a form body the server can decode, with the form content type', async () => {
    const before = server.requests.length;
    const form = { trust_mark: JWT, note: 'a b&c=d/é+' };
    const response = await fetcher().postForm(server.url('/status'), form, {
      accept: STATUS,
      expectedContentType: STATUS,
    });
    assert.equal(response.body, JWT);
    const recorded = server.requests[before];
    assert.ok(recorded !== undefined);
    assert.equal(recorded.method, 'POST');
    assert.equal(recorded.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(recorded.headers.accept, STATUS);
    assert.equal(recorded.headers['user-agent'], USER_AGENT);
    assert.deepEqual(Object.fromEntries(new URLSearchParams(recorded.body)), form);
  });
});

describe('HttpFetcher: status codes', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer((_req, res, recorded) => {
      const redirect = /^\/redirect\/(\d+)$/.exec(recorded.path);
      const status = /^\/status\/(\d+)$/.exec(recorded.path);
      if (redirect?.[1] !== undefined) {
        res.writeHead(Number(redirect[1]), { location: server.url('/target') }).end();
      } else if (status?.[1] !== undefined) {
        const code = Number(status[1]);
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(code === 204 ? undefined : '{"error":"not_found","error_description":"x"}');
      } else {
        res.writeHead(200, { 'content-type': EC }).end(JWT);
      }
    });
  });
  after(() => server.close());

  const table: ReadonlyArray<readonly [number, FederationErrorCode, FailureReason]> = [
    [404, 'not_found', 'statement_unavailable'],
    [410, 'not_found', 'statement_unavailable'],
    [429, 'temporarily_unavailable', 'upstream_status'],
    [500, 'temporarily_unavailable', 'upstream_status'],
    [502, 'temporarily_unavailable', 'upstream_status'],
    [503, 'temporarily_unavailable', 'upstream_status'],
    [400, 'not_found', 'upstream_status'],
    [401, 'not_found', 'upstream_status'],
    [403, 'not_found', 'upstream_status'],
    [201, 'not_found', 'upstream_status'],
    [204, 'not_found', 'upstream_status'],
  ];
  for (const [status, code, reason] of table) {
    it(`HTTP ${status} → ${code} / ${reason}, with the status and URL in the location`, async () => {
      const url = server.url(`/status/${status}`);
      const error = await expectFailure(fetcher().get(url, GET_EC), { code, reason, status });
      assert.equal(error.location.url, url);
      // §8.9 error bodies are unsigned and never read into the message.
      assert.doesNotMatch(error.message, /error_description/);
    });
  }

  for (const status of [301, 302, 303, 307, 308]) {
    it(`HTTP ${status} is not followed: redirect_refused, and the target is never requested`, async () => {
      await expectFailure(fetcher().get(server.url(`/redirect/${status}`), GET_EC), {
        code: 'not_found',
        reason: 'redirect_refused',
        status,
      });
      await sleep(20);
      assert.equal(server.requests.filter((r) => r.path === '/target').length, 0);
    });
  }
});

describe('HttpFetcher: refused response bodies', () => {
  let server: TestServer;
  let hugeErrorBodyWritten: Promise<number> | undefined;
  before(async () => {
    server = await startServer((_req, res, recorded) => {
      if (recorded.path === '/missing') {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
      } else if (recorded.path === '/huge-error') {
        res.writeHead(500, { 'content-type': 'application/json' });
        hugeErrorBodyWritten = streamUntilClosed(res, {
          chunkSize: 16 * 1024,
          intervalMs: 5,
          maxBytes: 64 * 1024 * 1024,
        });
      } else if (recorded.path === '/declared-error') {
        // Declares a big body and then sends nothing: only the declaration can end this early.
        res.writeHead(503, { 'content-type': 'application/json', 'content-length': '10000000' });
        res.flushHeaders();
      } else {
        res.writeHead(200, { 'content-type': EC }).end(JWT);
      }
    });
  });
  after(() => server.close());

  it('drains a small error body so the connection is reused', async () => {
    const f = fetcher();
    const before = server.connections();
    await expectFailure(f.get(server.url('/missing'), GET_EC), {
      code: 'not_found',
      reason: 'statement_unavailable',
    });
    await f.get(server.url('/ok'), GET_EC);
    assert.equal(server.connections() - before, 1);
  });

  it('stops reading a streamed error body early and reports the status', async () => {
    const f = fetcher({ maxResponseBytes: 1024 * 1024, timeoutMs: 10_000 });
    const elapsed = await timed(
      expectFailure(f.get(server.url('/huge-error'), GET_EC), {
        code: 'temporarily_unavailable',
        reason: 'upstream_status',
        status: 500,
      }),
    );
    assert.ok(elapsed < 2_000, `took ${elapsed} ms`);
    assert.ok(hugeErrorBodyWritten !== undefined);
    const written = await hugeErrorBodyWritten;
    assert.ok(written < 1024 * 1024, `server wrote ${written} bytes`);
  });

  it('refuses an error body declared larger than the drain limit without waiting for it', async () => {
    const f = fetcher({ timeoutMs: 5_000 });
    const elapsed = await timed(
      expectFailure(f.get(server.url('/declared-error'), GET_EC), {
        code: 'temporarily_unavailable',
        reason: 'upstream_status',
        status: 503,
      }),
    );
    assert.ok(elapsed < 2_000, `took ${elapsed} ms`);
  });
});

describe('HttpFetcher: content type and encoding', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer((_req, res, recorded) => {
      const headers: Record<string, string> = {};
      if (recorded.path === '/json') headers['content-type'] = 'application/json';
      if (recorded.path === '/suffix') headers['content-type'] = `${EC}x`;
      if (recorded.path === '/text') headers['content-type'] = 'text/plain; charset=utf-8';
      if (recorded.path === '/gzip') {
        headers['content-type'] = EC;
        headers['content-encoding'] = 'gzip';
      }
      if (recorded.path === '/invalid-utf8') {
        res.writeHead(200, { 'content-type': EC }).end(Buffer.from([0x65, 0xff, 0xfe, 0x41]));
        return;
      }
      // '/missing' sends no Content-Type at all.
      res.writeHead(200, headers).end(JWT);
    });
  });
  after(() => server.close());

  for (const path of ['/json', '/suffix', '/text', '/missing']) {
    it(`refuses ${path.slice(1)} content types: content_type_invalid`, async () => {
      await expectFailure(fetcher().get(server.url(path), GET_EC), {
        code: 'not_found',
        reason: 'content_type_invalid',
      });
    });
  }

  it('refuses a Content-Encoding it never asked for: content_type_invalid', async () => {
    await expectFailure(fetcher().get(server.url('/gzip'), GET_EC), {
      code: 'not_found',
      reason: 'content_type_invalid',
    });
  });

  it('refuses a body that is not valid UTF-8: statement_unavailable', async () => {
    await expectFailure(fetcher().get(server.url('/invalid-utf8'), GET_EC), {
      code: 'not_found',
      reason: 'statement_unavailable',
    });
  });
});

describe('HttpFetcher: byte cap', () => {
  let server: TestServer;
  let streamed: Promise<number> | undefined;
  before(async () => {
    server = await startServer((_req, res, recorded) => {
      if (recorded.path === '/cap-plus-one') {
        res.writeHead(200, { 'content-type': EC }).end('x'.repeat(1025));
      } else if (recorded.path === '/declared') {
        // Headers only: a fetcher that waited for the body would run into its timeout instead.
        res.writeHead(200, { 'content-type': EC, 'content-length': String(10 * 1024 * 1024) });
        res.flushHeaders();
      } else if (recorded.path === '/stream') {
        res.writeHead(200, { 'content-type': EC });
        streamed = streamUntilClosed(res, {
          chunkSize: 512,
          intervalMs: 5,
          maxBytes: 64 * 1024 * 1024,
        });
      }
    });
  });
  after(() => server.close());

  it('refuses a body one byte over the cap: response_too_large', async () => {
    await expectFailure(fetcher().get(server.url('/cap-plus-one'), GET_EC), {
      code: 'not_found',
      reason: 'response_too_large',
    });
  });

  it('refuses early on a Content-Length above the cap, before any body arrives', async () => {
    const elapsed = await timed(
      expectFailure(fetcher({ timeoutMs: 5_000 }).get(server.url('/declared'), GET_EC), {
        code: 'not_found',
        reason: 'response_too_large',
      }),
    );
    assert.ok(elapsed < 2_000, `took ${elapsed} ms`);
  });

  it('stops reading a streamed body without Content-Length as soon as the cap is passed', async () => {
    const elapsed = await timed(
      expectFailure(fetcher({ timeoutMs: 10_000 }).get(server.url('/stream'), GET_EC), {
        code: 'not_found',
        reason: 'response_too_large',
      }),
    );
    assert.ok(elapsed < 2_000, `took ${elapsed} ms`);
    assert.ok(streamed !== undefined);
    const written = await streamed;
    // 1024 bytes are allowed; the server notices the closed connection a few chunks later.
    assert.ok(written < 64 * 1024, `server wrote ${written} bytes`);
  });
});

describe('HttpFetcher: timeouts and the caller’s deadline', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer((_req, res, recorded) => {
      if (recorded.path === '/slow-headers') {
        const timer = setTimeout(() => res.writeHead(200, { 'content-type': EC }).end(JWT), 3_000);
        res.on('close', () => clearTimeout(timer));
      } else if (recorded.path === '/slow-body') {
        res.writeHead(200, { 'content-type': EC, 'content-length': '100' });
        res.write('x'.repeat(50));
        const timer = setTimeout(() => res.end('x'.repeat(50)), 3_000);
        res.on('close', () => clearTimeout(timer));
      } else {
        res.writeHead(200, { 'content-type': EC }).end(JWT);
      }
    });
  });
  after(() => server.close());

  it('times out when the headers are slow: upstream_timeout', async () => {
    const elapsed = await timed(
      expectFailure(fetcher({ timeoutMs: 150 }).get(server.url('/slow-headers'), GET_EC), {
        code: 'temporarily_unavailable',
        reason: 'upstream_timeout',
      }),
    );
    assert.ok(elapsed >= 140 && elapsed < 1_500, `took ${elapsed} ms`);
  });

  it('times out when the body is slow (the timeout covers the body): upstream_timeout', async () => {
    const elapsed = await timed(
      expectFailure(fetcher({ timeoutMs: 150 }).get(server.url('/slow-body'), GET_EC), {
        code: 'temporarily_unavailable',
        reason: 'upstream_timeout',
      }),
    );
    assert.ok(elapsed >= 140 && elapsed < 1_500, `took ${elapsed} ms`);
  });

  it('stops when the caller’s signal aborts: deadline_exceeded', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('resolution deadline')), 50);
    const promise = fetcher({ timeoutMs: 5_000 }).get(server.url('/slow-headers'), {
      ...GET_EC,
      signal: controller.signal,
    });
    const elapsed = await timed(
      expectFailure(promise, { code: 'temporarily_unavailable', reason: 'deadline_exceeded' }),
    );
    assert.ok(elapsed < 1_500, `took ${elapsed} ms`);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });

  it('does not connect at all with an already aborted signal: deadline_exceeded', async () => {
    const before = server.connections();
    await expectFailure(
      fetcher().get(server.url('/ok'), { ...GET_EC, signal: AbortSignal.abort() }),
      { code: 'temporarily_unavailable', reason: 'deadline_exceeded' },
    );
    await sleep(20);
    assert.equal(server.connections(), before);
  });

  it('leaves no timer and no listener on the caller’s signal behind', async () => {
    const f = fetcher({ timeoutMs: 60_000 });
    const signal = new AbortController().signal;
    const timers = (): number =>
      process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    await f.get(server.url('/ok'), { ...GET_EC, signal });
    await expectFailure(f.get(server.url('/cap'), { accept: EC, expectedContentType: STATUS }), {
      code: 'not_found',
      reason: 'content_type_invalid',
    });
    assert.equal(timers(), before);
    assert.equal(getEventListeners(signal, 'abort').length, 0);
  });
});

describe('HttpFetcher: scheme and URL checks', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': EC }).end(JWT);
    });
  });
  after(() => server.close());

  it('refuses http when allowInsecureHttp is false, before connecting: scheme_not_allowed', async () => {
    await expectFailure(fetcher({ allowInsecureHttp: false }).get(server.url('/x'), GET_EC), {
      code: 'not_found',
      reason: 'scheme_not_allowed',
    });
    assert.equal(server.connections(), 0);
  });

  for (const url of ['ftp://127.0.0.1/x', 'file:///etc/passwd', 'data:text/plain,x']) {
    it(`refuses ${url.split(':')[0]}: even with allowInsecureHttp: scheme_not_allowed`, async () => {
      await expectFailure(fetcher().get(url, GET_EC), {
        code: 'not_found',
        reason: 'scheme_not_allowed',
      });
    });
  }

  it('refuses credentials in the URL and does not echo them: address_not_allowed', async () => {
    const error = await expectFailure(
      fetcher().get(server.url('/x').replace('//', '//user:secret@'), GET_EC),
      { code: 'not_found', reason: 'address_not_allowed' },
    );
    assert.equal(error.location.url, server.url('/x'));
    assert.equal(server.connections(), 0);
  });

  it('refuses a URL with a fragment (§8.1): address_not_allowed', async () => {
    await expectFailure(fetcher().get(server.url('/x#frag'), GET_EC), {
      code: 'not_found',
      reason: 'address_not_allowed',
    });
    await expectFailure(fetcher().get(server.url('/x#'), GET_EC), {
      code: 'not_found',
      reason: 'address_not_allowed',
    });
    assert.equal(server.connections(), 0);
  });

  it('refuses a string that is not a URL: address_not_allowed', async () => {
    await expectFailure(fetcher().get('not a url', GET_EC), {
      code: 'not_found',
      reason: 'address_not_allowed',
    });
  });
});

describe('HttpFetcher: address guard', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': EC }).end(JWT);
    });
  });
  after(() => server.close());

  const guarded = (): HttpFetcher => fetcher({ allowPrivateNetwork: false });

  it('refuses a loopback IP literal before connecting: address_not_allowed', async () => {
    await expectFailure(guarded().get(server.url('/x'), GET_EC), {
      code: 'not_found',
      reason: 'address_not_allowed',
    });
    assert.equal(server.connections(), 0);
  });

  for (const host of ['[::1]', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '0.0.0.0']) {
    it(`refuses the literal ${host} before connecting: address_not_allowed`, async () => {
      await expectFailure(guarded().get(`http://${host}:${server.port}/x`, GET_EC), {
        code: 'not_found',
        reason: 'address_not_allowed',
      });
      assert.equal(server.connections(), 0);
    });
  }

  it('refuses loopback written in another IPv4 form (normalised by the URL parser)', async () => {
    await expectFailure(guarded().get(`http://0x7f.1:${server.port}/x`, GET_EC), {
      code: 'not_found',
      reason: 'address_not_allowed',
    });
    assert.equal(server.connections(), 0);
  });

  it('refuses a name that resolves to loopback, through the lookup: address_not_allowed', async () => {
    const error = await expectFailure(guarded().get(server.url('/x', 'localhost'), GET_EC), {
      code: 'not_found',
      reason: 'address_not_allowed',
    });
    // The refused address comes from the resolver, not from the URL.
    assert.ok(error.cause instanceof AddressNotAllowedError);
    assert.match(error.cause.address, /^(127\.|::1$)/);
    assert.equal(server.connections(), 0);
  });

  it('refuses loopback over https too, before any TLS handshake', async () => {
    await expectFailure(guarded().get(`https://127.0.0.1:${server.port}/x`, GET_EC), {
      code: 'not_found',
      reason: 'address_not_allowed',
    });
    assert.equal(server.connections(), 0);
  });

  it('allows loopback by IP literal and by name when allowPrivateNetwork is true', async () => {
    const f = fetcher({ allowPrivateNetwork: true });
    assert.equal((await f.get(server.url('/x'), GET_EC)).body, JWT);
    assert.equal((await f.get(server.url('/x', 'localhost'), GET_EC)).body, JWT);
  });
});

describe('HttpFetcher: connections', () => {
  it('reuses one keep-alive connection for sequential requests', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': EC }).end(JWT);
    });
    try {
      const f = fetcher();
      await f.get(server.url('/a'), GET_EC);
      await f.get(server.url('/b'), GET_EC);
      await f.postForm(server.url('/c'), { trust_mark: JWT }, GET_EC);
      assert.equal(server.requests.length, 3);
      assert.equal(server.connections(), 1);
    } finally {
      await server.close();
    }
  });

  it('opens at most maxSockets connections per origin; further requests wait', async () => {
    const server = await startServer((_req, res) => {
      setTimeout(() => res.writeHead(200, { 'content-type': EC }).end(JWT), 50);
    });
    try {
      const limited = fetcher({ maxSockets: 1 });
      await Promise.all([1, 2, 3].map((n) => limited.get(server.url(`/${n}`), GET_EC)));
      assert.equal(server.connections(), 1);
      const unlimited = fetcher();
      await Promise.all([1, 2, 3].map((n) => unlimited.get(server.url(`/${n}`), GET_EC)));
      assert.equal(server.connections(), 1 + 3);
    } finally {
      await server.close();
    }
  });

  /** A server that drops the first reused connection as soon as a request arrives on it. */
  async function droppingServer(): Promise<TestServer> {
    const seen = new WeakSet<object>();
    let dropped = false;
    return startServer((req, res) => {
      if (seen.has(req.socket) && !dropped) {
        dropped = true;
        req.socket.destroy();
        return;
      }
      seen.add(req.socket);
      res.writeHead(200, { 'content-type': EC }).end(JWT);
    });
  }

  it('retries a GET once on a fresh connection when a reused one was closed', async () => {
    const server = await droppingServer();
    try {
      const f = fetcher();
      await f.get(server.url('/a'), GET_EC);
      const response = await f.get(server.url('/b'), GET_EC);
      assert.equal(response.body, JWT);
      assert.equal(server.requests.length, 3);
      assert.equal(server.connections(), 2);
    } finally {
      await server.close();
    }
  });

  it('does not retry a POST on a closed reused connection', async () => {
    const server = await droppingServer();
    try {
      const f = fetcher();
      await f.get(server.url('/a'), GET_EC);
      await expectFailure(f.postForm(server.url('/b'), { trust_mark: JWT }, GET_EC), {
        code: 'temporarily_unavailable',
        reason: 'statement_unavailable',
      });
      assert.equal(server.requests.length, 2);
    } finally {
      await server.close();
    }
  });

  it('maps a refused connection to temporarily_unavailable', async () => {
    const server = await startServer(() => undefined);
    const url = server.url('/x');
    await server.close();
    const error = await expectFailure(fetcher().get(url, GET_EC), {
      code: 'temporarily_unavailable',
      reason: 'statement_unavailable',
    });
    assert.equal((error.cause as NodeJS.ErrnoException).code, 'ECONNREFUSED');
  });

  it('maps a connection reset before the answer to temporarily_unavailable', async () => {
    const server = await startServer((req) => req.socket.destroy());
    try {
      await expectFailure(fetcher().get(server.url('/x'), GET_EC), {
        code: 'temporarily_unavailable',
        reason: 'statement_unavailable',
      });
    } finally {
      await server.close();
    }
  });

  it('maps a connection closed mid-body to temporarily_unavailable', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': EC, 'content-length': '100' });
      res.write('x'.repeat(10), () => res.socket?.destroy());
    });
    try {
      await expectFailure(fetcher().get(server.url('/x'), GET_EC), {
        code: 'temporarily_unavailable',
        reason: 'statement_unavailable',
      });
    } finally {
      await server.close();
    }
  });

  it('reads a body delimited by the server closing the connection', async () => {
    const raw = net.createServer((socket) => {
      socket.once('data', () => {
        socket.end(`HTTP/1.1 200 OK\r\nContent-Type: ${EC}\r\nConnection: close\r\n\r\n${JWT}`);
      });
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = raw.address() as net.AddressInfo;
      const f = fetcher();
      for (let i = 0; i < 20; i += 1) {
        assert.equal((await f.get(`http://127.0.0.1:${port}/x`, GET_EC)).body, JWT);
      }
    } finally {
      await new Promise((resolve) => raw.close(resolve));
    }
  });

  it('maps a response that is not HTTP to not_found', async () => {
    const raw = net.createServer((socket) => {
      socket.once('data', () => socket.end('SSH-2.0-OpenSSH_9.6\r\n\r\n'));
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = raw.address() as net.AddressInfo;
      await expectFailure(fetcher().get(`http://127.0.0.1:${port}/x`, GET_EC), {
        code: 'not_found',
        reason: 'statement_unavailable',
      });
    } finally {
      await new Promise((resolve) => raw.close(resolve));
    }
  });

  it('a host name that does not exist is not_found; a resolver that fails for now is temporarily_unavailable', async () => {
    const failing =
      (code: string) =>
      (_host: string, _options: object, callback: (error: NodeJS.ErrnoException) => void) => {
        const error: NodeJS.ErrnoException = new Error(`lookup failed (${code})`);
        error.code = code;
        setImmediate(() => callback(error));
      };
    const absent = fetcher({
      allowPrivateNetwork: false,
      resolveAddress: failing('ENOTFOUND') as never,
    });
    const flaky = fetcher({
      allowPrivateNetwork: false,
      resolveAddress: failing('EAI_AGAIN') as never,
    });
    await expectFailure(absent.get('http://no-such-host.example/x', GET_EC), {
      code: 'not_found',
      reason: 'statement_unavailable',
    });
    await expectFailure(flaky.get('http://flaky.example/x', GET_EC), {
      code: 'temporarily_unavailable',
      reason: 'statement_unavailable',
    });
  });

  it('uses TLS for https and rejects an untrusted certificate: not_found, tls_certificate_rejected', async () => {
    const server = await startServer(
      (_req, res) => res.writeHead(200, { 'content-type': EC }).end(JWT),
      { tls: SELF_SIGNED_TLS },
    );
    try {
      const error = await expectFailure(
        fetcher({ allowInsecureHttp: false }).get(server.url('/x'), GET_EC),
        { code: 'not_found', reason: 'tls_certificate_rejected' },
      );
      assert.match(String((error.cause as NodeJS.ErrnoException).code), /CERT|SELF_SIGNED/);
      assert.equal(server.connections(), 1);
      assert.equal(server.requests.length, 0);
    } finally {
      await server.close();
    }
  });

  it('close() aborts requests in flight and refuses new ones', async () => {
    const server = await startServer((_req, res) => {
      const timer = setTimeout(() => res.end(), 5_000);
      res.on('close', () => clearTimeout(timer));
    });
    try {
      // With one request per origin in flight the second waits in the fetcher's queue.
      const f = fetcher({ timeoutMs: 10_000, maxSockets: 1 });
      const connected = f.get(server.url('/slow'), GET_EC);
      const queued = f.get(server.url('/queued'), GET_EC);
      await sleep(50);
      f.close();
      f.close();
      for (const inFlight of [connected, queued]) {
        const elapsed = await timed(
          expectFailure(inFlight, {
            code: 'temporarily_unavailable',
            reason: 'statement_unavailable',
          }),
        );
        assert.ok(elapsed < 1_000, `took ${elapsed} ms`);
      }
      await expectFailure(f.get(server.url('/x'), GET_EC), {
        code: 'temporarily_unavailable',
        reason: 'statement_unavailable',
      });
    } finally {
      await server.close();
    }
  });
});

describe('HttpFetcher: options', () => {
  const invalid: ReadonlyArray<readonly [string, Partial<HttpFetcherOptions>]> = [
    ['an empty userAgent', { userAgent: '' }],
    ['a userAgent with a line break', { userAgent: 'a\r\nX-Injected: 1' }],
    ['a zero timeoutMs', { timeoutMs: 0 }],
    ['a non-finite timeoutMs', { timeoutMs: Number.POSITIVE_INFINITY }],
    ['a fractional timeoutMs', { timeoutMs: 1.5 }],
    ['a negative maxResponseBytes', { maxResponseBytes: -1 }],
    ['a NaN maxResponseBytes', { maxResponseBytes: Number.NaN }],
    ['a zero maxSockets', { maxSockets: 0 }],
    ['a zero queueTimeoutMs', { queueTimeoutMs: 0 }],
    ['a fractional queueTimeoutMs', { queueTimeoutMs: 1.5 }],
    ['a negative maxQueuedPerOrigin', { maxQueuedPerOrigin: -1 }],
    ['a NaN maxQueuedPerOrigin', { maxQueuedPerOrigin: Number.NaN }],
    ['a zero breaker.failureThreshold', { breaker: { failureThreshold: 0 } }],
    ['a non-finite breaker.openMs', { breaker: { openMs: Number.POSITIVE_INFINITY } }],
    ['a fractional breaker.openMs', { breaker: { openMs: 0.5 } }],
  ];
  for (const [what, overrides] of invalid) {
    it(`refuses ${what} at construction: configuration_invalid`, () => {
      assert.throws(
        () => new HttpFetcher({ ...LOOPBACK_OPTIONS, ...overrides }),
        (error: unknown) =>
          error instanceof FederationError &&
          error.code === 'server_error' &&
          error.reason === 'configuration_invalid',
      );
    });
  }
});
