/**
 * The command line's own rules, without a process: flags and settings, durations, anchor file
 * names, exit statuses, and every command documented in docs/cli.md and the README.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkOutcome } from '../../../src/cli/check-command.js';
import { EXIT, exitStatusOf } from '../../../src/cli/exit-status.js';
import { parseCommand, parseDuration, UsageError } from '../../../src/cli/options.js';
import { COMMANDS } from '../../../src/cli/program.js';
import { anchorFileName } from '../../../src/cli/trust-anchors-command.js';
import { ConfigError } from '../../../src/config/config.js';
import { NotFoundError, TemporarilyUnavailableError } from '../../../src/federation/errors.js';
import { repoRoot } from '../../support/paths.js';

describe('fedres arguments', () => {
  it('lays the settings given as flags over the environment', () => {
    const parsed = parseCommand(
      ['https://op.example', '--allow-insecure-http', '--fetch-timeout-ms', '500', '--json'],
      { json: { type: 'boolean' } },
      { ALLOW_INSECURE_HTTP: 'false', FETCH_TIMEOUT_MS: '3000', HOME: '/home/x' },
    );
    assert.deepEqual(parsed.positionals, ['https://op.example']);
    assert.equal(parsed.values['json'], true);
    assert.equal(parsed.env['ALLOW_INSECURE_HTTP'], 'true');
    assert.equal(parsed.env['FETCH_TIMEOUT_MS'], '500');
    assert.equal(parsed.env['HOME'], '/home/x');
    assert.throws(() => parseCommand(['--frobnicate'], {}, {}), UsageError);
    assert.throws(() => parseCommand(['--fetch-timeout-ms'], {}, {}), UsageError);
  });

  it('reads durations in s, m, h and d', () => {
    assert.equal(parseDuration('horizon', '90'), 90);
    assert.equal(parseDuration('horizon', '90s'), 90);
    assert.equal(parseDuration('horizon', '30m'), 1800);
    assert.equal(parseDuration('horizon', '12h'), 43_200);
    assert.equal(parseDuration('horizon', '7d'), 604_800);
    for (const bad of ['', '7w', '-1d', '1.5h', 'soon']) {
      assert.throws(() => parseDuration('horizon', bad), UsageError, bad);
    }
  });

  it('names an anchor file after its host and path, lower-case, every other character -', () => {
    assert.equal(anchorFileName('https://TA.Example.org'), 'ta-example-org');
    assert.equal(anchorFileName('https://ta.example.org/federation/'), 'ta-example-org-federation');
    assert.equal(anchorFileName('http://127.0.0.1:8080/ta'), '127-0-0-1-8080-ta');
  });
});

describe('fedres exit statuses', () => {
  it('maps errors: usage and settings 2, transient 3, any other failure 1', () => {
    assert.equal(exitStatusOf(new UsageError('x')), EXIT.usage);
    assert.equal(exitStatusOf(new ConfigError('PORT', 'bad')), EXIT.usage);
    assert.equal(
      exitStatusOf(new TemporarilyUnavailableError('later', { reason: 'upstream_timeout' })),
      EXIT.transient,
    );
    assert.equal(exitStatusOf(new NotFoundError('gone', { reason: 'statement_unavailable' })), 1);
    assert.equal(exitStatusOf(new Error('bug')), EXIT.failed);
  });

  it('a check exits 0 unless something failed; 3 when every failure was transient; warnings fail with --strict', () => {
    const ok = { level: 'pass', check: 'a', message: 'm' } as const;
    const warn = { level: 'warn', check: 'b', message: 'm' } as const;
    const failed = { level: 'fail', check: 'c', message: 'm', hint: 'do this' } as const;
    const transient = { ...failed, transient: true };
    assert.equal(checkOutcome([ok, warn], false).status, EXIT.ok);
    assert.equal(checkOutcome([ok, warn], true).status, EXIT.failed);
    assert.equal(checkOutcome([ok, failed, transient], false).status, EXIT.failed);
    assert.equal(checkOutcome([ok, transient], false).status, EXIT.transient);
    assert.deepEqual(checkOutcome([failed], false).lines, ['fail c: m', 'hint: do this']);
  });
});

describe('fedres documentation', () => {
  const cli = readFileSync(join(repoRoot(), 'docs', 'cli.md'), 'utf8');
  const readme = readFileSync(join(repoRoot(), 'README.md'), 'utf8');

  it('docs/cli.md has a section with an example of every command, and the README uses each', () => {
    const headings = cli.split('\n').filter((line) => line.startsWith('## '));
    for (const command of COMMANDS) {
      assert.ok(
        headings.some((heading) => heading.includes(`\`fedres ${command.name}`)),
        `a section of docs/cli.md for fedres ${command.name}`,
      );
      assert.ok(
        cli
          .split('\n')
          .some((line) => line.startsWith('$ ') && line.includes(`fedres ${command.name}`)),
        `an example of fedres ${command.name}`,
      );
      assert.ok(
        readme.includes(`fedres ${command.name}`),
        `the README names fedres ${command.name}`,
      );
    }
  });
});
