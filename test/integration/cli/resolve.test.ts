/**
 * `fedres resolve` and `fedres explain` against a loopback federation: the same answers as the
 * service's JSON API, failures with their hint, and the exit statuses of --help.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REASON_HINTS } from '../../../src/engine/reason-hints.js';
import { startCliFederation, type CliFederation } from '../../support/cli.js';
import { repoRoot } from '../../support/paths.js';
import { startTestResolver, type TestResolver } from '../../support/service.js';
import { threeLevel } from '../../support/topologies.js';

describe('fedres resolve and explain', () => {
  let fed: CliFederation;
  let service: TestResolver;
  before(async () => {
    fed = await startCliFederation(threeLevel(), ['ta']);
    service = await startTestResolver(fed.testbed, ['ta']);
  });
  after(async () => {
    await service.close();
    await fed.close();
  });

  it('--json prints what /api/v1/resolve answers', async () => {
    const args = ['--trust-anchor', fed.id('ta'), '--entity-type', 'openid_provider'];
    const result = await fed.run(['resolve', fed.id('op'), ...args, '--json']);
    assert.equal(result.status, 0, result.stderr);
    const cli = JSON.parse(result.stdout) as Record<string, unknown>;
    const query = new URLSearchParams({
      sub: fed.id('op'),
      trust_anchor: fed.id('ta'),
      entity_type: 'openid_provider',
    });
    const api = (await (
      await fetch(`${service.service.url}/api/v1/resolve?${query.toString()}`)
    ).json()) as Record<string, unknown>;
    // The same document but for when it was resolved, and by whom from cache.
    const stable = (body: Record<string, unknown>) => ({
      ...body,
      resolved_at: 0,
      cached: false,
      exp: 0,
    });
    assert.deepEqual(stable(cli), stable(api));
    assert.deepEqual(Object.keys(cli), Object.keys(api));
    assert.deepEqual(Object.keys(cli['metadata'] as object), ['openid_provider']);
    assert.equal(result.stdout.split('\n').length, 2, 'one line, as the API serialises it');
  });

  it('prints the chain, the expiry, the marks and the metadata after policy for a terminal', async () => {
    const result = await fed.run(['resolve', fed.id('op')]);
    assert.equal(result.status, 0, result.stderr);
    const out = result.stdout.replaceAll(fed.testbed.url, 'U').split('\n');
    assert.equal(out[0], 'U/op resolves under U/ta');
    assert.equal(out[1], 'chain: U/op → U/inter → U/ta');
    assert.match(out[2] ?? '', /^valid until: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(in 23 h\)$/);
    assert.ok(out.includes('trust marks: none verified'));
    assert.ok(out.includes('  openid_provider:'));
    // The policy of the chain applied: subset_of and add.
    assert.ok(out.includes('    id_token_signing_alg_values_supported: ["ES256"]'), out.join('\n'));
    assert.ok(out.includes('    contacts: ["ops@ta.example"]'));
  });

  it('an entity that does not resolve: one sentence on stderr, exit 1; --debug adds the stack', async () => {
    fed.testbed.setFaults({ issuer: 'inter', subject: 'op' }, { expired: true });
    try {
      const result = await fed.run(['resolve', fed.id('op')]);
      assert.equal(result.status, 1);
      assert.equal(result.stdout, '');
      assert.match(
        result.stderr,
        /^fedres: the statement by .*\/inter about .*\/op expired at .* \(invalid_trust_chain: statement_expired, §3\.2\)\n$/,
      );
      const debug = await fed.run(['resolve', fed.id('op'), '--debug']);
      assert.equal(debug.status, 1);
      assert.match(debug.stderr, /\n {4}at /, 'a stack trace');
    } finally {
      fed.testbed.setFaults({ issuer: 'inter', subject: 'op' }, undefined);
    }
  });

  it('a superior that does not answer is transient: exit 3', async () => {
    fed.testbed.setFaults({ entity: 'inter' }, { noAnswer: true });
    try {
      const result = await fed.run(['resolve', fed.id('op')]);
      assert.equal(result.status, 3, result.stderr);
      assert.match(result.stderr, /\(temporarily_unavailable: statement_unavailable, §10\.5\)\n$/);
    } finally {
      fed.testbed.setFaults({ entity: 'inter' }, undefined);
    }
  });

  it('explain: every branch as a tree, the failing rule and its hint on a line of its own', async () => {
    fed.testbed.setFaults({ issuer: 'ta', subject: 'inter' }, { wrongKey: true });
    try {
      const result = await fed.run(['explain', fed.id('op'), '--trust-anchor', fed.id('ta')]);
      assert.equal(result.status, 1);
      const out = result.stdout.replaceAll(fed.testbed.url, 'U').split('\n');
      assert.equal(out[0], 'explain U/op');
      assert.equal(out[1], 'trust anchors used: U/ta');
      assert.equal(
        out[2],
        'outcome: failed, invalid_trust_chain: signature_invalid, §3.2, statement 2',
      );
      assert.equal(out[4], `hint: ${REASON_HINTS.signature_invalid}`);
      const tree = out.slice(
        out.indexOf('branches tried:') + 1,
        out.indexOf('statements fetched:'),
      );
      assert.equal(tree[0], 'U/op');
      assert.equal(tree[1], '└─ U/inter');
      assert.equal(tree[2], '   └─ U/ta  invalid: signature_invalid, §3.2, statement 2');
      assert.equal(tree[4], `          hint: ${REASON_HINTS.signature_invalid}`);
      assert.ok(
        out.some((line) => /^ {2}200 U\/ta\/fetch\?sub=.* ms\)$/.test(line)),
        out.join('\n'),
      );
    } finally {
      fed.testbed.setFaults({ issuer: 'ta', subject: 'inter' }, undefined);
    }
  });

  it('explain --json is the document of /api/v1/explain; exit 0 when it resolves', async () => {
    const result = await fed.run(['explain', fed.id('op'), '--json']);
    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(result.stdout) as {
      outcome: string;
      chosen: { trust_chain: string[]; expiries: Array<{ kind: string; exp: number }> };
      branches: unknown[];
    };
    assert.equal(report.outcome, 'resolved');
    assert.deepEqual(report.chosen.trust_chain, [fed.id('op'), fed.id('inter'), fed.id('ta')]);
    assert.equal(report.chosen.expiries.length, 4, 'one per statement of the chain');
    const query = new URLSearchParams({ sub: fed.id('op'), trust_anchor: fed.id('ta') });
    const api = (await (
      await fetch(`${service.service.url}/api/v1/explain?${query.toString()}`)
    ).json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(report), Object.keys(api));
  });

  it('usage errors exit 2 with one sentence: a bad identifier, http without the flag, an unknown flag or command', async () => {
    const cases: ReadonlyArray<readonly [readonly string[], Record<string, string>, RegExp]> = [
      [['resolve', 'not a url'], {}, /^fedres: the entity "not a url" is not an Entity Identifier/],
      [
        ['resolve', fed.id('op')],
        // The repository's own folder: no anchor file, only its README.
        { ALLOW_INSECURE_HTTP: 'false', TRUST_ANCHORS_DIR: 'trust-anchors' },
        /^fedres: http:\/\/.* is an http identifier, accepted only with --allow-insecure-http/,
      ],
      [
        ['resolve', fed.id('op')],
        { ALLOW_INSECURE_HTTP: 'false' },
        /^fedres: TRUST_ANCHORS_DIR: .*ta\.json: "entity_id" must be an Entity Identifier/,
      ],
      [
        ['resolve', fed.id('op')],
        { TRUST_ANCHORS_DIR: 'trust-anchors' },
        /^fedres: no Trust Anchor is configured in trust-anchors: name the folder with --trust-anchors-dir, or add one with fedres trust-anchors add\n$/,
      ],
      [['resolve', fed.id('op'), '--frobnicate'], {}, /^fedres: Unknown option '--frobnicate'/],
      [
        ['resolve', fed.id('op'), '--trust-anchor', 'https://unknown.example'],
        {},
        /invalid_trust_anchor/,
      ],
      [['frobnicate'], {}, /^fedres: unknown command "frobnicate"; fedres --help lists them\n$/],
      [
        ['resolve', fed.id('op')],
        { MAX_CHAIN_DEPTH: 'deep' },
        /^fedres: MAX_CHAIN_DEPTH: must be a whole number/,
      ],
    ];
    for (const [args, env, pattern] of cases) {
      const result = await fed.run(args, env);
      assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, pattern);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    }
  });

  it('a flag overrides the environment: --allow-insecure-http over ALLOW_INSECURE_HTTP=false', async () => {
    const result = await fed.run(['resolve', fed.id('op'), '--allow-insecure-http'], {
      ALLOW_INSECURE_HTTP: 'false',
    });
    assert.equal(result.status, 0, result.stderr);
    const bad = await fed.run(['resolve', fed.id('op'), '--max-chain-depth', 'x']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /MAX_CHAIN_DEPTH: must be a whole number, got "x"/);
    const shallow = await fed.run(['resolve', fed.id('op'), '--max-chain-depth', '1']);
    assert.equal(shallow.status, 1, 'the limit of the service applies');
    assert.match(shallow.stderr, /max_depth_exceeded/);
  });

  it('the address guard of the service applies: loopback is refused without --allow-private-network', async () => {
    const refused = await fed.run(['resolve', fed.id('op')], { ALLOW_PRIVATE_NETWORK: 'false' });
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /address_not_allowed/);
    const allowed = await fed.run(['resolve', fed.id('op'), '--allow-private-network'], {
      ALLOW_PRIVATE_NETWORK: 'false',
    });
    assert.equal(allowed.status, 0, allowed.stderr);
  });

  it('--help lists every command and the exit statuses; a command has its own help', async () => {
    const help = await fed.run(['--help']);
    assert.equal(help.status, 0);
    for (const command of [
      'resolve',
      'explain',
      'check',
      'keys generate',
      'trust-anchors add',
      'trust-anchors list',
      'trust-anchors verify',
      'crawl',
      'serve',
      'demo',
    ]) {
      assert.match(help.stdout, new RegExp(`^  ${command} `, 'm'), command);
    }
    assert.match(help.stdout, /^ {2}3 {2}a transient failure \(temporarily_unavailable\)/m);
    const one = await fed.run(['check', '--help']);
    assert.equal(one.status, 0);
    assert.match(one.stdout, /^Usage: fedres check <entity> /);
    assert.match(one.stdout, /--strict/);
    const none = await fed.run([]);
    assert.equal(none.status, 2);
  });

  it("--version prints the package's version, from package.json", async () => {
    const manifest = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as {
      version: string;
    };
    for (const flag of ['--version', '-V']) {
      const result = await fed.run([flag]);
      assert.equal(result.status, 0);
      assert.equal(result.stderr, '');
      assert.match(
        result.stdout,
        new RegExp(
          `^fedres ${manifest.version.replaceAll('.', '\\.')} \\(federation-resolver, Node\\.js v\\d+`,
        ),
      );
    }
  });
});
