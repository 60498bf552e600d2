/** Locations of test data, found from the compiled test file up to the repository root. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest folder above this file that holds package.json. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json not found above the test files');
    dir = parent;
  }
  return dir;
}

/** Parses a JSON file under test/fixtures. */
export function readFixture(name: string): unknown {
  return JSON.parse(readFileSync(join(repoRoot(), 'test', 'fixtures', name), 'utf8'));
}
