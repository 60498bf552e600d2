/** Shared helpers of the metadata policy tests: vector loading, set-wise comparison, freezing. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidMetadataError } from '../../../../src/federation/errors.js';
import type { FailureReason } from '../../../../src/federation/errors.js';

/** Reasons a failed merge or policy validation may carry. */
export const POLICY_REASONS: readonly FailureReason[] = [
  'policy_invalid',
  'policy_operator_value_invalid',
  'policy_combination_invalid',
  'policy_merge_failed',
  'policy_operator_not_understood',
];

/** Reasons a failed application may carry. */
export const APPLY_REASONS: readonly FailureReason[] = [
  'policy_violation',
  'metadata_invalid',
  'metadata_null',
];

/** The repository root: the nearest ancestor of this file that holds package.json. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json not found above the test file');
    dir = parent;
  }
}

/** Path of the shared vectors file (CI lays `shared/` beside the clone). */
export function vectorsPath(): string {
  return resolve(repoRoot(), '..', 'shared', 'vectors', 'metadata-policy.json');
}

/** Parsed JSON of the shared vectors file; throws (failing the caller's test) when missing. */
export function loadVectors(): unknown {
  return JSON.parse(readFileSync(vectorsPath(), 'utf8'));
}

/** Canonical JSON with sorted object members, used to order set elements. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

/**
 * Normal form for set-wise comparison: every array sorted by canonical JSON (recursively,
 * multiplicity kept) and every `scope` string reduced to its sorted tokens.
 */
export function normalise(value: unknown, key?: string): unknown {
  if (key === 'scope' && typeof value === 'string') {
    return value
      .split(' ')
      .filter((token) => token.length > 0)
      .sort()
      .join(' ');
  }
  if (Array.isArray(value)) {
    return value
      .map((item) => normalise(item))
      .sort((a, b) => {
        const ca = canonical(a);
        const cb = canonical(b);
        return ca < cb ? -1 : ca > cb ? 1 : 0;
      });
  }
  if (typeof value === 'object' && value !== null) {
    const result: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) result[k] = normalise(v, k);
    return result;
  }
  return value;
}

/** Asserts that two JSON values are equal when arrays are compared as sets. */
export function assertSetEqual(actual: unknown, expected: unknown, message?: string): void {
  assert.deepStrictEqual(normalise(actual), normalise(expected), message);
}

/** Freezes a value deeply, so any mutation by the code under test throws (ESM is strict). */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

/** A structured deep copy for snapshots. */
export function snapshot<T>(value: T): T {
  return structuredClone(value);
}

/**
 * Asserts that `fn` throws an `InvalidMetadataError` with code `invalid_metadata` and one of
 * `reasons` (any reason when omitted); returns the error for further checks.
 */
export function assertInvalidMetadata(
  fn: () => unknown,
  reasons?: FailureReason | readonly FailureReason[],
): InvalidMetadataError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught !== undefined, 'expected an InvalidMetadataError, but nothing was thrown');
  assert.ok(
    caught instanceof InvalidMetadataError,
    `expected an InvalidMetadataError, got ${String(caught)}`,
  );
  assert.equal(caught.code, 'invalid_metadata');
  if (reasons !== undefined) {
    const allowed: readonly FailureReason[] = typeof reasons === 'string' ? [reasons] : reasons;
    assert.ok(
      allowed.includes(caught.reason),
      `expected reason ${allowed.join(' or ')}, got ${caught.reason}: ${caught.message}`,
    );
  }
  return caught;
}
