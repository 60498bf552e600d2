/**
 * Property-based laws of the metadata policy engine (fast-check). Generated policies use a small
 * alphabet so that merges and applications often succeed; every law also counts how many runs
 * were not vacuous and requires a useful share of them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { POLICY_OPERATORS } from '../../../../src/federation/constants.js';
import type { PolicyOperatorName } from '../../../../src/federation/constants.js';
import { InvalidMetadataError } from '../../../../src/federation/errors.js';
import {
  applyMetadataPolicy,
  applySuperiorMetadata,
  mergeMetadataPolicies,
  validateMetadataPolicy,
} from '../../../../src/federation/metadata-policy/index.js';
import type { Metadata, MetadataPolicy } from '../../../../src/federation/metadata-policy/index.js';
import { assertSetEqual, snapshot } from './support.js';

/** Runs `fn`; undefined when it throws InvalidMetadataError, rethrows anything else. */
function attempt<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (error) {
    if (error instanceof InvalidMetadataError) return undefined;
    throw error;
  }
}

const RUNS = 300;
const RP = 'openid_relying_party';
const OP = 'openid_provider';

const token = fc.constantFrom('a', 'b', 'c', 'd');
const tokens = fc.array(token, { maxLength: 4 });
const listElement = fc.oneof(token, fc.constantFrom(1, 2), fc.constant({ k: 'a' }));
const list = fc.array(listElement, { maxLength: 4 });
const value = fc.oneof(
  token,
  tokens,
  fc.integer({ min: 0, max: 2 }),
  fc.boolean(),
  fc.record({ k: token }),
);

/** Operator values of the right types (§6.1.3.1), drawn from the small alphabet. */
const operatorValue: Record<PolicyOperatorName, fc.Arbitrary<unknown>> = {
  value: fc.oneof(value, fc.constant(null)),
  add: list,
  default: value,
  one_of: fc.array(fc.oneof(token, fc.constantFrom(1, 2)), { minLength: 1, maxLength: 4 }),
  subset_of: list,
  superset_of: list,
  essential: fc.boolean(),
};

/** A parameter policy of at most three operators (often, not always, a valid combination). */
const parameterPolicy: fc.Arbitrary<Record<string, unknown>> = fc
  .subarray([...POLICY_OPERATORS], { maxLength: 3 })
  .chain((names) =>
    fc.record(Object.fromEntries(names.map((name) => [name, operatorValue[name]]))),
  );

/** A parameter policy that only checks (one_of, superset_of, essential). */
const checkOnlyParameterPolicy: fc.Arbitrary<Record<string, unknown>> = fc
  .subarray(['one_of', 'superset_of', 'essential'] as const, { minLength: 1, maxLength: 2 })
  .chain((names) =>
    fc.record(Object.fromEntries(names.map((name) => [name, operatorValue[name]]))),
  );

const parameterName = fc.constantFrom('p', 'q', 'scope');
const typePolicy = fc.dictionary(parameterName, parameterPolicy, { maxKeys: 3 });
const policy: fc.Arbitrary<Record<string, unknown>> = fc.record(
  { [RP]: typePolicy, [OP]: typePolicy },
  { requiredKeys: [RP] },
);
/** A policy that validates on its own (merges of several may still conflict). */
const validPolicy = policy.filter(
  (candidate) => attempt(() => validateMetadataPolicy(candidate)) !== undefined,
);
/** A valid policy whose operators only check. */
const checkOnlyPolicy = fc
  .record({ [RP]: fc.dictionary(parameterName, checkOnlyParameterPolicy, { maxKeys: 3 }) })
  .filter((candidate) => attempt(() => validateMetadataPolicy(candidate)) !== undefined);
/** A chain's policies: one to three levels, some statements without a policy. */
const chain = fc.array(fc.option(validPolicy, { freq: 4 }), { minLength: 1, maxLength: 3 });

/** Metadata for the parameters above; scope is a single-space-separated string. */
const typeMetadata = fc.record(
  {
    p: value,
    q: value,
    r: value,
    scope: tokens.map((t) => t.join(' ')),
  },
  { requiredKeys: [] },
);
const metadata: fc.Arbitrary<Metadata> = fc.record(
  { [RP]: typeMetadata, federation_entity: typeMetadata },
  { requiredKeys: [RP] },
);

/** Overwrites every array element and object member in place, recursively. */
function scramble(target: unknown): void {
  if (Array.isArray(target)) {
    for (let i = 0; i < target.length; i++) {
      scramble(target[i]);
      target[i] = 'scrambled';
    }
    target.push('scrambled');
  } else if (typeof target === 'object' && target !== null) {
    for (const key of Object.keys(target)) {
      scramble(Reflect.get(target, key));
      Reflect.set(target, key, 'scrambled');
    }
  }
}

describe('metadata policy laws', () => {
  it('(a) §6.1.1 a lower level cannot relax a superior: the Resolved Metadata is a fixed point of every input policy', () => {
    // Precisely: if merge(P1..Pn) = P and apply(M, P) = R succeed, then for every i, apply(R, Pi)
    // succeeds and equals R. (The naive "P rejects whatever some Pi rejects" is false: a lower
    // level's default, value or add may legitimately repair metadata before the checks run.)
    let nonVacuous = 0;
    fc.assert(
      fc.property(chain, metadata, (policies, subject) => {
        const merged = attempt(() => mergeMetadataPolicies(policies));
        if (merged === undefined) return;
        const resolved = attempt(() => applyMetadataPolicy(subject, merged));
        if (resolved === undefined) return;
        nonVacuous++;
        for (const level of policies) {
          if (level === null) continue;
          assert.deepStrictEqual(applyMetadataPolicy(resolved, level), resolved);
        }
      }),
      { numRuns: RUNS },
    );
    assert.ok(nonVacuous > RUNS / 5, `only ${nonVacuous} of ${RUNS} runs resolved`);
  });

  it('(a) §6.1.1 when lower levels only add checks, the merged policy rejects whatever the superior rejects', () => {
    // With subordinates limited to one_of, superset_of and essential, the merged policy modifies
    // metadata exactly as the superior does and checks at least as much.
    let nonVacuous = 0;
    fc.assert(
      fc.property(validPolicy, checkOnlyPolicy, metadata, (superior, subordinate, subject) => {
        if (attempt(() => applyMetadataPolicy(subject, superior)) !== undefined) return;
        const merged = attempt(() => mergeMetadataPolicies([superior, subordinate]));
        if (merged === undefined) return;
        nonVacuous++;
        assert.equal(
          attempt(() => applyMetadataPolicy(subject, merged)),
          undefined,
        );
      }),
      { numRuns: RUNS },
    );
    assert.ok(nonVacuous > RUNS / 20, `only ${nonVacuous} of ${RUNS} runs were rejections`);
  });

  it('(b) §6.1.4.2 application is idempotent: apply(apply(M, P), P) = apply(M, P) whenever the first succeeds', () => {
    let nonVacuous = 0;
    fc.assert(
      fc.property(chain, metadata, (policies, subject) => {
        const merged = attempt(() => mergeMetadataPolicies(policies));
        if (merged === undefined) return;
        const once = attempt(() => applyMetadataPolicy(subject, merged));
        if (once === undefined) return;
        nonVacuous++;
        assert.deepStrictEqual(applyMetadataPolicy(once, merged), once);
      }),
      { numRuns: RUNS },
    );
    assert.ok(nonVacuous > RUNS / 5, `only ${nonVacuous} of ${RUNS} runs resolved`);
  });

  it('(c) hostile JSON policies and metadata only ever raise InvalidMetadataError', () => {
    const anyKey = fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.constantFrom(...POLICY_OPERATORS, '__proto__', 'scope'),
    );
    const shapedPolicy = fc.dictionary(
      anyKey,
      fc.dictionary(anyKey, fc.dictionary(anyKey, fc.jsonValue({ maxDepth: 3 }))),
    );
    const shapedMetadata = fc.dictionary(
      anyKey,
      fc.dictionary(anyKey, fc.jsonValue({ maxDepth: 3 })),
    );
    const hostile = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }),
      shapedPolicy,
      shapedMetadata,
      policy,
      fc.anything({
        withNullPrototype: true,
        withBoxedValues: true,
        withMap: true,
        withSet: true,
        withDate: true,
        withTypedArray: true,
        withSparseArray: true,
        withBigInt: true,
        withObjectString: true,
      }),
    );
    const crit = fc.oneof(
      fc.constant(undefined),
      fc.array(fc.oneof(anyKey, fc.jsonValue({ maxDepth: 1 })), { maxLength: 2 }),
      fc.anything(),
    );
    fc.assert(
      fc.property(
        fc.array(hostile, { maxLength: 3 }),
        hostile,
        hostile,
        crit,
        (policies, subject, superior, critValue) => {
          const run = (fn: () => unknown): void => void attempt(fn);
          // @ts-expect-error: the crit option is untrusted data from statements
          run(() => mergeMetadataPolicies(policies, { crit: critValue }));
          run(() => mergeMetadataPolicies(policies));
          // @ts-expect-error: untrusted callers may pass anything as the list of policies
          run(() => mergeMetadataPolicies(subject));
          for (const candidate of policies) {
            run(() => validateMetadataPolicy(candidate));
            run(() => applyMetadataPolicy(subject, candidate));
          }
          run(() => applyMetadataPolicy(subject, superior));
          // @ts-expect-error: the subject's metadata is untrusted too
          run(() => applySuperiorMetadata(subject, superior));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('(c) deeply nested hostile values are rejected without exhausting the stack', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    assert.equal(
      attempt(() => applyMetadataPolicy({ [RP]: { p: deep } }, {})),
      undefined,
    );
    assert.equal(
      attempt(() => validateMetadataPolicy({ [RP]: { p: { value: deep } } })),
      undefined,
    );
  });

  it('(d) merge and apply results share nothing with their inputs', () => {
    fc.assert(
      fc.property(chain, metadata, (policies, subject) => {
        const inputs = snapshot(policies);
        const merged = attempt(() => mergeMetadataPolicies(inputs));
        if (merged === undefined) return;
        const mergedCopy = snapshot(merged);
        const subjectInput = snapshot(subject);
        const resolved = attempt(() => applyMetadataPolicy(subjectInput, merged));
        const resolvedCopy = snapshot(resolved);
        // Mutating the inputs afterwards must not reach the results …
        scramble(inputs);
        scramble(subjectInput);
        assert.deepStrictEqual(merged, mergedCopy);
        assert.deepStrictEqual(resolved, resolvedCopy);
        // … and mutating the merged policy must not reach the resolved metadata.
        scramble(merged);
        assert.deepStrictEqual(resolved, resolvedCopy);
      }),
      { numRuns: RUNS },
    );
  });

  it('(e) §6.1.4.1 merging is associative up to array order, failures included', () => {
    let nonVacuous = 0;
    fc.assert(
      fc.property(validPolicy, validPolicy, validPolicy, (a, b, c) => {
        const left = attempt(() => mergeMetadataPolicies([a, b, c]));
        const inner = attempt(() => mergeMetadataPolicies([b, c]));
        const right: MetadataPolicy | undefined =
          inner === undefined ? undefined : attempt(() => mergeMetadataPolicies([a, inner]));
        assert.equal(left === undefined, right === undefined, 'both groupings agree on failure');
        if (left !== undefined && right !== undefined) {
          nonVacuous++;
          assertSetEqual(left, right);
        }
      }),
      { numRuns: RUNS },
    );
    assert.ok(nonVacuous > RUNS / 10, `only ${nonVacuous} of ${RUNS} merges succeeded`);
  });

  it('(f) §6.1.4.1 merging a single policy equals validating it', () => {
    fc.assert(
      fc.property(policy, (single) => {
        const validated = attempt(() => validateMetadataPolicy(single));
        const merged = attempt(() => mergeMetadataPolicies([null, single]));
        assert.deepStrictEqual(merged, validated);
      }),
      { numRuns: RUNS },
    );
  });
});
