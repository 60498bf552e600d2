/**
 * Table-driven run of the public metadata policy vectors (test/fixtures/metadata-policy-vectors.json,
 * 168 cases). Arrays are compared as sets (§6.1.3 item 5: the order after a merge is undefined);
 * `exact` cases compare order too, except arrays that add/subset_of/superset_of produced.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPlainObject } from '../../../../src/federation/json.js';
import {
  applyMetadataPolicy,
  applySuperiorMetadata,
  mergeMetadataPolicies,
  validateMetadataPolicy,
} from '../../../../src/federation/metadata-policy/index.js';
import type { Metadata } from '../../../../src/federation/metadata-policy/index.js';
import {
  APPLY_REASONS,
  POLICY_REASONS,
  assertInvalidMetadata,
  assertSetEqual,
  canonical,
  deepFreeze,
  loadVectors,
  normalise,
  snapshot,
  VECTORS_FIXTURE,
} from './support.js';

const EXPECTED_CASE_COUNT = 168;

type Kind = 'combine' | 'apply' | 'combine+apply';
type CheckOp = 'present' | 'absent' | 'equals' | 'set_equals' | 'contains' | 'not_contains';

interface Check {
  readonly target: 'resolved_policy' | 'resolved_metadata';
  readonly path: readonly string[];
  readonly op: CheckOp;
  readonly value: unknown;
}

interface VectorCase {
  readonly id: string;
  readonly kind: Kind;
  readonly error: null | 'policy' | 'metadata';
  readonly compare: 'unordered-arrays' | 'exact';
  readonly policies?: readonly unknown[];
  readonly policy?: unknown;
  readonly crit?: readonly string[];
  readonly superiorMetadata?: unknown;
  readonly metadata?: unknown;
  readonly expectedPolicy?: unknown;
  readonly expected?: unknown;
  readonly checks: readonly Check[];
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], what: string): T {
  const found = allowed.find((item) => item === value);
  if (found === undefined) throw new Error(`unexpected ${what}: ${String(value)}`);
  return found;
}

function readCheck(value: unknown): Check {
  if (!isPlainObject(value)) throw new Error('check is not an object');
  const path = value['path'];
  if (!Array.isArray(path) || !path.every((p): p is string => typeof p === 'string')) {
    throw new Error('check path is not a list of strings');
  }
  return {
    target: oneOf(value['target'], ['resolved_policy', 'resolved_metadata'] as const, 'target'),
    path,
    op: oneOf(
      value['op'],
      ['present', 'absent', 'equals', 'set_equals', 'contains', 'not_contains'] as const,
      'check op',
    ),
    value: value['value'],
  };
}

/** Narrows one vector (test data is still `unknown` until checked). */
function readCase(value: unknown): VectorCase {
  if (!isPlainObject(value) || typeof value['id'] !== 'string') throw new Error('bad case');
  const has = (key: string): boolean => Object.hasOwn(value, key);
  const policies = value['policies'];
  const crit = value['metadata_policy_crit'];
  const checks = value['checks'];
  if (has('policies') && !Array.isArray(policies)) throw new Error('policies is not a list');
  if (has('metadata_policy_crit')) {
    if (!Array.isArray(crit) || !crit.every((c): c is string => typeof c === 'string')) {
      throw new Error('metadata_policy_crit is not a list of strings');
    }
  }
  if (has('checks') && !Array.isArray(checks)) throw new Error('checks is not a list');
  return {
    id: value['id'],
    kind: oneOf(value['kind'], ['combine', 'apply', 'combine+apply'] as const, 'kind'),
    error:
      value['error'] === null
        ? null
        : oneOf(value['error'], ['policy', 'metadata'] as const, 'error'),
    compare: oneOf(value['compare'], ['unordered-arrays', 'exact'] as const, 'compare'),
    ...(Array.isArray(policies) ? { policies } : {}),
    ...(has('policy') ? { policy: value['policy'] } : {}),
    ...(Array.isArray(crit) && crit.every((c): c is string => typeof c === 'string')
      ? { crit }
      : {}),
    ...(has('superior_metadata') ? { superiorMetadata: value['superior_metadata'] } : {}),
    ...(has('metadata') ? { metadata: value['metadata'] } : {}),
    ...(has('expected_policy') ? { expectedPolicy: value['expected_policy'] } : {}),
    ...(has('expected') ? { expected: value['expected'] } : {}),
    checks: Array.isArray(checks) ? checks.map(readCheck) : [],
  };
}

function valueAt(root: unknown, path: readonly string[]): unknown {
  let current = root;
  for (const key of path) {
    if (!isPlainObject(current) || !Object.hasOwn(current, key)) return undefined;
    current = current[key];
  }
  return current;
}

/** A list for contains checks: an array, or a scope-like string split on spaces. */
function asList(value: unknown, path: readonly string[]): readonly unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') return value.split(' ').filter((token) => token.length > 0);
  assert.fail(`${path.join('.')} is not a list: ${JSON.stringify(value)}`);
}

function runCheck(check: Check, resolvedPolicy: unknown, resolvedMetadata: unknown): void {
  const root = check.target === 'resolved_policy' ? resolvedPolicy : resolvedMetadata;
  const actual = valueAt(root, check.path);
  const where = `${check.target}.${check.path.join('.')}`;
  const last = check.path[check.path.length - 1];
  switch (check.op) {
    case 'present':
      assert.notEqual(actual, undefined, `${where} should be present`);
      return;
    case 'absent':
      assert.equal(actual, undefined, `${where} should be absent`);
      return;
    case 'equals':
      assert.deepStrictEqual(normalise(actual, last), normalise(check.value, last), where);
      return;
    case 'set_equals':
      assertSetEqual(asList(actual, check.path), asList(check.value, check.path), where);
      return;
    case 'contains':
    case 'not_contains': {
      const key = canonical(check.value);
      const found = asList(actual, check.path).some((item) => canonical(item) === key);
      assert.equal(found, check.op === 'contains', `${where} ${check.op} ${key}`);
      return;
    }
  }
}

/**
 * `exact` comparison. §6.1.3 item 5 leaves the order of add/subset_of/superset_of results
 * undefined, so only those parameters' arrays are sorted before comparing; everything else,
 * including the order of other arrays, must match exactly.
 */
function assertExactEqual(actual: unknown, expected: unknown, policy: unknown): void {
  const resolved = validateMetadataPolicy(policy);
  const unordered = (value: unknown): unknown => {
    if (!isPlainObject(value)) return value;
    const result: Record<string, unknown> = {};
    for (const [entityType, typeMetadata] of Object.entries(value)) {
      if (!isPlainObject(typeMetadata)) {
        result[entityType] = typeMetadata;
        continue;
      }
      const copy: Record<string, unknown> = { ...typeMetadata };
      for (const [parameter, operators] of Object.entries(resolved[entityType] ?? {})) {
        const produced = ['add', 'subset_of', 'superset_of'].some((op) =>
          Object.hasOwn(operators, op),
        );
        const current = copy[parameter];
        if (produced && Array.isArray(current)) copy[parameter] = normalise(current);
      }
      result[entityType] = copy;
    }
    return result;
  };
  assert.deepStrictEqual(unordered(actual), unordered(expected));
}

function isMetadata(value: unknown): value is Metadata {
  return isPlainObject(value) && Object.values(value).every(isPlainObject);
}

/** §5: the Resolved Metadata never holds null at the top level of a type's metadata. */
function assertNoTopLevelNull(metadata: Metadata): void {
  for (const [entityType, typeMetadata] of Object.entries(metadata)) {
    for (const [parameter, value] of Object.entries(typeMetadata)) {
      assert.notEqual(value, null, `${entityType}.${parameter} is null`);
    }
  }
}

function runCase(vector: VectorCase): void {
  // Inputs are frozen: any mutation by the code under test throws; the snapshot double-checks.
  const before = snapshot(vector);
  const input = deepFreeze(snapshot(vector));
  const critOption = input.crit === undefined ? {} : { crit: input.crit };

  let resolvedPolicy: unknown;
  if (input.kind === 'apply') {
    resolvedPolicy = input.policy;
    if (input.error === 'policy') {
      assertInvalidMetadata(() => validateMetadataPolicy(input.policy), POLICY_REASONS);
      return;
    }
  } else {
    const policies = input.policies ?? [];
    const merge = (): unknown => mergeMetadataPolicies(policies, critOption);
    if (input.error === 'policy') {
      assertInvalidMetadata(merge, POLICY_REASONS);
      assert.deepStrictEqual(input, before);
      return;
    }
    resolvedPolicy = merge();
  }
  if (input.expectedPolicy !== undefined) assertSetEqual(resolvedPolicy, input.expectedPolicy);

  if (input.kind === 'combine') {
    assert.notEqual(input.error, 'metadata', 'a combine case cannot expect an application error');
    for (const check of input.checks) runCheck(check, resolvedPolicy, undefined);
    assert.deepStrictEqual(input, before);
    return;
  }

  assert.ok(input.metadata !== undefined, 'an apply case needs metadata');
  let metadata: unknown = input.metadata;
  if (input.superiorMetadata !== undefined) {
    assert.ok(isMetadata(input.metadata), 'the subject metadata is an object of objects');
    // §3.1.3: the Immediate Superior's metadata overrides before the policy.
    metadata = deepFreeze(applySuperiorMetadata(input.metadata, input.superiorMetadata));
  }
  const apply = (): Metadata => applyMetadataPolicy(metadata, resolvedPolicy);
  if (input.error === 'metadata') {
    assertInvalidMetadata(apply, APPLY_REASONS);
    assert.deepStrictEqual(input, before);
    return;
  }
  const resolved = apply();
  assertNoTopLevelNull(resolved);
  if (input.expected !== undefined) {
    if (input.compare === 'exact') assertExactEqual(resolved, input.expected, resolvedPolicy);
    else assertSetEqual(resolved, input.expected);
  }
  for (const check of input.checks) runCheck(check, resolvedPolicy, resolved);
  assert.deepStrictEqual(input, before);
}

let cases: VectorCase[] = [];
let loadError: unknown;
try {
  const data = loadVectors();
  if (!Array.isArray(data)) throw new Error('the vectors file does not hold a list');
  cases = data.map(readCase);
} catch (error) {
  loadError = error;
}

describe('metadata policy vectors', () => {
  it(`loads all ${EXPECTED_CASE_COUNT} cases from test/fixtures/${VECTORS_FIXTURE}`, () => {
    if (loadError !== undefined) throw loadError;
    assert.equal(cases.length, EXPECTED_CASE_COUNT);
    assert.equal(new Set(cases.map((c) => c.id)).size, cases.length, 'case ids are unique');
  });

  for (const vector of cases) {
    it(vector.id, () => runCase(vector));
  }
});
