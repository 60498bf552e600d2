/**
 * Trust marks through the service (§7.3, §8.3.2, §8.4): verified marks in /resolve with the
 * lowered exp, every rejection explained in /api/v1/explain, status checks, the JSON filter.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import type { Topology, TrustMarkSpec } from '../../src/testbed/index.js';
import { peek, startHarness, type Harness } from '../support/service.js';
import { OP_METADATA } from '../support/topologies.js';

const CERT = '{{url}}/marks/certified';
const OPEN = '{{url}}/marks/open';
const OWNED = '{{url}}/marks/sirtfi';
const UNKNOWN = '{{url}}/marks/unknown';

/** A leaf under ta holding `marks`. */
function holder(name: string, ...marks: TrustMarkSpec[]) {
  return { name, authorityHints: ['ta'], metadata: OP_METADATA, trustMarks: marks };
}

function topology(): Topology {
  return {
    entities: [
      {
        name: 'ta',
        trustMarkIssuers: { [CERT]: ['certifier'], [OPEN]: [], [OWNED]: ['certifier'] },
        trustMarkOwners: { [OWNED]: 'owner' },
      },
      { name: 'certifier', authorityHints: ['ta'] },
      { name: 'owner', authorityHints: ['ta'] },
      { name: 'rogue', authorityHints: ['ta'] },
      { name: 'other-ta' },
      { name: 'lost-issuer', authorityHints: ['other-ta'] },
      holder(
        'op-good',
        { type: CERT, issuer: 'certifier', lifetimeSeconds: 600 },
        { type: OWNED, issuer: 'certifier', delegatedBy: 'owner' },
        { type: OPEN, issuer: 'rogue' },
      ),
      holder('op-self', { type: OPEN, issuer: 'op-self' }),
      holder('op-expired', { type: CERT, issuer: 'certifier', faults: { expired: true } }),
      holder('op-future', { type: CERT, issuer: 'certifier', faults: { notYetValid: true } }),
      holder('op-forged', { type: CERT, issuer: 'certifier', faults: { wrongKey: true } }),
      holder('op-typ', { type: CERT, issuer: 'certifier', faults: { typ: 'JWT' } }),
      holder('op-outer', {
        type: CERT,
        issuer: 'certifier',
        faults: { outerType: '{{url}}/marks/other' },
      }),
      holder('op-wrong-sub', { type: CERT, issuer: 'certifier', faults: { sub: 'op-good' } }),
      holder('op-wrong-issuer', { type: CERT, issuer: 'rogue' }),
      holder('op-unknown-type', { type: UNKNOWN, issuer: 'certifier' }),
      holder('op-no-delegation', { type: OWNED, issuer: 'certifier' }),
      holder('op-bad-delegation', {
        type: OWNED,
        issuer: 'certifier',
        delegatedBy: 'owner',
        faults: { delegationWrongKey: true },
      }),
      holder('op-expired-delegation', {
        type: OWNED,
        issuer: 'certifier',
        delegatedBy: 'owner',
        faults: { delegationExpired: true },
      }),
      holder('op-lost-issuer', { type: OPEN, issuer: 'lost-issuer' }),
      holder('op-no-exp', { type: CERT, issuer: 'certifier', lifetimeSeconds: null }),
      holder('op-revoked', {
        type: CERT,
        issuer: 'certifier',
        lifetimeSeconds: null,
        status: 'revoked',
      }),
      holder('op-status-404', {
        type: CERT,
        issuer: 'certifier',
        lifetimeSeconds: null,
        status: { http: 404 },
      }),
      holder('op-status-500', {
        type: CERT,
        issuer: 'certifier',
        lifetimeSeconds: null,
        status: { http: 500 },
      }),
      holder('op-status-forged', {
        type: CERT,
        issuer: 'certifier',
        lifetimeSeconds: null,
        statusFaults: { wrongKey: true },
      }),
      holder('op-legacy', {
        type: CERT,
        issuer: 'certifier',
        faults: { legacyClaimName: 'trust_mark_id' },
      }),
    ],
  };
}

interface ExplainMarks {
  trust_marks: {
    verified: Array<{ trust_mark_type: string; iss: string }>;
    rejected: Array<{
      trust_mark_type?: string;
      iss?: string;
      failure: { reason: string; section?: string };
    }>;
  };
}

describe('trust marks in resolutions', () => {
  let h: Harness;
  const type = (template: string) => template.replace('{{url}}', h.testbed.url);
  before(async () => {
    h = await startHarness(topology(), ['ta']);
  });
  after(() => h.close());

  async function resolveClaims(subject: string): Promise<Record<string, unknown>> {
    const response = await h.get('/resolve', h.query(subject));
    const body = await response.text();
    assert.equal(response.status, 200, body);
    return peek(body).claims;
  }

  async function explain(subject: string): Promise<ExplainMarks> {
    const response = await h.get('/api/v1/explain', h.query(subject));
    assert.equal(response.status, 200);
    return (await response.json()) as ExplainMarks;
  }

  it('§8.3.2: /resolve carries the verified marks, delegated and self-signed included, and exp drops to the earliest mark exp', async () => {
    const claims = await resolveClaims('op-good');
    const marks = claims['trust_marks'] as Array<{ trust_mark_type: string; trust_mark: string }>;
    assert.deepEqual(
      marks.map((mark) => mark.trust_mark_type).sort(),
      [type(CERT), type(OPEN), type(OWNED)].sort(),
    );
    const certified = marks.find((mark) => mark.trust_mark_type === type(CERT));
    assert.equal(certified?.trust_mark, await h.testbed.trustMark('op-good', CERT));
    const markExp = Number(decodeJwt(certified?.trust_mark ?? '').exp);
    const chainExp = Math.min(
      ...(claims['trust_chain'] as string[]).map((jwt) => Number(decodeJwt(jwt).exp)),
    );
    assert.ok(markExp < chainExp, 'the certified mark expires before the chain');
    assert.equal(claims['exp'], markExp);
    assert.deepEqual(
      ((await resolveClaims('op-self'))['trust_marks'] as Array<{ trust_mark_type: string }>).map(
        (mark) => mark.trust_mark_type,
      ),
      [type(OPEN)],
    );
  });

  const rejections: Array<[string, string]> = [
    ['op-expired', 'statement_expired'],
    ['op-future', 'statement_not_yet_valid'],
    ['op-forged', 'signature_invalid'],
    ['op-typ', 'typ_invalid'],
    ['op-wrong-sub', 'subject_mismatch'],
    ['op-wrong-issuer', 'trust_mark_issuer_not_trusted'],
    ['op-unknown-type', 'trust_mark_type_not_recognized'],
    ['op-no-delegation', 'delegation_missing'],
    ['op-bad-delegation', 'delegation_invalid'],
    ['op-expired-delegation', 'delegation_invalid'],
    ['op-lost-issuer', 'issuer_chain_invalid'],
    ['op-revoked', 'trust_mark_status_not_active'],
    ['op-status-404', 'trust_mark_status_not_active'],
    ['op-status-500', 'trust_mark_status_unavailable'],
    ['op-status-forged', 'trust_mark_status_invalid'],
  ];
  for (const [subject, reason] of rejections) {
    it(`leaves out the mark of ${subject} silently and explains it as ${reason}`, async () => {
      const claims = await resolveClaims(subject);
      assert.equal(claims['trust_marks'], undefined, 'no unverified mark in the response');
      const chainExp = Math.min(
        ...(claims['trust_chain'] as string[]).map((jwt) => Number(decodeJwt(jwt).exp)),
      );
      assert.equal(claims['exp'], chainExp);
      const report = (await explain(subject)).trust_marks;
      assert.deepEqual(report.verified, []);
      assert.equal(report.rejected.length, 1);
      assert.equal(report.rejected[0]?.failure.reason, reason, JSON.stringify(report.rejected[0]));
    });
  }

  // §3.2 step 20 (docs/decisions.md): the syntax of trust_marks is a statement check, so a
  // configuration that breaks it is rejected as a whole, unlike a mark that fails §7.3.
  for (const [subject, why] of [
    ['op-outer', /names the type .* but its trust mark is of type/],
    ['op-legacy', /has no "trust_mark_type"/],
  ] as const) {
    it(`§3.2 step 20: rejects the configuration of ${subject}, whose trust_marks entry is malformed`, async () => {
      const response = await h.get('/resolve', h.query(subject));
      assert.equal(response.status, 400);
      const body = (await response.json()) as Record<string, string>;
      assert.equal(body['error'], 'invalid_trust_chain');
      assert.equal(body['reason'], 'claim_invalid');
      assert.match(body['error_description'] ?? '', why);
      const report = (await (await h.get('/api/v1/explain', h.query(subject))).json()) as {
        error: { statement_index: number; claim: string; section: string };
        branches: Array<{ status: string }>;
      };
      assert.deepEqual(
        [report.error.statement_index, report.error.claim, report.error.section],
        [0, 'trust_marks', '§3.2'],
      );
      assert.deepEqual(
        report.branches.map((branch) => branch.status),
        ['invalid'],
        'a configuration that arrived and failed is invalid, not incomplete',
      );
    });
  }

  it('§8.4: checks a mark without exp with the issuer once, then reuses the answer', async () => {
    const first = await resolveClaims('op-no-exp');
    assert.equal((first['trust_marks'] as unknown[]).length, 1);
    assert.equal(h.testbed.requests.count({ kind: 'status', subject: 'op-no-exp' }), 1);
    await resolveClaims('op-no-exp');
    assert.equal(h.testbed.requests.count({ kind: 'status', subject: 'op-no-exp' }), 1);
    // Marks with exp are not sent to the status endpoint by default.
    assert.equal(h.testbed.requests.count({ kind: 'status', subject: 'op-good' }), 0);
  });

  it('/api/v1/resolve lists verified marks and filters by trust_mark_type', async () => {
    const good = await h.get(
      '/api/v1/resolve',
      h.query('op-good', 'ta', { trust_mark_type: [type(CERT), type(OWNED)] }),
    );
    assert.equal(good.status, 200);
    const body = (await good.json()) as {
      trust_marks: Array<{ trust_mark_type: string; iss: string }>;
    };
    assert.equal(body.trust_marks.length, 3);
    assert.ok(body.trust_marks.every((mark) => mark.iss.startsWith(h.testbed.url)));
    const filtered = await h.get(
      '/api/v1/resolve',
      h.query('op-expired', 'ta', { trust_mark_type: type(CERT) }),
    );
    assert.equal(filtered.status, 404);
    assert.equal(((await filtered.json()) as { error: string }).error, 'not_found');
  });
});

describe('trust mark settings', () => {
  it('TRUST_MARK_STATUS_CHECK=never keeps a revoked mark without asking; always asks for every mark', async () => {
    const never = await startHarness(topology(), ['ta'], { TRUST_MARK_STATUS_CHECK: 'never' });
    try {
      const claims = peek(
        await (await never.get('/resolve', never.query('op-revoked'))).text(),
      ).claims;
      assert.equal((claims['trust_marks'] as unknown[]).length, 1);
      assert.equal(never.testbed.requests.count({ kind: 'status' }), 0);
    } finally {
      await never.close();
    }
    const always = await startHarness(topology(), ['ta'], { TRUST_MARK_STATUS_CHECK: 'always' });
    try {
      assert.equal((await always.get('/resolve', always.query('op-good'))).status, 200);
      assert.equal(always.testbed.requests.count({ kind: 'status', subject: 'op-good' }), 3);
    } finally {
      await always.close();
    }
  });

  it('ACCEPT_LEGACY_TRUST_MARK_CLAIMS=true (the deprecated alias of TOLERATE=legacy-trust-mark-claims) reads trust_mark_id as the type', async () => {
    const h = await startHarness(topology(), ['ta'], { ACCEPT_LEGACY_TRUST_MARK_CLAIMS: 'true' });
    try {
      const claims = peek(await (await h.get('/resolve', h.query('op-legacy'))).text()).claims;
      assert.equal((claims['trust_marks'] as unknown[]).length, 1);
    } finally {
      await h.close();
    }
  });

  it("the sample federation: op-university is accredited, rp-shop's expired mark is left out", async () => {
    const { sampleFederation } = await import('../../src/testbed/index.js');
    const h = await startHarness(sampleFederation(), ['ta']);
    try {
      const op = peek(await (await h.get('/resolve', h.query('op-university'))).text()).claims;
      assert.equal((op['trust_marks'] as unknown[]).length, 2);
      const rp = peek(await (await h.get('/resolve', h.query('rp-shop'))).text()).claims;
      assert.equal(rp['trust_marks'], undefined);
    } finally {
      await h.close();
    }
  });
});

describe('trust mark bounds and round trips', () => {
  const topology = (): Topology => ({
    entities: [
      { name: 'ta', trustMarkIssuers: { [`${OPEN}/1`]: [], [`${OPEN}/2`]: [], [`${OPEN}/3`]: [] } },
      { name: 'inter', authorityHints: ['ta'] },
      { name: 'i1', authorityHints: ['ta'] },
      { name: 'i2', authorityHints: ['ta'] },
      { name: 'i3', authorityHints: ['ta'] },
      {
        name: 'op',
        authorityHints: ['inter'],
        metadata: OP_METADATA,
        trustMarks: [
          { type: `${OPEN}/1`, issuer: 'i1' },
          { type: `${OPEN}/2`, issuer: 'i2' },
          { type: `${OPEN}/3`, issuer: 'i3' },
        ],
      },
    ],
  });

  it('MAX_TRUST_MARKS bounds the marks evaluated; the others are reported and their issuers never contacted', async () => {
    const h = await startHarness(topology(), ['ta'], { MAX_TRUST_MARKS: '2' });
    try {
      const claims = peek(await (await h.get('/resolve', h.query('op'))).text()).claims;
      assert.equal((claims['trust_marks'] as unknown[]).length, 2);
      assert.equal(h.testbed.requests.count({ entity: 'i3' }), 0);
      const explain = (await (
        await h.get('/api/v1/explain', h.query('op'))
      ).json()) as ExplainMarks;
      assert.deepEqual(
        explain.trust_marks.rejected.map((mark) => mark.failure.reason),
        ['trust_mark_limit_exceeded'],
      );
    } finally {
      await h.close();
    }
  });

  it("resolves the issuers' chains while the subject's own chain is still being discovered", async () => {
    const h = await startHarness(topology(), ['ta']);
    try {
      h.testbed.setLatency(30);
      assert.equal((await h.get('/resolve', h.query('op'))).status, 200);
      const entries = h.testbed.requests.entries();
      const issuerConfiguration = entries.find(
        (entry) => entry.entity === 'i1' && entry.kind === 'configuration',
      );
      const lastOfSubject = entries.find(
        (entry) => entry.kind === 'fetch' && entry.subject === h.testbed.entityId('inter'),
      );
      assert.ok(issuerConfiguration !== undefined && lastOfSubject !== undefined);
      // ta's statement about inter is the subject chain's last wave; the issuer was asked before.
      assert.ok(issuerConfiguration.at < lastOfSubject.at);
    } finally {
      await h.close();
    }
  });
});

describe('re-evaluation of trust marks', () => {
  it('re-checks a status-checked mark after TRUST_MARK_STATUS_CACHE_SECONDS, ahead of time in the background', async () => {
    const h = await startHarness(topology(), ['ta'], { TRUST_MARK_STATUS_CACHE_SECONDS: '1' });
    try {
      const statusCalls = () => h.testbed.requests.count({ kind: 'status', subject: 'op-no-exp' });
      assert.equal((await h.get('/resolve', h.query('op-no-exp'))).status, 200);
      assert.equal(statusCalls(), 1);
      // Inside the last quarter of the report's second: served as is, refreshed in the background.
      await new Promise((resolve) => setTimeout(resolve, 850));
      assert.equal((await h.get('/resolve', h.query('op-no-exp'))).status, 200);
      for (let attempt = 0; attempt < 50 && statusCalls() < 2; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(statusCalls(), 2);
    } finally {
      await h.close();
    }
  });

  it('keeps the signed response of marks verified without status checks until they expire', async () => {
    const h = await startHarness(topology(), ['ta'], { TRUST_MARK_STATUS_CACHE_SECONDS: '1' });
    try {
      const first = await (await h.get('/resolve', h.query('op-self'))).text();
      await new Promise((resolve) => setTimeout(resolve, 1100));
      assert.equal(await (await h.get('/resolve', h.query('op-self'))).text(), first);
    } finally {
      await h.close();
    }
  });
});
