/**
 * Property-based fuzzing of the HTTP API (§8.9): random methods, request targets, query strings
 * and headers, written on raw sockets so that nothing is cleaned up on the way, are always
 * answered, never with a 5xx other than 503 (and 501 for a method the service does not
 * implement), every error in the §8.9 JSON form, every answer with the security headers and a
 * Cache-Control. test/integration/hostile-requests.test.ts varies the query parameters of the
 * resolving endpoints through fetch; this varies the whole request.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { startHarness, type Harness } from '../support/service.js';
import { threeLevel } from '../support/topologies.js';
import { SECURITY_HEADERS, errorBody, get, rawRequest } from './support/client.js';

const RUNS = 250;

const METHODS = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'PATCH',
  'OPTIONS',
  'TRACE',
  'CONNECT',
  'PROPFIND',
  'PURGE',
  'M-SEARCH',
];

const PATHS = [
  '/',
  '/.well-known/openid-federation',
  '/resolve',
  '/api/v1/resolve',
  '/api/v1/explain',
  '/discovery/openid-configuration',
  '/discovery/oauth-authorization-server',
  '/healthz',
  '/readyz',
  '/metrics',
  '/api/v1/',
  '/resolve/',
  '//resolve',
  '/RESOLVE',
  '/%2e%2e/%2e%2e/etc/passwd',
  '/api/v1/resolve/../explain',
  '*',
  'http://resolver.example/resolve',
];

const PARAMETERS = ['sub', 'trust_anchor', 'entity_type', 'anchor', 'type', 'trust_mark_type', 'x'];

const HEADER_NAMES = [
  'Accept',
  'Accept-Encoding',
  'Authorization',
  'Content-Type',
  'Content-Length',
  'Transfer-Encoding',
  'Expect',
  'Upgrade',
  'Connection',
  'Cookie',
  'Host',
  'Origin',
  'Range',
  'If-None-Match',
  'X-Forwarded-For',
  'X-Forwarded-Proto',
  'Forwarded',
  'TE',
  'Trailer',
  'Keep-Alive',
];

describe('§8.9 fuzzing the HTTP API', () => {
  let h: Harness;
  let port: number;
  let ids: string[];
  before(async () => {
    h = await startHarness(threeLevel(), ['ta']);
    port = Number(new URL(h.resolver.url).port);
    ids = ['op', 'rp', 'inter', 'ta'].map((name) => h.testbed.entityId(name));
  });
  after(() => h.close());

  it(`${RUNS} random requests (method, target, query, headers) are each answered, never 5xx but 503 (or 501 for an unimplemented method), errors as §8.9 JSON, always with the security headers and Cache-Control`, async () => {
    const text = (maxLength: number) =>
      fc.string({ unit: 'binary-ascii', maxLength }).map((s) => s.replace(/[\r\n]/g, ''));
    const method = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...METHODS) },
      { weight: 1, arbitrary: fc.stringMatching(/^[A-Z][A-Z-]{0,11}$/) },
      { weight: 1, arbitrary: text(8).map((s) => s.replace(/ /g, '')) },
    );
    const value = fc.oneof(
      fc.constantFrom('__id__', 'http://127.0.0.1:1/x', '%', '%zz', '%00', 'https://a?b#c', '..'),
      text(40).map(encodeURIComponent),
      text(40).map((s) => s.replace(/[ #]/g, '')),
      fc.string({ unit: 'grapheme', maxLength: 10 }).map(encodeURIComponent),
    );
    const query = fc.array(fc.tuple(fc.constantFrom(...PARAMETERS), value), { maxLength: 6 });
    const path = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...PATHS) },
      {
        weight: 1,
        arbitrary: fc
          .array(
            text(12).map((s) => s.replace(/[ ?#]/g, '')),
            { maxLength: 4 },
          )
          .map((segments) => `/${segments.join('/')}`),
      },
    );
    const headerValue = fc.oneof(
      text(60),
      fc.constantFrom('100-continue', 'chunked', 'gzip, chunked', 'close', 'upgrade', 'websocket'),
      fc.constantFrom('0', '-1', '1', '17000', '99999999999999999999', ' 5', '5, 6'),
      fc.constantFrom('\u0000', '\u0007', '\u007f', '\u00ff\u00fe', 'a\tb'),
      fc.integer({ min: 1, max: 20_000 }).map((n) => 'v'.repeat(n)),
    );
    const headerName = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...HEADER_NAMES) },
      { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,20}$/) },
      { weight: 1, arbitrary: text(10).map((s) => s.replace(/:/g, '')) },
    );
    const headers = fc.array(fc.tuple(headerName, headerValue), { maxLength: 5 });
    const version = fc.oneof(
      { weight: 8, arbitrary: fc.constant('HTTP/1.1') },
      { weight: 1, arbitrary: fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/1.2', 'http/1.1', '') },
    );
    const request = fc.record({
      method,
      path,
      query,
      headers,
      version,
      withHost: fc.oneof(
        { weight: 9, arbitrary: fc.constant(true) },
        { weight: 1, arbitrary: fc.constant(false) },
      ),
    });

    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const search = r.query
          .map(([name, v]) => {
            const resolved = v === '__id__' ? ((name === 'sub' ? ids[0] : ids[3]) ?? '') : v;
            return `${name}=${v === '__id__' ? encodeURIComponent(resolved) : resolved}`;
          })
          .join('&');
        const target = search === '' ? r.path : `${r.path}?${search}`;
        const lines = [
          `${r.method} ${target} ${r.version}`.trimEnd(),
          ...(r.withHost ? ['Host: resolver.test'] : []),
          ...r.headers.map(([name, v]) => `${name}: ${v}`),
          'Connection: close',
        ];
        const head = `${lines.join('\r\n')}\r\n\r\n`;
        const answer = await rawRequest(port, Buffer.from(head, 'latin1'), {
          timeoutMs: 5000,
          head: r.method === 'HEAD',
        });
        const what = `${JSON.stringify(head.slice(0, 300))} → ${JSON.stringify(answer.raw.slice(0, 300))}`;
        assert.ok(answer.status >= 200, `no answer (${answer.ended}): ${what}`);
        // 501 is the answer to a method the service does not implement, in the invalid_request form.
        assert.ok(answer.status < 500 || [501, 503].includes(answer.status), `5xx: ${what}`);
        for (const [name, expected] of Object.entries(SECURITY_HEADERS)) {
          assert.equal(answer.headers[name], expected, `${name}: ${what}`);
        }
        assert.ok(String(answer.headers['cache-control'] ?? '') !== '', `Cache-Control: ${what}`);
        if (answer.status >= 400 && r.method !== 'HEAD') {
          const { error } = errorBody(answer, what);
          if (answer.status === 501) assert.equal(error, 'invalid_request', what);
          if (answer.status === 503) assert.equal(error, 'temporarily_unavailable', what);
        }
      }),
      { numRuns: RUNS },
    );
    assert.equal((await get(`${h.resolver.url}/healthz`)).status, 200);
  });
});
