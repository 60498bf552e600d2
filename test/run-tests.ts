/**
 * Runs every compiled `*.test.js` under dist/test with Node's test runner. Node 20 treats every
 * file below a `test` folder as a test when given a directory, which would also run helpers and
 * benchmarks, so the files are listed explicitly.
 *
 * `--soak` runs the long cases instead: every compiled `*.soak.js` (test/hostile/soak/), which
 * `npm test` never runs. Further arguments, with or without `--soak`, keep only the files whose
 * path below dist/test contains one of them.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const soak = args.includes('--soak');
const filters = args.filter((arg) => arg !== '--soak');
const suffix = soak ? '.soak.js' : '.test.js';

function collect(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return collect(path);
    return entry.isFile() && entry.name.endsWith(suffix) ? [path] : [];
  });
}

const files = collect(root)
  .filter((file) => filters.length === 0 || filters.some((f) => relative(root, file).includes(f)))
  .sort();
if (files.length === 0) {
  console.error(soak ? 'no soak files found' : 'no test files found');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
