/**
 * The named tolerances (docs/tolerances.md) against the real service and a testbed federation
 * that publishes each deviation of deployed software; the issuer rule (§5.1.3, §5.1.4) on every
 * endpoint that serves metadata; and what `/api/v1/explain` calls invalid and incomplete.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { startTestbed, type Testbed, type Topology } from '../../src/testbed/index.js';
import {
  peek,
  startHarness,
  startTestResolver,
  type Harness,
  type TestResolver,
} from '../support/service.js';

const MARK = '{{url}}/marks/member';

/**
 * A federation as spid-cie-oidc publishes it, one deviation per anchor so that each tolerance
 * is needed alone: `ta-constraints` puts `constraints` in its Entity Configuration; `ta` repeats
 * `op-marked`'s marks in its Subordinate Statement about it, and `rp-legacy` uses the draft name
 * `id` in its trust mark; `ta-drafts` lists its issuers as `trust_marks_issuers`.
 */
function spidLike(): Topology {
  const op = (name: string, anchor: string) => ({
    name,
    authorityHints: [anchor],
    metadata: { openid_provider: { issuer: '{{self}}', contacts: ['ops@example.org'] } },
  });
  return {
    entities: [
      { name: 'ta', trustMarkIssuers: { [MARK]: ['ta'] } },
      {
        name: 'ta-constraints',
        faults: { constraintsInConfiguration: { max_path_length: 0 } },
      },
      {
        name: 'ta-drafts',
        trustMarkIssuers: { [MARK]: ['ta-drafts'] },
        faults: { draftTrustMarkClaimNames: true },
      },
      op('op-constrained', 'ta-constraints'),
      { ...op('op-marked', 'ta'), trustMarks: [{ type: MARK, issuer: 'ta' }] },
      {
        ...op('rp-legacy', 'ta'),
        trustMarks: [{ type: MARK, issuer: 'ta', faults: { legacyClaimName: 'id' } }],
      },
      { ...op('op-drafts', 'ta-drafts'), trustMarks: [{ type: MARK, issuer: 'ta-drafts' }] },
    ],
    subordinates: [
      { issuer: 'ta', subject: 'op-marked', faults: { trustMarksInSubordinateStatement: true } },
    ],
  };
}

interface Explained {
  outcome: string;
  error?: { reason: string; statement_index?: number; claim?: string };
  tolerated?: Array<Record<string, unknown>>;
  branches: Array<{ status: string; tolerated?: Array<Record<string, unknown>> }>;
  trust_marks?: { verified: unknown[]; rejected: unknown[] };
}

/** A pino logger whose JSON lines the test reads. */
function capturingLogger(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

describe('named tolerances (TOLERATE) against a federation that bends the spec', () => {
  let testbed: Testbed;
  const resolvers: TestResolver[] = [];
  const anchors = ['ta', 'ta-constraints', 'ta-drafts'];

  before(async () => {
    testbed = await startTestbed(spidLike());
  });
  after(async () => {
    for (const resolver of resolvers) await resolver.close();
    await testbed.close();
  });

  async function resolver(tolerate: string, logger?: pino.Logger): Promise<TestResolver> {
    const started = await startTestResolver(
      testbed,
      anchors,
      tolerate === '' ? {} : { TOLERATE: tolerate },
      logger,
    );
    resolvers.push(started);
    return started;
  }

  function get(r: TestResolver, path: string, subject: string, anchor: string) {
    const query = new URLSearchParams({
      sub: testbed.entityId(subject),
      trust_anchor: testbed.entityId(anchor),
    });
    return fetch(`${r.service.url}${path}?${query.toString()}`);
  }

  const cases = [
    {
      tolerance: 'constraints-in-entity-configuration',
      subject: 'op-constrained',
      anchor: 'ta-constraints',
      without: { reason: 'claim_not_allowed', statementIndex: 2, claim: 'constraints' },
    },
    {
      tolerance: 'trust-marks-in-subordinate-statement',
      subject: 'op-marked',
      anchor: 'ta',
      without: { reason: 'claim_not_allowed', statementIndex: 1, claim: 'trust_marks' },
    },
    {
      tolerance: 'legacy-trust-mark-claims',
      subject: 'rp-legacy',
      anchor: 'ta',
      without: { reason: 'claim_invalid', statementIndex: 0, claim: 'trust_marks' },
    },
  ] as const;

  for (const { tolerance, subject, anchor, without } of cases) {
    it(`${tolerance}: without it ${subject} fails with ${without.reason} as the Final requires; with it alone, it resolves and says so`, async () => {
      const strict = await resolver('');
      const refused = await get(strict, '/resolve', subject, anchor);
      assert.equal(refused.status, 400);
      assert.equal(((await refused.json()) as { reason: string }).reason, without.reason);
      const why = (await (
        await get(strict, '/api/v1/explain', subject, anchor)
      ).json()) as Explained;
      assert.equal(why.error?.reason, without.reason);
      assert.equal(why.error?.statement_index, without.statementIndex);
      assert.equal(why.error?.claim, without.claim);

      const lenient = await resolver(tolerance);
      const served = await get(lenient, '/resolve', subject, anchor);
      assert.equal(served.status, 200, await served.clone().text());
      const explained = (await (
        await get(lenient, '/api/v1/explain', subject, anchor)
      ).json()) as Explained;
      assert.equal(explained.outcome, 'resolved');
      const uses = explained.tolerated ?? [];
      assert.equal(uses.length, 1, JSON.stringify(uses));
      assert.equal(uses[0]?.['tolerance'], tolerance);
      assert.equal(uses[0]?.['statement_index'], without.statementIndex);
      assert.equal(
        uses[0]?.['section'],
        tolerance === 'legacy-trust-mark-claims' ? '§7.1' : '§3.2',
      );
      assert.match(String(uses[0]?.['url']), /^http:\/\/127\.0\.0\.1:\d+\//);
      assert.deepEqual(explained.branches[0]?.tolerated, uses, 'on the branch as well');
      const json = (await (await get(lenient, '/api/v1/resolve', subject, anchor)).json()) as {
        tolerated: unknown[];
      };
      assert.equal(json.tolerated.length, 1);
      const metrics = await (await fetch(`${lenient.service.url}/metrics`)).text();
      assert.match(
        metrics,
        new RegExp(`resolver_tolerated_resolutions_total\\{tolerance="${tolerance}"\\} [1-9]`),
      );
    });
  }

  it('legacy-trust-mark-claims: the draft-named mark is verified in full and served; trust_marks_issuers is read', async () => {
    const lenient = await resolver('legacy-trust-mark-claims');
    const claims = peek(await (await get(lenient, '/resolve', 'rp-legacy', 'ta')).text()).claims;
    assert.equal((claims['trust_marks'] as unknown[]).length, 1);
    const drafts = peek(await (await get(lenient, '/resolve', 'op-drafts', 'ta-drafts')).text());
    assert.equal((drafts.claims['trust_marks'] as unknown[]).length, 1, 'the anchor accredits');
    // Without the tolerance the anchor's draft list is an unknown claim: the type is unknown.
    const strict = await resolver('');
    const explained = (await (
      await get(strict, '/api/v1/explain', 'op-drafts', 'ta-drafts')
    ).json()) as { trust_marks: { rejected: Array<{ failure: { reason: string } }> } };
    assert.equal(
      explained.trust_marks.rejected[0]?.failure.reason,
      'trust_mark_type_not_recognized',
    );
  });

  it('trust-marks-in-subordinate-statement: the ignored claim is never read as the subject’s marks', async () => {
    // The subject's own mark stays the only one evaluated, once.
    const lenient = await resolver('trust-marks-in-subordinate-statement');
    const explained = (await (
      await get(lenient, '/api/v1/explain', 'op-marked', 'ta')
    ).json()) as Explained;
    assert.equal(explained.trust_marks?.verified.length, 1);
    assert.equal(explained.trust_marks?.rejected.length, 0);
  });

  it('every deviation at once resolves the whole federation, and each tolerated statement is logged once at info', async () => {
    const { logger, lines } = capturingLogger();
    const all = await resolver(
      'constraints-in-entity-configuration,trust-marks-in-subordinate-statement,legacy-trust-mark-claims',
      logger,
    );
    for (let round = 0; round < 2; round++) {
      for (const { subject, anchor } of cases) {
        assert.equal((await get(all, '/api/v1/explain', subject, anchor)).status, 200);
      }
    }
    const tolerated = lines.filter((line) => String(line['msg']).startsWith('tolerated: '));
    assert.deepEqual(
      tolerated.map((line) => line['tolerance']).sort(),
      [
        'constraints-in-entity-configuration',
        'legacy-trust-mark-claims',
        'trust-marks-in-subordinate-statement',
      ],
      'once per statement, though each was resolved twice',
    );
    for (const line of tolerated) {
      assert.equal(line['level'], 30, 'info');
      assert.equal(typeof line['url'], 'string');
      assert.equal(typeof line['statement_index'], 'number');
    }
  });

  it('an unknown tolerance stops the service at boot, naming the known ones', async () => {
    await assert.rejects(
      resolver('be-lenient'),
      /TOLERATE: "be-lenient" is not a tolerance; known: constraints-in-entity-configuration/,
    );
  });
});

describe('§5.1.3, §5.1.4: the issuer rule on every endpoint that serves metadata', () => {
  let h: Harness;

  before(async () => {
    h = await startHarness(
      {
        entities: [
          { name: 'ta' },
          {
            name: 'op-wrong',
            authorityHints: ['ta'],
            metadata: { openid_provider: { issuer: 'https://elsewhere.example.org' } },
          },
          {
            name: 'as-wrong',
            authorityHints: ['ta'],
            metadata: { oauth_authorization_server: { issuer: '{{url}}/someone-else' } },
          },
          {
            name: 'op-mended',
            authorityHints: ['ta'],
            metadata: { openid_provider: { issuer: 'https://elsewhere.example.org' } },
          },
          {
            name: 'op-broken',
            authorityHints: ['ta'],
            metadata: { openid_provider: { issuer: '{{self}}' } },
          },
        ],
        subordinates: [
          {
            issuer: 'ta',
            subject: 'op-mended',
            metadata_policy: { openid_provider: { issuer: { value: '{{self}}' } } },
          },
          {
            issuer: 'ta',
            subject: 'op-broken',
            metadata_policy: { openid_provider: { issuer: { value: '{{url}}/impostor' } } },
          },
        ],
      },
      ['ta'],
    );
  });
  after(() => h.close());

  for (const [subject, discovery] of [
    ['op-wrong', '/discovery/openid-configuration'],
    ['as-wrong', '/discovery/oauth-authorization-server'],
    ['op-broken', '/discovery/openid-configuration'],
  ] as const) {
    for (const path of ['/resolve', '/api/v1/resolve', discovery]) {
      it(`${subject}: ${path} answers 400 invalid_metadata issuer_mismatch with the offending value`, async () => {
        const response = await h.get(path, h.query(subject));
        assert.equal(response.status, 400);
        const body = (await response.json()) as Record<string, string>;
        assert.equal(body['error'], 'invalid_metadata');
        assert.equal(body['reason'], 'issuer_mismatch');
        assert.match(
          body['error_description'] ?? '',
          /issuer ".*(elsewhere|someone-else|impostor)/,
        );
      });
    }
  }

  it('a superior’s policy that sets the right issuer makes the chain valid (checked after policy)', async () => {
    const response = await h.get('/discovery/openid-configuration', h.query('op-mended'));
    assert.equal(response.status, 200);
    assert.equal(
      ((await response.json()) as { issuer: string }).issuer,
      h.testbed.entityId('op-mended'),
    );
  });

  it('/api/v1/explain names the rule, its section and the statement', async () => {
    const explained = (await (await h.get('/api/v1/explain', h.query('op-wrong'))).json()) as {
      error: Record<string, unknown>;
      branches: Array<{ status: string }>;
    };
    assert.equal(explained.error['reason'], 'issuer_mismatch');
    assert.equal(explained.error['section'], '§5.1.3');
    assert.equal(explained.error['entity_type'], 'openid_provider');
    assert.equal(explained.error['parameter'], 'issuer');
    assert.equal(explained.error['statement_index'], 0);
    assert.deepEqual(
      explained.branches.map((branch) => branch.status),
      ['invalid'],
    );
  });
});

describe('/api/v1/explain: invalid and incomplete branches', () => {
  let h: Harness;

  before(async () => {
    h = await startHarness(
      {
        entities: [
          { name: 'ta' },
          { name: 'expired-ia', authorityHints: ['ta'], faults: { expired: true } },
          { name: 'down-ia', authorityHints: ['ta'], faults: { status: 500 } },
          { name: 'forged-ia', authorityHints: ['ta'] },
          { name: 'op', authorityHints: ['expired-ia', 'down-ia', 'forged-ia'] },
          { name: 'op-down', authorityHints: ['ta'], faults: { status: 503 } },
          { name: 'op-expired', authorityHints: ['ta'], faults: { expired: true } },
        ],
        subordinates: [{ issuer: 'forged-ia', subject: 'op', faults: { wrongKey: true } }],
      },
      ['ta'],
    );
  });
  after(() => h.close());

  it('a branch that ended at a received, rejected statement is invalid; one that could not be fetched is incomplete', async () => {
    const explained = (await (await h.get('/api/v1/explain', h.query('op'))).json()) as {
      branches: Array<{ path: string[]; status: string; failure: { reason: string } }>;
    };
    const byIntermediate = Object.fromEntries(
      explained.branches.map((branch) => [
        branch.path[1] === undefined ? '' : branch.path[1].split('/').pop(),
        [branch.status, branch.failure.reason],
      ]),
    );
    assert.deepEqual(byIntermediate, {
      'expired-ia': ['invalid', 'statement_expired'],
      'down-ia': ['incomplete', 'upstream_status'],
      'forged-ia': ['invalid', 'signature_invalid'],
    });
  });

  it('a subject whose configuration could not be fetched is incomplete; one that arrived and failed is invalid', async () => {
    for (const [subject, status] of [
      ['op-down', 'incomplete'],
      ['op-expired', 'invalid'],
    ] as const) {
      const explained = (await (await h.get('/api/v1/explain', h.query(subject))).json()) as {
        branches: Array<{ status: string }>;
      };
      assert.deepEqual(
        explained.branches.map((branch) => branch.status),
        [status],
        subject,
      );
    }
  });
});
