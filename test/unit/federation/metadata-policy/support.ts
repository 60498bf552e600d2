/** Shared helpers of the metadata policy tests: vector loading, set-wise comparison, freezing. */
import assert from 'node:assert/strict';
import { InvalidMetadataError } from '../../../../src/federation/errors.js';
import type { FailureReason } from '../../../../src/federation/errors.js';
import { readFixture } from '../../../support/paths.js';

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

/** Name of the vendored vectors file under test/fixtures (provenance in its README). */
export const VECTORS_FIXTURE = 'metadata-policy-vectors.json';

/** Parsed JSON of the vendored vectors. */
export function loadVectors(): unknown {
  return readFixture(VECTORS_FIXTURE);
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
