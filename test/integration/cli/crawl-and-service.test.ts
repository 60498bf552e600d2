/**
 * `fedres crawl`, `fedres serve` and `fedres demo` as processes: the engine's crawl with its
 * summary and report, and the same service and demo as `npm start` and `npm run demo`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import {
  CLI,
  runCli,
  runOnTerminal,
  startCliFederation,
  type CliFederation,
} from '../../support/cli.js';
import { repoRoot } from '../../support/paths.js';
import { threeLevel } from '../../support/topologies.js';

describe('fedres crawl', () => {
  let fed: CliFederation;
  before(async () => {
    fed = await startCliFederation(threeLevel(), ['ta']);
  });
  after(() => fed.close());

  it('summarises the members by entity type and the failures by reason; progress on stderr', async () => {
    fed.testbed.setFaults({ issuer: 'ta', subject: 'rp' }, { expired: true });
    try {
      const result = await fed.run(['crawl', fed.id('ta'), '--horizon', '2h']);
      assert.equal(result.status, 1, 'a member fails');
      const out = result.stdout.replaceAll(fed.testbed.url, 'U').split('\n');
      assert.match(out[0] ?? '', /^crawl of U\/ta: 3 members, 2 resolve, 1 fail \([\d.]+ s\)$/);
      assert.equal(out[1], 'members by entity type:');
      assert.ok(out.includes('  openid_provider: 1'), out.join('\n'));
      assert.ok(out.includes('  federation_entity: 2'), out.join('\n'));
      assert.ok(out.includes('failures by reason:'));
      assert.ok(out.includes('  statement_expired: 1'));
      assert.ok(
        out.some((line) => /^ {4}U\/rp: the statement by U\/ta about U\/rp expired/.test(line)),
      );
      // Not a terminal: plain progress lines, the last one the total.
      const progress = result.stderr.trim().split('\n');
      assert.match(
        progress.at(-1) ?? '',
        /^crawling .*\/ta: 3 members resolved \(1 failed\), 0 to go$/,
      );
    } finally {
      fed.testbed.setFaults({ issuer: 'ta', subject: 'rp' }, undefined);
    }
  });

  it('on a terminal, the progress is one line rewritten in place', async () => {
    const result = await runOnTerminal(['crawl', fed.id('ta')], fed.env);
    assert.equal(result.status, 0, result.output);
    // readline's cursorTo(0) and clearLine(0) before each update, no new line between them.
    assert.match(result.output, /\x1b\[1G\x1b\[2Kcrawling .*\/ta: \d+ members resolved/);
    assert.match(result.output, /crawling .*\/ta: 3 members resolved \(0 failed\), 0 to go\r?\n/);
    assert.match(result.output, /crawl of .*\/ta: 3 members, 3 resolve, 0 fail/);
  });

  it('--json writes the full report; exit 0 when every member resolves', async () => {
    const result = await fed.run(['crawl', fed.id('ta'), '--json']);
    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(result.stdout) as {
      trust_anchor: string;
      members: { total: number; failed: number };
      entities: Array<{ entity_id: string; entity_types?: string[] }>;
      expiring: unknown[];
    };
    assert.equal(report.trust_anchor, fed.id('ta'));
    assert.equal(report.members.total, 3);
    assert.equal(report.members.failed, 0);
    assert.deepEqual(
      report.entities.map((entity) => entity.entity_id),
      [fed.id('inter'), fed.id('op'), fed.id('rp')],
    );
    assert.ok(report.expiring.length > 0, 'one-day statements expire within the default 7d');
  });

  it('an anchor that is not configured is a usage error', async () => {
    const result = await fed.run(['crawl', fed.id('inter')]);
    assert.equal(result.status, 2);
    assert.match(
      result.stderr,
      /is not a configured Trust Anchor \(invalid_trust_anchor: trust_anchor_unknown/,
    );
  });
});

describe('fedres serve and demo', () => {
  it('serve starts the service of npm start and stops on SIGTERM with exit 0', async () => {
    const fed = await startCliFederation(threeLevel(), ['ta']);
    const child = spawn(
      process.execPath,
      [CLI, 'serve', '--port', '0', '--host', '127.0.0.1', '--log-level', 'info'],
      { env: { PATH: process.env['PATH'] ?? '', ...fed.env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /"url":"(http:\/\/127\.0\.0\.1:\d+)".*"msg":"listening"/.exec(out);
          if (match?.[1] !== undefined) resolve(match[1]);
        });
        child.once('exit', (code) => reject(new Error(`serve exited (${code}): ${out}`)));
      });
      const query = new URLSearchParams({ sub: fed.id('op'), trust_anchor: fed.id('ta') });
      const response = await fetch(`${url}/api/v1/resolve?${query.toString()}`);
      assert.equal(response.status, 200);
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      if (child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      clearTimeout(timer);
      if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
      await fed.close();
    }
  });

  it('serve with an unusable setting exits 2 naming the variable', async () => {
    const result = await runCli(['serve', '--port', 'eighty']);
    assert.equal(result.status, 2);
    assert.equal(result.stderr, 'fedres: PORT: must be a whole number, got "eighty"\n');
  });

  it('demo runs npm run demo', async () => {
    const result = await runCli(['demo'], {
      env: { DEMO_ONESHOT: 'true', PORT: '0' },
      cwd: repoRoot(),
      timeoutMs: 60_000,
    });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^federation-resolver demo$/m);
    assert.match(result.stdout, /✔ op-university: resolved/);
    assert.match(result.stdout, /✘ rp-broken: 400 invalid_trust_chain/);
  });
});
