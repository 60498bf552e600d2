/**
 * Faulty statements at each level of [op EC, inter→op, ta→inter, ta EC] (plus inter's own
 * configuration, which discovery uses), through the real service (§3.2, §10.2).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REASON_HINTS } from '../../src/engine/reason-hints.js';
import type { FailureReason } from '../../src/federation/errors.js';
import type { FaultTarget, StatementFaults } from '../../src/testbed/index.js';
import { startHarness } from '../support/service.js';
import { threeLevel } from '../support/topologies.js';

interface Explain {
  outcome: string;
  error?: { error: string; reason: string; statement_index?: number; hint?: string };
  branches: Array<{
    status: string;
    failure?: { reason: string; statement_index?: number; hint?: string };
  }>;
}

const LEVELS: ReadonlyArray<readonly [string, FaultTarget, number | undefined]> = [
  ['the subject configuration', { entity: 'op' }, 0],
  ["the intermediate's statement about the subject", { issuer: 'inter', subject: 'op' }, 1],
  ["the anchor's statement about the intermediate", { issuer: 'ta', subject: 'inter' }, 2],
  ["the anchor's configuration", { entity: 'ta' }, 3],
  ["the intermediate's configuration (used for discovery)", { entity: 'inter' }, undefined],
];

const FAULTS: ReadonlyArray<readonly [string, StatementFaults, readonly string[]]> = [
  ['expired', { expired: true }, ['statement_expired']],
  ['future-dated', { notYetValid: true }, ['statement_not_yet_valid']],
  // The anchor's configuration is checked against the pinned keys: anchor_keys_mismatch there.
  ['wrongly signed', { wrongKey: true }, ['signature_invalid']],
  ['signed under an unknown kid', { unknownKid: true }, ['kid_unknown']],
  ['wrongly typed', { typ: 'JWT' }, ['typ_invalid']],
  ['untyped', { typ: null }, ['typ_invalid']],
];

describe('faulty statements at each level', () => {
  for (const [where, target, index] of LEVELS) {
    for (const [what, faults, reasons] of FAULTS) {
      it(`${what} ${where}: 400 invalid_trust_chain, explained with its reason`, async () => {
        // A fresh federation and resolver per case: nothing cached from another case.
        const h = await startHarness(threeLevel(), ['ta']);
        try {
          h.testbed.setFaults(target, faults);
          const response = await h.get('/resolve', h.query('op'));
          const body = (await response.json()) as { error: string; error_description: string };
          assert.equal(response.status, 400, JSON.stringify(body));
          assert.equal(body.error, 'invalid_trust_chain');
          const explain = (await (await h.get('/api/v1/explain', h.query('op'))).json()) as Explain;
          assert.equal(explain.outcome, 'failed');
          const signatureFault = faults.wrongKey === true || faults.unknownKid === true;
          const expected = index === 3 && signatureFault ? ['anchor_keys_mismatch'] : reasons;
          assert.ok(
            explain.error !== undefined && expected.includes(explain.error.reason),
            JSON.stringify(explain.error),
          );
          if (index !== undefined)
            assert.equal(explain.error.statement_index, index, JSON.stringify(explain.error));
          // The hint how to fix it is the reason's row of docs/reasons.md.
          assert.equal(explain.error.hint, REASON_HINTS[explain.error.reason as FailureReason]);
          for (const branch of explain.branches.filter((b) => b.failure !== undefined))
            assert.match(branch.failure?.hint ?? '', /must|may/, JSON.stringify(branch));
        } finally {
          await h.close();
        }
      });
    }
  }
});

describe('recovery', () => {
  it('picks up a fixed statement at once: a rejected statement is not kept in the statement cache', async () => {
    const h = await startHarness(threeLevel(), ['ta'], { NEGATIVE_CACHE_TTL_SECONDS: '0' });
    try {
      h.testbed.setFaults({ issuer: 'inter', subject: 'op' }, { expired: true });
      assert.equal((await h.get('/resolve', h.query('op'))).status, 400);
      // Other subjects are not affected.
      assert.equal((await h.get('/resolve', h.query('rp'))).status, 200);
      h.testbed.setFaults({ issuer: 'inter', subject: 'op' }, undefined);
      assert.equal((await h.get('/resolve', h.query('op'))).status, 200);
    } finally {
      await h.close();
    }
  });

  it('serves a failure from the negative cache for NEGATIVE_CACHE_TTL_SECONDS', async () => {
    const h = await startHarness(threeLevel(), ['ta'], { NEGATIVE_CACHE_TTL_SECONDS: '60' });
    try {
      h.testbed.setFaults({ issuer: 'inter', subject: 'op' }, { status: 503 });
      // An upstream 503 may pass: 503 temporarily_unavailable with Retry-After (§10.5).
      const first = await h.get('/resolve', h.query('op'));
      assert.equal(first.status, 503);
      assert.equal(first.headers.get('retry-after'), '5');
      assert.equal(((await first.json()) as { error: string }).error, 'temporarily_unavailable');
      const before = h.testbed.requests.total();
      h.testbed.setFaults({ issuer: 'inter', subject: 'op' }, undefined);
      assert.equal((await h.get('/resolve', h.query('op'))).status, 503);
      assert.equal(
        h.testbed.requests.total(),
        before,
        'a cached failure makes no upstream request',
      );
    } finally {
      await h.close();
    }
  });
});

describe('HTTP-level faults of upstream responses', () => {
  const cases: ReadonlyArray<readonly [string, StatementFaults, string]> = [
    ['a wrong content type', { contentType: 'application/jwt' }, 'content_type_invalid'],
    ['a redirect', { redirectTo: 'http://127.0.0.1:9/elsewhere' }, 'redirect_refused'],
    ['an oversized body', { oversizedBytes: 400_000 }, 'response_too_large'],
    ['a 404', { status: 404 }, 'statement_unavailable'],
    ['a body that is not a JWS', { body: 'hello' }, 'statement_malformed'],
  ];
  for (const [what, faults, reason] of cases) {
    it(`reports ${what} of a Subordinate Statement as ${reason}`, async () => {
      const h = await startHarness(threeLevel(), ['ta']);
      try {
        h.testbed.setFaults({ issuer: 'inter', subject: 'op' }, faults);
        const response = await h.get('/resolve', h.query('op'));
        assert.equal(response.status, 400);
        const explain = (await (await h.get('/api/v1/explain', h.query('op'))).json()) as Explain;
        assert.equal(explain.error?.reason, reason, JSON.stringify(explain.error));
        assert.equal(explain.error?.statement_index, 1);
      } finally {
        await h.close();
      }
    });
  }

  it('a subject configuration served with a wrong content type is not_found (404)', async () => {
    const h = await startHarness(threeLevel(), ['ta']);
    try {
      h.testbed.setFaults({ entity: 'op' }, { contentType: 'text/html' });
      const response = await h.get('/resolve', h.query('op'));
      assert.equal(response.status, 404);
      assert.equal(((await response.json()) as { error: string }).error, 'not_found');
    } finally {
      await h.close();
    }
  });
});

describe('§6.2 constraints through the service', () => {
  const cases: ReadonlyArray<readonly [string, Record<string, unknown>, string]> = [
    [
      'max_path_length 0 on the anchor statement',
      { max_path_length: 0 },
      'max_path_length_exceeded',
    ],
    [
      'naming constraints that do not permit 127.0.0.1',
      { naming_constraints: { permitted: ['.example.com'] } },
      'naming_constraint_violated',
    ],
    [
      'naming constraints that exclude 127.0.0.1',
      { naming_constraints: { excluded: ['127.0.0.1'] } },
      'naming_constraint_violated',
    ],
  ];
  for (const [what, constraints, reason] of cases) {
    it(`refuses the chain: ${what}`, async () => {
      const topology = threeLevel();
      const h = await startHarness(
        {
          ...topology,
          subordinates: [
            ...(topology.subordinates ?? []).filter((s) => s.subject !== 'inter'),
            { issuer: 'ta', subject: 'inter', constraints },
          ],
        },
        ['ta'],
      );
      try {
        const response = await h.get('/resolve', h.query('op'));
        assert.equal(response.status, 400);
        const explain = (await (await h.get('/api/v1/explain', h.query('op'))).json()) as Explain;
        assert.equal(explain.error?.reason, reason);
        assert.equal(explain.error?.statement_index, 2);
      } finally {
        await h.close();
      }
    });
  }

  it('allowed_entity_types filters the resolved metadata (§6.2.3)', async () => {
    const topology = threeLevel();
    const h = await startHarness(
      {
        ...topology,
        subordinates: [
          ...(topology.subordinates ?? []).filter((s) => s.subject !== 'inter'),
          {
            issuer: 'ta',
            subject: 'inter',
            constraints: { allowed_entity_types: ['openid_provider'] },
          },
        ],
      },
      ['ta'],
    );
    try {
      const response = await h.get('/api/v1/resolve', h.query('op'));
      const body = (await response.json()) as { metadata: Record<string, unknown> };
      assert.deepEqual(Object.keys(body.metadata).sort(), ['federation_entity', 'openid_provider']);
    } finally {
      await h.close();
    }
  });
});
