/**
 * The documentation stays true: every failure reason is explained in docs/reasons.md with valid
 * error codes, every file the architecture page names exists, and no comment or document cites a
 * source outside the repository.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REASON_HINTS } from '../../src/engine/reason-hints.js';
import { FAILURE_REASONS, FEDERATION_ERROR_CODES } from '../../src/federation/errors.js';
import { repoRoot } from '../support/paths.js';

const root = repoRoot();
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

/** Rows of the reason tables: first cell the reason, second the error codes. */
function reasonRows(): Array<{ reason: string; codes: string[]; cells: string[] }> {
  return read('docs/reasons.md')
    .split('\n')
    .filter((line) => /^\|\s*`[a-z_]+`\s*\|/.test(line))
    .map((line) => {
      const cells = line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim());
      return {
        reason: (cells[0] ?? '').replaceAll('`', ''),
        codes: [...(cells[1] ?? '').matchAll(/`([a-z_]+)`/g)].map((match) => match[1] ?? ''),
        cells,
      };
    });
}

function files(dir: string, extension: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'fixtures' ? [] : files(path, extension);
    return entry.name.endsWith(extension) ? [path] : [];
  });
}

describe('documentation', () => {
  it('docs/reasons.md explains every failure reason once, with real error codes', () => {
    const rows = reasonRows();
    const documented = rows.map((row) => row.reason);
    assert.deepEqual(
      FAILURE_REASONS.filter((reason) => !documented.includes(reason)),
      [],
      'reasons without a row',
    );
    assert.deepEqual(
      documented.filter((reason) => !(FAILURE_REASONS as readonly string[]).includes(reason)),
      [],
      'rows of reasons the code does not have',
    );
    assert.equal(new Set(documented).size, documented.length, 'each reason once');
    for (const row of rows) {
      assert.ok(row.codes.length > 0, `${row.reason} names its error code`);
      for (const code of row.codes) {
        assert.ok(
          (FEDERATION_ERROR_CODES as readonly string[]).includes(code),
          `${row.reason}: ${code}`,
        );
      }
      assert.equal(
        row.cells.length,
        5,
        `${row.reason}: reason, error, section, meaning, how to fix`,
      );
      assert.ok((row.cells[4] ?? '').length > 10, `${row.reason} says how to fix it`);
    }
  });

  it('the hints of explain reports, fedres and the explorer are the "how to fix" column of docs/reasons.md', () => {
    for (const row of reasonRows()) {
      assert.equal(
        REASON_HINTS[row.reason as keyof typeof REASON_HINTS],
        row.cells[4],
        `${row.reason}: src/engine/reason-hints.ts and docs/reasons.md say the same`,
      );
    }
  });

  it('every source file docs/architecture.md names exists', () => {
    const page = read('docs/architecture.md');
    const named = [...page.matchAll(/`((?:[a-z-]+\/)+[a-z-]+\.ts)(?:#[A-Za-z]+)?`/g)].map(
      (match) => match[1] ?? '',
    );
    assert.ok(named.length > 20, `${named.length} files named`);
    const missing = named.filter(
      (path) => !existsSync(join(root, path)) && !existsSync(join(root, 'src', path)),
    );
    assert.deepEqual(missing, []);
  });

  it('every test SECURITY.md names as proof exists', () => {
    const page = read('SECURITY.md');
    const named = [...page.matchAll(/`((?:test\/[a-z/-]+\/)?[a-z-]+\.(?:test|soak)\.ts)`/g)].map(
      (match) => match[1] ?? '',
    );
    assert.ok(named.length > 20, `${named.length} tests named`);
    const all = [...files('test', '.ts')].map((path) => path.split(/[\\/]/).join('/'));
    const missing = named.filter((name) =>
      name.includes('/')
        ? !existsSync(join(root, name))
        : !all.some((path) => path.endsWith(`/${name}`)),
    );
    assert.deepEqual(missing, []);
  });

  it('no source, test or document cites a file outside the repository', () => {
    const outside = /\bdigest\b(?!\()|\.\.\/shared|shared\/(spec|vectors)|architecture rule/i;
    const offending = [
      ...files('src', '.ts'),
      ...files('test', '.ts'),
      ...files('docs', '.md'),
      'README.md',
    ]
      // This file names the patterns it looks for.
      .filter((path) => !path.endsWith('docs.test.ts'))
      .flatMap((path) =>
        read(path)
          .split('\n')
          .flatMap((line, index) =>
            outside.test(line.replace(/\.digest\(/g, '')) ? [`${path}:${index + 1}`] : [],
          ),
      );
    assert.deepEqual(offending, []);
  });
});
