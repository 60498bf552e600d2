/**
 * Hostile requests (property-based): whatever the query string, every endpoint answers with a
 * status of the error table and a §8.9 body, never a 500, and the service keeps serving.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { startHarness, type Harness } from '../support/service.js';
import { threeLevel } from '../support/topologies.js';

const PATHS = ['/resolve', '/api/v1/resolve', '/api/v1/explain', '/discovery/openid-configuration'];
const PARAMETER_NAMES = [
  'sub',
  'trust_anchor',
  'entity_type',
  'anchor',
  'type',
  'trust_mark_type',
  'x',
];

describe('hostile requests', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness(threeLevel(), ['ta']);
  });
  after(() => h.close());

  it('never answers 500, whatever the parameters', async () => {
    const value = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.constantFrom(
        'https://ta.example',
        'http://127.0.0.1:1/x',
        '%',
        '%zz',
        '\u0000',
        'https://a?b#c',
      ),
      fc.constant('__testbed__'),
    );
    const query = fc.array(fc.tuple(fc.constantFrom(...PARAMETER_NAMES), value), { maxLength: 6 });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...PATHS), query, async (path, pairs) => {
        const search = pairs
          .map(([name, v]) => {
            const resolved =
              v === '__testbed__' ? h.testbed.entityId(name === 'sub' ? 'op' : 'ta') : v;
            return `${name}=${encodeURIComponent(resolved)}`;
          })
          .join('&');
        const response = await fetch(`${h.resolver.url}${path}?${search}`);
        const body = await response.text();
        assert.ok(
          [200, 400, 404, 503].includes(response.status),
          `${response.status} ${path}?${search}: ${body}`,
        );
        if (response.status !== 200) {
          const parsed = JSON.parse(body) as { error?: unknown; error_description?: unknown };
          assert.equal(typeof parsed.error, 'string');
          assert.equal(typeof parsed.error_description, 'string');
        }
      }),
      { numRuns: 150 },
    );
    assert.equal((await h.get('/healthz')).status, 200);
  });

  it('answers raw malformed query strings with 400, and a request target over the limit with 414', async () => {
    for (const raw of ['sub=%E0%A4%A&trust_anchor=x', 'sub&trust_anchor', '&&&']) {
      const response = await fetch(`${h.resolver.url}/resolve?${raw}`);
      assert.equal(response.status, 400, raw.slice(0, 40));
    }
    const long = await fetch(`${h.resolver.url}/resolve?sub=${'a'.repeat(10_000)}`);
    assert.equal(long.status, 414);
    assert.equal(((await long.json()) as { error: string }).error, 'invalid_request');
  });
});
