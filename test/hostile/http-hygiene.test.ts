/**
 * §8.9 HTTP hygiene of every answer: the security headers and a Cache-Control on every endpoint
 * and every error, and the JSON error form with `invalid_request` for requests the service does
 * not serve — an unknown path, a wrong or unknown method, a target or headers over the limits, a
 * body, bytes that are not HTTP — each answered, never a connection reset.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from '../support/service.js';
import { threeLevel } from '../support/topologies.js';
import {
  assertError,
  assertHygiene,
  get,
  rawRequest,
  resolveQuery,
  type RawExchange,
} from './support/client.js';
import { startStack } from './support/stack.js';

const TOKEN = 'hostile-suite-metrics-token';

describe('§8.9 HTTP hygiene', () => {
  let h: Harness;
  let port: number;
  let query: string;
  before(async () => {
    h = await startHarness(threeLevel(), ['ta'], { METRICS_TOKEN: TOKEN });
    port = Number(new URL(h.resolver.url).port);
    query = resolveQuery(h.testbed.entityId('op'), h.testbed.entityId('ta'));
  });
  after(() => h.close());

  const raw = (head: string, body?: Buffer): Promise<RawExchange> =>
    rawRequest(port, head, body === undefined ? {} : { body });

  it('every endpoint, success or error, carries X-Content-Type-Options, Referrer-Policy, Content-Security-Policy and Cache-Control', async () => {
    const cases: ReadonlyArray<readonly [string, number, Record<string, string>?]> = [
      ['/.well-known/openid-federation', 200],
      [`/resolve?${query}`, 200],
      [`/api/v1/resolve?${query}`, 200],
      [`/api/v1/explain?${query}`, 200],
      [`/discovery/openid-configuration?${query}`, 200],
      [`/discovery/oauth-authorization-server?${query}`, 200],
      ['/healthz', 200],
      ['/readyz', 200],
      ['/metrics', 401],
      ['/metrics', 200, { authorization: `Bearer ${TOKEN}` }],
      ['/no/such/endpoint', 404],
      ['/resolve', 400],
      [
        `/api/v1/resolve?${resolveQuery(h.testbed.entityId('op'), 'https://unknown-anchor.example')}`,
        404,
      ],
    ];
    for (const [path, status, headers] of cases) {
      const answer = await get(
        `${h.resolver.url}${path}`,
        headers === undefined ? {} : { headers },
      );
      assert.equal(answer.status, status, `${path}: ${answer.body.slice(0, 200)}`);
      assertHygiene(answer, path);
    }
  });

  it('an OPTIONS request to an endpoint answers with Allow, the security headers and a Cache-Control', async () => {
    for (const path of ['/resolve', '/healthz', '/.well-known/openid-federation']) {
      const answer = await get(`${h.resolver.url}${path}`, { method: 'OPTIONS' });
      assert.equal(answer.status, 200, path);
      assert.match(String(answer.headers['allow']), /GET/, path);
      assertHygiene(answer, `OPTIONS ${path}`);
    }
  });

  it('/metrics with METRICS_TOKEN answers 401 invalid_client with WWW-Authenticate: Bearer without the token or with a wrong one, and 200 with Authorization: Bearer <token>', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: TOKEN }]) {
      const answer = await get(`${h.resolver.url}/metrics`, { headers });
      assertError(answer, 401, 'invalid_client', JSON.stringify(headers));
      assert.equal(answer.headers['www-authenticate'], 'Bearer');
    }
    const answer = await get(`${h.resolver.url}/metrics`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(answer.status, 200);
    assert.match(answer.body, /# TYPE /);
  });

  it('an unknown path answers 404 invalid_request (endpoint_not_found)', async () => {
    const answer = await get(`${h.resolver.url}/admin/../../etc/passwd?x=1`);
    const body = assertError(answer, 404, 'invalid_request', 'unknown path');
    assert.match(body.error_description, /no endpoint/);
  });

  it('a method a path does not serve answers 405 invalid_request with Allow', async () => {
    // POST /resolve is served (§8.8: client authentication), so /api/v1/resolve stands in for it.
    for (const [method, path] of [
      ['POST', '/api/v1/resolve'],
      ['PUT', '/resolve'],
      ['DELETE', '/resolve'],
      ['PATCH', '/resolve'],
    ] as const) {
      const answer = await get(`${h.resolver.url}${path}?${query}`, { method });
      const body = assertError(answer, 405, 'invalid_request', method);
      assert.match(String(answer.headers['allow']), /GET/);
      assert.match(body.error_description, new RegExp(`does not serve ${method}`));
    }
  });

  it('a method the service does not implement (PROPFIND, PURGE, TRACE) answers 501 invalid_request', async () => {
    for (const method of ['PROPFIND', 'PURGE', 'TRACE']) {
      const answer = await raw(
        `${method} /resolve?${query} HTTP/1.1\r\nHost: resolver\r\nConnection: close\r\n\r\n`,
      );
      const body = assertError(answer, 501, 'invalid_request', method);
      assert.match(body.error_description, new RegExp(method));
    }
  });

  it('a CONNECT request (a method Node hands to no router) is answered 501 invalid_request, not dropped', async () => {
    const answer = await raw('CONNECT resolver:443 HTTP/1.1\r\nHost: resolver:443\r\n\r\n');
    assert.notEqual(answer.ended, 'timeout');
    assertError(
      answer,
      501,
      'invalid_request',
      `CONNECT (${answer.ended}, ${answer.raw.length} bytes)`,
    );
  });

  it('a request target of 10 KB and one of 100 KB answer 414 invalid_request (uri_too_long), never a reset', async () => {
    for (const size of [10 * 1024, 100 * 1024]) {
      for (let attempt = 0; attempt < 3; attempt++) {
        const answer = await raw(
          `GET /resolve?sub=${'a'.repeat(size)} HTTP/1.1\r\nHost: resolver\r\n\r\n`,
        );
        const what = `${size} bytes, attempt ${attempt} (${answer.ended})`;
        const body = assertError(answer, 414, 'invalid_request', what);
        assert.match(body.error_description, /request target/);
      }
    }
  });

  it('20 KB of request headers answer 431 invalid_request (headers_too_large), never a reset', async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const answer = await raw(
        `GET /healthz HTTP/1.1\r\nHost: resolver\r\nX-Padding: ${'p'.repeat(20 * 1024)}\r\n\r\n`,
      );
      const body = assertError(
        answer,
        431,
        'invalid_request',
        `attempt ${attempt} (${answer.ended})`,
      );
      assert.match(body.error_description, /headers/);
    }
  });

  it('a POST with a 1 MB body to the service in its own process answers 413 invalid_request (body_too_large) every time (10 attempts), never a connection reset', async () => {
    // In a process of its own the service answers while the body is still arriving, as it does
    // for a remote client; in the test's own process the body would already be buffered.
    const stack = await startStack();
    try {
      const body = Buffer.alloc(1024 * 1024, 0x61);
      const head = `POST /resolve?${query} HTTP/1.1\r\nHost: resolver\r\nContent-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\n\r\n`;
      const answers: RawExchange[] = [];
      for (let attempt = 0; attempt < 10; attempt++) {
        answers.push(await rawRequest(stack.port, head, { body }));
      }
      const outcomes = answers.map((answer) => `${answer.status || 'no answer'} (${answer.ended})`);
      assert.deepEqual(outcomes, Array(10).fill('413 (closed)'), outcomes.join(', '));
      for (const answer of answers) {
        const parsed = assertError(answer, 413, 'invalid_request', '1 MB body');
        assert.match(parsed.error_description, /bodies/);
      }
      const healthy = await get(`${stack.resolver.url}/healthz`);
      assert.equal(healthy.status, 200);
    } finally {
      await stack.close();
    }
  });

  it('bytes that are not valid HTTP/1.1 answer 400 invalid_request (request_malformed)', async () => {
    const cases = [
      'GARBAGE\r\n\r\n',
      'GET /healthz HTTP/1.1\r\nHost: resolver\r\nNo colon here\r\n\r\n',
      'GET /healthz HTTP/1.1\r\nHost: resolver\r\nContent-Length: abc\r\n\r\n',
      'GET /healthz HTTP/1.1\r\nHost: resolver\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n',
      'FOO /healthz HTTP/1.1\r\nHost: resolver\r\n\r\n',
      'GET /healthz HTTP/9.9\r\nHost: resolver\r\n\r\n',
      '\u0000\u0001\u0002\r\n\r\n',
    ];
    for (const head of cases) {
      const answer = await raw(head);
      const body = assertError(answer, 400, 'invalid_request', JSON.stringify(head));
      assert.match(body.error_description, /not valid HTTP/);
    }
  });

  it('an HTTP/1.1 request without Host answers 400 invalid_request in the §8.9 JSON form with the security headers', async () => {
    const answer = await raw('GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n');
    assertError(
      answer,
      400,
      'invalid_request',
      `no Host: ${JSON.stringify(answer.raw.slice(0, 200))}`,
    );
  });

  it('an Expect the server cannot meet answers 417 in the §8.9 JSON form (invalid_request) with the security headers', async () => {
    const answer = await raw(
      'GET /healthz HTTP/1.1\r\nHost: resolver\r\nExpect: something-else\r\nConnection: close\r\n\r\n',
    );
    assertError(
      answer,
      417,
      'invalid_request',
      `Expect: ${JSON.stringify(answer.raw.slice(0, 200))}`,
    );
  });

  it('after all of the above, a healthy request still resolves', async () => {
    const answer = await get(`${h.resolver.url}/resolve?${query}`);
    assert.equal(answer.status, 200);
    assertHygiene(answer, 'healthy');
  });
});
