/**
 * `fedres check` against a loopback federation: a healthy entity passes, and each fault of the
 * testbed is reported on its own line with its reason, its hint and the right exit status.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { StatementFaults, FaultTarget, Topology } from '../../../src/testbed/index.js';
import { startCliFederation, type CliFederation, type CliResult } from '../../support/cli.js';
import { OP_METADATA, threeLevel } from '../../support/topologies.js';

const CERT = '{{url}}/marks/certified';

/** threeLevel, plus an accredited mark issuer and an entity under ta holding one of its marks. */
function topology(): Topology {
  const base = threeLevel();
  return {
    entities: [
      ...base.entities.map((entity) =>
        entity.name === 'ta' ? { ...entity, trustMarkIssuers: { [CERT]: ['certifier'] } } : entity,
      ),
      { name: 'certifier', authorityHints: ['ta'] },
      // An anchor of another federation, which op's hints do not reach.
      { name: 'other-ta' },
      {
        name: 'marked',
        authorityHints: ['ta'],
        metadata: OP_METADATA,
        trustMarks: [{ type: CERT, issuer: 'certifier' }],
      },
    ],
    subordinates: base.subordinates ?? [],
  };
}

/** The lines of a check of `level` and `check`. */
function lines(result: CliResult, level: string, check: string): string[] {
  return result.stdout.split('\n').filter((line) => line.startsWith(`${level} ${check}: `));
}

/** The line right after the first `fail` line of `check`. */
function hintAfter(result: CliResult, check: string): string | undefined {
  const all = result.stdout.split('\n');
  const at = all.findIndex((line) => line.startsWith(`fail ${check}: `));
  return at === -1 ? undefined : all[at + 1];
}

describe('fedres check', () => {
  let fed: CliFederation;
  before(async () => {
    fed = await startCliFederation(topology(), ['ta']);
  });
  after(() => fed.close());

  /** Runs the check of `name` with `faults` set, and clears them afterwards. */
  async function checkWith(
    name: string,
    target: FaultTarget | undefined,
    faults: StatementFaults | undefined,
    args: readonly string[] = [],
  ): Promise<CliResult> {
    if (target !== undefined) fed.testbed.setFaults(target, faults);
    try {
      return await fed.run(['check', fed.id(name), '--horizon', '2h', ...args]);
    } finally {
      if (target !== undefined) fed.testbed.setFaults(target, undefined);
    }
  }

  it('passes every check of a healthy entity, one line each, and exits 0', async () => {
    const result = await checkWith('op', undefined, undefined);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    const out = result.stdout.replaceAll(fed.testbed.url, 'U');
    for (const expected of [
      'pass well-known: GET U/op/.well-known/openid-federation answered 200 application/entity-statement+jwt',
      'pass entity-configuration: typ, alg, kid, signature, time window and claims are right',
      'pass authority-hints: U/op lists U/inter',
      'pass authority-hint: U/inter answers and publishes a Subordinate Statement about U/op with its keys',
      'pass trust-chain: to U/ta: U/op → U/inter → U/ta',
      'pass metadata: resolved after policy: openid_provider, oauth_authorization_server, federation_entity',
      'pass trust-marks: the Entity Configuration carries none',
    ]) {
      assert.ok(out.split('\n').includes(expected), `${expected}\n--- in ---\n${out}`);
    }
    assert.match(out, /^pass expiry: nothing expires within 2h; the first is /m);
    assert.doesNotMatch(out, /^(fail|warn) /m);
    assert.equal(result.stderr, '');
  });

  it('expired: the superior’s statement, at statement 1, exit 1', async () => {
    const result = await checkWith('op', { issuer: 'inter', subject: 'op' }, { expired: true });
    assert.equal(result.status, 1);
    const [line] = lines(result, 'fail', 'authority-hint');
    assert.match(
      line ?? '',
      /^fail authority-hint: .*\/inter about .*\/op: the statement by .*\/inter about .*\/op expired at .* \(statement_expired, §3\.2, statement 1\)$/,
    );
    assert.match(hintAfter(result, 'authority-hint') ?? '', /^hint: The issuer must re-sign/);
    assert.match(lines(result, 'fail', 'trust-chain')[0] ?? '', /statement_expired/);
  });

  it('--json: one document with every check, its level, message and hint, and the exit status', async () => {
    const healthy = await checkWith('op', undefined, undefined, ['--json']);
    assert.equal(healthy.status, 0, healthy.stderr);
    const good = JSON.parse(healthy.stdout) as {
      sub: string;
      exit_status: number;
      summary: { pass: number; fail: number; warn: number };
      checks: Array<{ level: string; check: string; message: string; hint?: string }>;
    };
    assert.equal(good.sub, fed.id('op'));
    assert.equal(good.exit_status, 0);
    assert.deepEqual(good.summary, { pass: good.checks.length, fail: 0, warn: 0 });
    assert.ok(good.checks.some((check) => check.check === 'trust-chain'));

    const result = await checkWith('op', { issuer: 'inter', subject: 'op' }, { expired: true }, [
      '--json',
    ]);
    assert.equal(result.status, 1);
    const bad = JSON.parse(result.stdout) as typeof good;
    assert.equal(bad.exit_status, 1);
    assert.equal(bad.summary.fail, bad.checks.filter((check) => check.level === 'fail').length);
    const link = bad.checks.find((check) => check.check === 'authority-hint');
    assert.equal(link?.level, 'fail');
    assert.match(link?.message ?? '', /\(statement_expired, §3\.2, statement 1\)$/);
    assert.match(link?.hint ?? '', /^The issuer must re-sign/);
  });

  it('wrong key: the configuration’s own signature, exit 1', async () => {
    const result = await checkWith('op', { entity: 'op' }, { wrongKey: true });
    assert.equal(result.status, 1);
    assert.match(
      lines(result, 'fail', 'entity-configuration')[0] ?? '',
      /the signature does not verify with key ".+" \(signature_invalid, §3\.2, statement 0\)$/,
    );
    assert.match(hintAfter(result, 'entity-configuration') ?? '', /^hint: .*re-sign the JWT/);
    // The well-known URL itself answered well.
    assert.equal(lines(result, 'pass', 'well-known').length, 1);
  });

  it('a superior that publishes other keys for the entity: the link fails at statement 0', async () => {
    const otherKeys = fed.testbed.trustAnchor('rp').jwks;
    const result = await checkWith(
      'op',
      { issuer: 'inter', subject: 'op' },
      { claims: { jwks: otherKeys } },
    );
    assert.equal(result.status, 1, result.stdout);
    assert.equal(
      lines(result, 'pass', 'entity-configuration').length,
      1,
      'its own signature is fine',
    );
    assert.match(
      lines(result, 'fail', 'authority-hint')[0] ?? '',
      /^fail authority-hint: .*\/inter about .*\/op: .*\(kid_unknown, §3\.2, statement 0\)$/,
    );
  });

  it('wrong typ: the header named, exit 1', async () => {
    const result = await checkWith('op', { entity: 'op' }, { typ: 'JWT' });
    assert.equal(result.status, 1);
    assert.match(
      lines(result, 'fail', 'entity-configuration')[0] ?? '',
      /the "typ" header is "JWT"; it must be "entity-statement\+jwt" \(typ_invalid, §3\.2, statement 0\)$/,
    );
  });

  it('a well-known URL that answers with another media type, exit 1', async () => {
    const result = await checkWith('op', { entity: 'op' }, { contentType: 'text/html' });
    assert.equal(result.status, 1);
    assert.match(
      lines(result, 'fail', 'well-known')[0] ?? '',
      /^fail well-known: GET .*\/op\/\.well-known\/openid-federation: .*content type \(content_type_invalid\)$/,
    );
  });

  it('missing authority hint: a configuration without authority_hints, exit 1', async () => {
    const result = await checkWith(
      'op',
      { entity: 'op' },
      { claims: { authority_hints: undefined } },
    );
    assert.equal(result.status, 1);
    assert.match(
      lines(result, 'fail', 'authority-hints')[0] ?? '',
      /has no authority_hints and is not a requested Trust Anchor \(no_path_to_trust_anchor/,
    );
  });

  it('issuer not in authority_hints: the hints name an entity that is not its superior, exit 1', async () => {
    // inter issues the statement about op, but op's authority_hints name ta instead.
    const result = await checkWith(
      'op',
      { entity: 'op' },
      { claims: { authority_hints: ['{{entity:ta}}'] } },
    );
    assert.equal(result.status, 1);
    assert.match(lines(result, 'pass', 'authority-hints')[0] ?? '', /\/op lists .*\/ta$/);
    assert.match(
      lines(result, 'fail', 'authority-hint')[0] ?? '',
      /^fail authority-hint: the statement of .*\/ta about .*\/op: .*HTTP 404.* \(statement_unavailable\)$/,
    );
    assert.match(hintAfter(result, 'authority-hint') ?? '', /^hint: .*fetch endpoint/);
  });

  it('unreachable superior: a transient failure, exit 3', async () => {
    const result = await checkWith('op', { entity: 'inter' }, { noAnswer: true });
    assert.equal(result.status, 3, result.stdout);
    assert.match(
      lines(result, 'fail', 'authority-hint')[0] ?? '',
      /^fail authority-hint: the configuration of .*\/inter: the upstream connection failed .*\(statement_unavailable\)$/,
    );
    assert.match(lines(result, 'fail', 'trust-chain')[0] ?? '', /a superior could not be reached/);
  });

  it('bad trust mark: the mark that does not verify, exit 1', async () => {
    fed.testbed.setTrustMarkFaults('marked', CERT, { wrongKey: true });
    try {
      const result = await fed.run(['check', fed.id('marked'), '--horizon', '2h']);
      assert.equal(result.status, 1, result.stdout);
      assert.match(
        lines(result, 'fail', 'trust-mark')[0] ?? '',
        /^fail trust-mark: .*\/marks\/certified: .* \(signature_invalid/,
      );
      assert.match(hintAfter(result, 'trust-mark') ?? '', /^hint: /);
      // The chain itself is fine.
      assert.equal(lines(result, 'pass', 'trust-chain').length, 1);
    } finally {
      fed.testbed.setTrustMarkFaults('marked', CERT, undefined);
    }
    const healthy = await fed.run(['check', fed.id('marked'), '--horizon', '2h']);
    assert.equal(healthy.status, 0, healthy.stdout);
    assert.match(
      lines(healthy, 'pass', 'trust-mark')[0] ?? '',
      /\/marks\/certified from .*\/certifier verifies$/,
    );
  });

  it('soon-to-expire statement: a warning that fails only with --strict', async () => {
    const target = { issuer: 'inter', subject: 'op' } as const;
    const result = await checkWith('op', target, { lifetimeSeconds: 1800 });
    assert.equal(result.status, 0, result.stdout);
    const warnings = lines(result, 'warn', 'expiry');
    assert.equal(warnings.length, 1, result.stdout);
    assert.match(
      warnings[0] ?? '',
      /^warn expiry: the statement .*\/inter\/fetch\?sub=.* \(about .*\/op\) expires at .* \(in (29|30) min\), within 2h$/,
    );
    const strict = await checkWith('op', target, { lifetimeSeconds: 1800 }, ['--strict']);
    assert.equal(strict.status, 1);
  });

  it('without --trust-anchor, only the configured anchors the hints reach are required', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fedres-two-anchors-'));
    try {
      for (const name of ['ta', 'other-ta']) {
        writeFileSync(join(dir, `${name}.json`), fed.testbed.trustAnchorFile(name));
      }
      const env = { TRUST_ANCHORS_DIR: dir };
      const reached = await fed.run(['check', fed.id('op'), '--horizon', '2h'], env);
      assert.equal(reached.status, 0, reached.stdout);
      assert.equal(lines(reached, 'pass', 'trust-chain').length, 2, reached.stdout);
      assert.match(
        reached.stdout,
        /^pass trust-chain: to .*\/other-ta: not reached by the authority hints, not required$/m,
      );
      const given = await fed.run(
        [
          'check',
          fed.id('op'),
          '--trust-anchor',
          fed.id('ta'),
          '--trust-anchor',
          fed.id('other-ta'),
        ],
        env,
      );
      assert.equal(given.status, 1, given.stdout);
      assert.match(
        lines(given, 'fail', 'trust-chain')[0] ?? '',
        /^fail trust-chain: to .*\/other-ta: .*\(no_path_to_trust_anchor/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a bad horizon and a missing entity with exit 2', async () => {
    const horizon = await fed.run(['check', fed.id('op'), '--horizon', 'soon']);
    assert.equal(horizon.status, 2);
    assert.equal(
      horizon.stderr,
      'fedres: --horizon must be a duration such as 7d, 12h, 30m or 90s, got soon\n',
    );
    const missing = await fed.run(['check']);
    assert.equal(missing.status, 2);
    assert.equal(missing.stderr, 'fedres: expected <entity>, got nothing\n');
  });
});
