/**
 * Targeted tests of each operator (§6.1.3.1): operator value types, every cell of the combination
 * table (§6.1.3.1), the merge rules (§6.1.4.1), null handling (docs/decisions.md), language-tagged
 * names, `scope` (§6.1.3.1.8), metadata_policy_crit (§6.1.3.2) and non-mutation of inputs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { POLICY_OPERATORS } from '../../../../src/federation/constants.js';
import type { PolicyOperatorName } from '../../../../src/federation/constants.js';
import {
  applyMetadataPolicy,
  applySuperiorMetadata,
  mergeMetadataPolicies,
  validateMetadataPolicy,
} from '../../../../src/federation/metadata-policy/index.js';
import type { Metadata } from '../../../../src/federation/metadata-policy/index.js';
import {
  OPERATORS,
  combinationRule,
} from '../../../../src/federation/metadata-policy/operators.js';
import { assertInvalidMetadata, assertSetEqual, deepFreeze, snapshot } from './support.js';

const RP = 'openid_relying_party';
const policyOf = (operators: unknown, parameter = 'p'): unknown => ({
  [RP]: { [parameter]: operators },
});
const metadataOf = (parameters: Record<string, unknown>): Metadata => ({ [RP]: parameters });
const applyOne = (
  parameters: Record<string, unknown>,
  operators: unknown,
  parameter = 'p',
): Metadata => applyMetadataPolicy(metadataOf(parameters), policyOf(operators, parameter));

describe('operator value types (§6.1.3 item 2, §6.1.3.1)', () => {
  const listOperators = ['add', 'one_of', 'subset_of', 'superset_of'] as const;
  const validValues: Record<PolicyOperatorName, readonly unknown[]> = {
    value: ['s', 1, true, false, ['a', 1, { k: 'v' }], { k: ['v'] }, null, []],
    add: [[], ['a'], [1, 2], [{ k: 'v' }]],
    default: ['s', 0, false, ['a'], { k: 'v' }, []],
    one_of: [[], ['a', 'b'], [1], [{ k: 'v' }]],
    subset_of: [[], ['a'], [1], [{ k: 'v' }]],
    superset_of: [[], ['a'], [1], [{ k: 'v' }]],
    essential: [true, false],
  };
  const invalidValues: Record<PolicyOperatorName, readonly unknown[]> = {
    value: [undefined, Number.NaN, Number.POSITIVE_INFINITY, () => 1, new Date(0), [undefined]],
    add: ['a', null, 1, { k: 'v' }, [null], [true], [['a']], [undefined]],
    default: [null, undefined, Number.NaN],
    one_of: ['a', null, [null], [false], [['a']]],
    subset_of: ['a', null, [null], [true], [['a']]],
    superset_of: ['a', null, [null], [true], [['a']]],
    essential: ['true', 1, null, [], {}],
  };
  for (const operator of POLICY_OPERATORS) {
    it(`${OPERATORS[operator].section} ${operator} accepts each value type the table allows`, () => {
      for (const value of validValues[operator]) {
        const policy = validateMetadataPolicy(policyOf({ [operator]: value }));
        assert.deepStrictEqual(policy, policyOf({ [operator]: value }));
      }
    });
    it(`${OPERATORS[operator].section} ${operator} rejects other value types`, () => {
      for (const value of invalidValues[operator]) {
        const error = assertInvalidMetadata(
          () => validateMetadataPolicy(policyOf({ [operator]: value })),
          'policy_operator_value_invalid',
        );
        assert.equal(error.location.operator, operator);
        assert.equal(error.section, OPERATORS[operator].section);
      }
    });
  }

  it('§6.1.3 item 2 list operators never accept null elements', () => {
    for (const operator of listOperators) {
      assertInvalidMetadata(
        () => validateMetadataPolicy(policyOf({ [operator]: ['a', null] })),
        'policy_operator_value_invalid',
      );
    }
  });

  it('§6.1.3 item 2 an operator on a parameter type it does not support fails at application', () => {
    const cases: ReadonlyArray<readonly [Record<string, unknown>, unknown]> = [
      [{ p: 'a' }, { add: ['b'] }],
      [{ p: 1 }, { add: [1] }],
      [{ p: ['a'] }, { one_of: ['a'] }],
      [{ p: true }, { one_of: ['a'] }],
      [{ p: 'a' }, { subset_of: ['a'] }],
      [{ p: { k: 'v' } }, { subset_of: ['a'] }],
      [{ p: 'a' }, { superset_of: ['a'] }],
      [{ p: 3 }, { superset_of: [] }],
    ];
    for (const [metadata, operators] of cases) {
      const error = assertInvalidMetadata(() => applyOne(metadata, operators), 'policy_violation');
      assert.equal(error.section, '§6.1.3');
    }
  });

  it('§6.1.3.1.7 essential and value accept any parameter type', () => {
    for (const p of ['s', 0, false, ['a'], { k: 'v' }]) {
      assert.deepStrictEqual(applyOne({ p }, { essential: true }), metadataOf({ p }));
      assert.deepStrictEqual(applyOne({ p: 'old' }, { value: p }), metadataOf({ p }));
    }
  });

  it('§6.1.3.1.8 object-valued parameters and operator values compare by deep equality', () => {
    const a = { alg: 'ES256', use: 'sig' };
    const aReordered = { use: 'sig', alg: 'ES256' };
    assert.deepStrictEqual(applyOne({ p: a }, { one_of: [aReordered] }), metadataOf({ p: a }));
    assert.deepStrictEqual(
      applyOne({ p: [a, { alg: 'RS256' }] }, { subset_of: [aReordered] }),
      metadataOf({ p: [a] }),
    );
    assert.deepStrictEqual(
      applyOne({ p: [a] }, { add: [aReordered, { x: 1 }] }),
      metadataOf({ p: [a, { x: 1 }] }),
    );
    assertInvalidMetadata(
      () => applyOne({ p: [a] }, { superset_of: [{ alg: 'ES256' }] }),
      'policy_violation',
    );
    assert.deepStrictEqual(
      applyOne({ p: [1, 2] }, { superset_of: [2] }),
      metadataOf({ p: [1, 2] }),
    );
  });

  it('§6.1.3.1.4 one_of matches numbers and distinguishes "1" from 1', () => {
    assert.deepStrictEqual(applyOne({ p: 1 }, { one_of: [1, 2] }), metadataOf({ p: 1 }));
    assertInvalidMetadata(() => applyOne({ p: '1' }, { one_of: [1, 2] }), 'policy_violation');
  });
});

describe('combination table (§6.1.3 item 4, §6.1.3.1), every cell', () => {
  // [first, second, operators, allowed]: for conditional cells one case that holds, one that fails.
  const cells: ReadonlyArray<
    readonly [PolicyOperatorName, PolicyOperatorName, Record<string, unknown>, boolean]
  > = [
    ['value', 'add', { value: ['a', 'b'], add: ['a'] }, true],
    ['value', 'add', { value: ['a'], add: ['b'] }, false],
    ['value', 'add', { value: 'a', add: ['a'] }, false],
    ['value', 'add', { value: null, add: [] }, false],
    ['value', 'default', { value: 'a', default: 'b' }, true],
    ['value', 'default', { value: null, default: 'b' }, false],
    ['value', 'one_of', { value: 'a', one_of: ['a', 'b'] }, true],
    ['value', 'one_of', { value: 'c', one_of: ['a', 'b'] }, false],
    ['value', 'one_of', { value: null, one_of: ['a'] }, false],
    ['value', 'subset_of', { value: ['a'], subset_of: ['a', 'b'] }, true],
    ['value', 'subset_of', { value: ['a', 'c'], subset_of: ['a', 'b'] }, false],
    ['value', 'subset_of', { value: null, subset_of: ['a'] }, false],
    ['value', 'superset_of', { value: ['a', 'b'], superset_of: ['a'] }, true],
    ['value', 'superset_of', { value: ['a'], superset_of: ['a', 'b'] }, false],
    ['value', 'essential', { value: 'a', essential: true }, true],
    ['value', 'essential', { value: null, essential: false }, true],
    ['value', 'essential', { value: null, essential: true }, false],
    ['add', 'default', { add: ['a'], default: ['b'] }, true],
    ['add', 'one_of', { add: ['a'], one_of: ['a'] }, false],
    ['add', 'subset_of', { add: ['a'], subset_of: ['a', 'b'] }, true],
    ['add', 'subset_of', { add: ['c'], subset_of: ['a'] }, false],
    ['add', 'superset_of', { add: ['a'], superset_of: ['b'] }, true],
    ['add', 'essential', { add: ['a'], essential: true }, true],
    ['default', 'one_of', { default: 'z', one_of: ['a'] }, true],
    ['default', 'subset_of', { default: ['z'], subset_of: ['a'] }, true],
    ['default', 'superset_of', { default: ['z'], superset_of: ['a'] }, true],
    ['default', 'essential', { default: 'z', essential: true }, true],
    ['one_of', 'subset_of', { one_of: ['a'], subset_of: ['a'] }, false],
    ['one_of', 'superset_of', { one_of: ['a'], superset_of: ['a'] }, false],
    ['one_of', 'essential', { one_of: ['a'], essential: true }, true],
    ['subset_of', 'superset_of', { subset_of: ['a', 'b'], superset_of: ['a'] }, true],
    ['subset_of', 'superset_of', { subset_of: ['a'], superset_of: ['a', 'b'] }, false],
    ['subset_of', 'essential', { subset_of: ['a'], essential: true }, true],
    ['superset_of', 'essential', { superset_of: ['a'], essential: false }, true],
  ];

  it('the table has a rule for every pair of distinct operators', () => {
    for (const [i, a] of POLICY_OPERATORS.entries()) {
      for (const b of POLICY_OPERATORS.slice(i + 1)) {
        assert.ok(Object.hasOwn(OPERATORS[a].combinations, b), `${a} + ${b} has a rule`);
        assert.equal(
          Object.hasOwn(OPERATORS[b].combinations, a),
          false,
          `${b} + ${a} is not duplicated`,
        );
        assert.equal(combinationRule(a, b), combinationRule(b, a));
      }
    }
  });

  it('every pair of distinct operators is covered by a case below', () => {
    for (const [i, a] of POLICY_OPERATORS.entries()) {
      for (const b of POLICY_OPERATORS.slice(i + 1)) {
        assert.ok(
          cells.some(([x, y]) => x === a && y === b),
          `${a} + ${b} is tested`,
        );
      }
    }
  });

  for (const [first, second, operators, allowed] of cells) {
    const name = `${OPERATORS[first].section} ${first} with ${second} ${JSON.stringify(operators)} is ${
      allowed ? 'allowed' : 'a policy error'
    }`;
    it(name, () => {
      const validate = (): unknown => validateMetadataPolicy(policyOf(operators));
      if (allowed) {
        validate();
        // The same pair split over two levels is re-checked after the merge (§6.1.4.1).
        mergeMetadataPolicies([
          policyOf({ [first]: operators[first] }),
          policyOf({ [second]: operators[second] }),
        ]);
        return;
      }
      const error = assertInvalidMetadata(validate, 'policy_combination_invalid');
      assert.equal(error.location.operator, first);
      assert.equal(error.section, OPERATORS[first].section);
      const merged = assertInvalidMetadata(
        () =>
          mergeMetadataPolicies([
            policyOf({ [second]: operators[second] }),
            policyOf({ [first]: operators[first] }),
          ]),
        'policy_combination_invalid',
      );
      assert.equal(merged.location.policyIndex, 1);
    });
  }
});

describe('merge rules (§6.1.4.1)', () => {
  const merge2 = (a: unknown, b: unknown): unknown =>
    mergeMetadataPolicies([policyOf(a), policyOf(b)]);

  it('§6.1.3.1.1 value merges only when deep-equal; object member order does not matter', () => {
    assert.deepStrictEqual(
      merge2({ value: { a: 1, b: [2] } }, { value: { b: [2], a: 1 } }),
      policyOf({ value: { a: 1, b: [2] } }),
    );
    assert.deepStrictEqual(merge2({ value: null }, { value: null }), policyOf({ value: null }));
    assertInvalidMetadata(() => merge2({ value: null }, { value: 'x' }), 'policy_merge_failed');
  });

  it('docs/decisions.md: value and default arrays that differ only in order do not merge', () => {
    assertInvalidMetadata(
      () => merge2({ value: ['a', 'b'] }, { value: ['b', 'a'] }),
      'policy_merge_failed',
    );
    assertInvalidMetadata(
      () => merge2({ default: ['a', 'b'] }, { default: ['b', 'a'] }),
      'policy_merge_failed',
    );
    assert.deepStrictEqual(
      merge2({ default: ['a'] }, { default: ['a'] }),
      policyOf({ default: ['a'] }),
    );
  });

  it('§6.1.3.1.2 add merges by union without duplicates', () => {
    assertSetEqual(
      merge2({ add: ['a', 'b'] }, { add: ['b', 'c', 'c'] }),
      policyOf({ add: ['a', 'b', 'c'] }),
    );
    assertSetEqual(
      merge2({ add: [{ k: 1 }] }, { add: [{ k: 1 }, 2] }),
      policyOf({ add: [{ k: 1 }, 2] }),
    );
  });

  it('§6.1.3.1.4 one_of merges by intersection; an empty intersection is an error', () => {
    assertSetEqual(
      merge2({ one_of: ['a', 'b', 'c'] }, { one_of: ['c', 'b', 'd'] }),
      policyOf({ one_of: ['b', 'c'] }),
    );
    const error = assertInvalidMetadata(
      () => merge2({ one_of: ['a'] }, { one_of: ['b'] }),
      'policy_merge_failed',
    );
    assert.equal(error.section, '§6.1.3.1.4');
  });

  it('§6.1.3.1.5 subset_of merges by intersection; an empty intersection is allowed', () => {
    assertSetEqual(
      merge2({ subset_of: ['a', 'b'] }, { subset_of: ['b', 'c'] }),
      policyOf({ subset_of: ['b'] }),
    );
    assert.deepStrictEqual(
      merge2({ subset_of: ['a'] }, { subset_of: ['b'] }),
      policyOf({ subset_of: [] }),
    );
  });

  it('§6.1.3.1.6 superset_of merges by union', () => {
    assertSetEqual(
      merge2({ superset_of: ['a'] }, { superset_of: ['a', 'b'] }),
      policyOf({ superset_of: ['a', 'b'] }),
    );
  });

  it('§6.1.3.1.7 essential merges by logical OR', () => {
    for (const [a, b] of [
      [false, false],
      [false, true],
      [true, false],
      [true, true],
    ] as const) {
      assert.deepStrictEqual(
        merge2({ essential: a }, { essential: b }),
        policyOf({ essential: a || b }),
      );
    }
  });

  it('§6.1.4.1 new Entity Types and parameters are copied in; existing ones merge', () => {
    const merged = mergeMetadataPolicies([
      { [RP]: { p: { add: ['a'] } } },
      { [RP]: { q: { value: 'x' } }, openid_provider: { r: { essential: true } } },
      { [RP]: { p: { add: ['b'] } } },
    ]);
    assertSetEqual(merged, {
      [RP]: { p: { add: ['a', 'b'] }, q: { value: 'x' } },
      openid_provider: { r: { essential: true } },
    });
  });

  it('§6.1.4.1 statements without a policy are skipped; no policy at all gives {}', () => {
    assert.deepStrictEqual(mergeMetadataPolicies([]), {});
    assert.deepStrictEqual(mergeMetadataPolicies([null, undefined]), {});
    assert.deepStrictEqual(
      mergeMetadataPolicies([null, policyOf({ essential: true }), null]),
      policyOf({ essential: true }),
    );
  });

  it('§6.1.4.1 a merge that makes a combination invalid fails with the index of the later policy', () => {
    const error = assertInvalidMetadata(
      () =>
        mergeMetadataPolicies([
          null,
          policyOf({ subset_of: ['a'] }),
          policyOf({ superset_of: ['b'] }),
        ]),
      'policy_combination_invalid',
    );
    assert.equal(error.location.policyIndex, 2);
    assert.equal(error.location.entityType, RP);
    assert.equal(error.location.parameter, 'p');
  });

  it('§6.1.4.1 a merge narrowing one_of below a value is re-checked', () => {
    assertInvalidMetadata(
      () =>
        mergeMetadataPolicies([
          policyOf({ value: 'a', one_of: ['a', 'b'] }),
          policyOf({ one_of: ['b'] }),
        ]),
      'policy_combination_invalid',
    );
  });

  it('§6.1.4.1 each policy is validated with its index', () => {
    const error = assertInvalidMetadata(
      () => mergeMetadataPolicies([policyOf({ essential: true }), policyOf({ essential: 'yes' })]),
      'policy_operator_value_invalid',
    );
    assert.equal(error.location.policyIndex, 1);
  });

  it('§6.1.4.2 merged operators come out in the fixed order of application', () => {
    const merged = mergeMetadataPolicies([
      policyOf({ essential: true, superset_of: ['a'] }),
      policyOf({ subset_of: ['a', 'b'], default: ['a'], value: ['a'] }),
    ]);
    assert.deepStrictEqual(Object.keys((merged[RP] ?? {})['p'] ?? {}), [
      'value',
      'default',
      'subset_of',
      'superset_of',
      'essential',
    ]);
  });
});

describe('null handling (§6.1.3.1, docs/decisions.md)', () => {
  it('§6.1.3.1.1 value null removes the parameter and never outputs null', () => {
    const resolved = applyOne({ p: 'x', q: 'y' }, { value: null });
    assert.deepStrictEqual(resolved, metadataOf({ q: 'y' }));
    assert.deepStrictEqual(applyOne({}, { value: null }), metadataOf({}));
  });

  it('§6.1.3.1.1 value null combines with essential false but not with default or essential true', () => {
    assert.deepStrictEqual(applyOne({ p: 1 }, { value: null, essential: false }), metadataOf({}));
    assertInvalidMetadata(
      () => applyOne({}, { value: null, default: 1 }),
      'policy_combination_invalid',
    );
    assertInvalidMetadata(
      () => applyOne({}, { value: null, essential: true }),
      'policy_combination_invalid',
    );
  });

  it('§6.1.3 null is not a valid value of any operator but value', () => {
    for (const operator of POLICY_OPERATORS.filter((name) => name !== 'value')) {
      assertInvalidMetadata(
        () => validateMetadataPolicy(policyOf({ [operator]: null })),
        'policy_operator_value_invalid',
      );
    }
  });

  it('§5 a null top-level parameter in metadata is rejected as metadata_null', () => {
    const error = assertInvalidMetadata(
      () => applyMetadataPolicy(metadataOf({ p: null }), {}),
      'metadata_null',
    );
    assert.equal(error.location.entityType, RP);
    assert.equal(error.location.parameter, 'p');
  });

  it('§5 a null Entity Type metadata or null metadata is rejected as metadata_null', () => {
    assertInvalidMetadata(() => applyMetadataPolicy({ [RP]: null }, {}), 'metadata_null');
    assertInvalidMetadata(() => applyMetadataPolicy(null, {}), 'metadata_null');
  });

  it('§5 null nested inside a parameter value is kept (only the top level is constrained)', () => {
    const metadata = metadataOf({ p: [null, { k: null }] });
    assert.deepStrictEqual(applyMetadataPolicy(metadata, {}), metadata);
  });

  it('§3.1.3 superior metadata with a null parameter is rejected as metadata_null', () => {
    assertInvalidMetadata(
      () => applySuperiorMetadata(metadataOf({}), { [RP]: { p: null } }),
      'metadata_null',
    );
    assertInvalidMetadata(() => applySuperiorMetadata(metadataOf({}), null), 'metadata_null');
  });
});

describe('metadata shape (§5)', () => {
  it('rejects metadata that is not an object of objects as metadata_invalid', () => {
    for (const metadata of [
      undefined,
      'x',
      [],
      [{}],
      { [RP]: 'x' },
      { [RP]: [] },
      { [RP]: { p: undefined } },
    ]) {
      assertInvalidMetadata(() => applyMetadataPolicy(metadata, {}), 'metadata_invalid');
    }
  });

  it('rejects parameter values that are not JSON as metadata_invalid', () => {
    for (const p of [Number.NaN, () => 1, new Date(0), [undefined], { k: Symbol('s') }]) {
      assertInvalidMetadata(() => applyMetadataPolicy({ [RP]: { p } }, {}), 'metadata_invalid');
    }
  });
});

describe('policy structure (§6.1.2)', () => {
  it('rejects a policy that is not three levels of JSON objects as policy_invalid', () => {
    const cases: ReadonlyArray<
      readonly [unknown, Partial<Record<'entityType' | 'parameter', string>>]
    > = [
      [null, {}],
      [['a'], {}],
      [{ a: 'b' }, { entityType: 'a' }],
      [{ a: ['b'] }, { entityType: 'a' }],
      [{ a: { b: 'c' } }, { entityType: 'a', parameter: 'b' }],
      [{ a: { b: ['c'] } }, { entityType: 'a', parameter: 'b' }],
      [{ a: { b: null } }, { entityType: 'a', parameter: 'b' }],
    ];
    for (const [policy, location] of cases) {
      const error = assertInvalidMetadata(() => validateMetadataPolicy(policy), 'policy_invalid');
      assert.equal(error.location.entityType, location.entityType);
      assert.equal(error.location.parameter, location.parameter);
      assert.equal(error.section, '§6.1.2');
    }
  });

  it('accepts empty Entity Type and parameter policies', () => {
    assert.deepStrictEqual(validateMetadataPolicy({}), {});
    assert.deepStrictEqual(validateMetadataPolicy({ [RP]: {} }), { [RP]: {} });
    assert.deepStrictEqual(validateMetadataPolicy({ [RP]: { p: {} } }), { [RP]: { p: {} } });
  });

  it('error messages name the operator, parameter, Entity Type and policy index in one sentence', () => {
    const error = assertInvalidMetadata(
      () => mergeMetadataPolicies([null, policyOf({ one_of: 'web' }, 'application_type')]),
      'policy_operator_value_invalid',
    );
    assert.match(
      error.message,
      /^Operator "one_of" of parameter "application_type" of Entity Type "openid_relying_party" in policy 1: .+\.$/,
    );
    assert.equal(error.name, 'InvalidMetadataError');
  });
});

describe('metadata_policy_crit (§6.1.3.2, §3.2 step 18)', () => {
  it('§6.1.3.2 an unknown operator listed in crit is not understood, with its location', () => {
    const error = assertInvalidMetadata(
      () =>
        validateMetadataPolicy(policyOf({ regexp: '^x' }), { crit: ['regexp'], policyIndex: 3 }),
      'policy_operator_not_understood',
    );
    assert.equal(error.location.operator, 'regexp');
    assert.equal(error.location.parameter, 'p');
    assert.equal(error.location.policyIndex, 3);
  });

  it('§3.2 step 18 a crit entry this implementation does not understand fails even when unused', () => {
    assertInvalidMetadata(
      () => validateMetadataPolicy(policyOf({ essential: true }), { crit: ['regexp'] }),
      'policy_operator_not_understood',
    );
    assertInvalidMetadata(
      () => mergeMetadataPolicies([], { crit: ['regexp'] }),
      'policy_operator_not_understood',
    );
    assertInvalidMetadata(
      () => mergeMetadataPolicies([null], { crit: ['regexp'] }),
      'policy_operator_not_understood',
    );
  });

  it('§3.2 step 18 a standard operator name in crit is a malformed claim', () => {
    for (const name of POLICY_OPERATORS) {
      const error = assertInvalidMetadata(
        () => mergeMetadataPolicies([], { crit: [name] }),
        'policy_invalid',
      );
      assert.equal(error.location.operator, name);
    }
  });

  it('§3.2 step 18 crit must be a list of non-empty names', () => {
    for (const crit of ['regexp', [1], [''], null]) {
      // @ts-expect-error: untrusted callers may pass anything
      assertInvalidMetadata(() => mergeMetadataPolicies([], { crit }), 'policy_invalid');
    }
  });

  it('§6.1.3.2 an empty crit list changes nothing', () => {
    assert.deepStrictEqual(
      mergeMetadataPolicies([policyOf({ essential: true })], { crit: [] }),
      policyOf({ essential: true }),
    );
  });

  it('§6.1.3.2 an unknown non-critical operator is ignored and dropped, also beside standard ones', () => {
    assert.deepStrictEqual(
      validateMetadataPolicy(policyOf({ regexp: '^x', essential: false, Value: 'case-sensitive' })),
      policyOf({ essential: false }),
    );
    const merged = mergeMetadataPolicies([policyOf({ regexp: 'a' }), policyOf({ regexp: 'b' })]);
    assert.deepStrictEqual(merged, policyOf({}));
    assert.deepStrictEqual(applyOne({ p: 'zzz' }, { regexp: '^x$' }), metadataOf({ p: 'zzz' }));
  });
});

describe('parameter names', () => {
  it('language-tagged names are matched exactly (organization_name#de is its own parameter)', () => {
    const metadata = {
      federation_entity: { organization_name: 'UmU', 'organization_name#de': 'alt' },
    };
    const policy = { federation_entity: { 'organization_name#de': { value: 'Universität Umeå' } } };
    assert.deepStrictEqual(applyMetadataPolicy(metadata, policy), {
      federation_entity: { organization_name: 'UmU', 'organization_name#de': 'Universität Umeå' },
    });
    const untagged = { federation_entity: { organization_name: { essential: true } } };
    assertInvalidMetadata(
      () => applyMetadataPolicy({ federation_entity: { 'organization_name#en': 'x' } }, untagged),
      'policy_violation',
    );
  });

  it('a parameter named __proto__ is an ordinary own member', () => {
    const metadata: unknown = JSON.parse('{"rp":{"__proto__":["x"]}}');
    const policy: unknown = JSON.parse('{"rp":{"__proto__":{"add":["y"]}}}');
    const resolved = applyMetadataPolicy(metadata, policy);
    const rp = resolved['rp'] ?? {};
    assert.equal(Object.getPrototypeOf(rp), Object.prototype);
    assert.deepStrictEqual(Object.getOwnPropertyDescriptor(rp, '__proto__')?.value, ['x', 'y']);
  });
});

describe('scope (§6.1.3.1.8)', () => {
  it('subset_of, superset_of and add see a scope string as a list and write a string back', () => {
    assert.deepStrictEqual(
      applyOne({ scope: 'openid email phone' }, { subset_of: ['openid', 'email'] }, 'scope'),
      metadataOf({ scope: 'openid email' }),
    );
    assert.deepStrictEqual(
      applyOne({ scope: 'openid profile' }, { superset_of: ['openid'], add: ['email'] }, 'scope'),
      metadataOf({ scope: 'openid profile email' }),
    );
    assertInvalidMetadata(
      () => applyOne({ scope: 'profile' }, { superset_of: ['openid'] }, 'scope'),
      'policy_violation',
    );
    assert.deepStrictEqual(
      applyOne({ scope: 'phone' }, { subset_of: ['openid'] }, 'scope'),
      metadataOf({ scope: '' }),
    );
  });

  it('add on an absent scope creates a string; value and default lists are written as strings', () => {
    assert.deepStrictEqual(
      applyOne({}, { add: ['openid', 'email'] }, 'scope'),
      metadataOf({ scope: 'openid email' }),
    );
    assert.deepStrictEqual(
      applyOne({}, { default: ['openid', 'email'] }, 'scope'),
      metadataOf({ scope: 'openid email' }),
    );
    assert.deepStrictEqual(
      applyOne({ scope: 'x' }, { value: ['openid'] }, 'scope'),
      metadataOf({ scope: 'openid' }),
    );
    assert.deepStrictEqual(
      applyOne({ scope: 'x' }, { value: 'openid profile' }, 'scope'),
      metadataOf({ scope: 'openid profile' }),
    );
  });

  it('one_of compares the whole scope string', () => {
    assert.deepStrictEqual(
      applyOne({ scope: 'openid email' }, { one_of: ['openid', 'openid email'] }, 'scope'),
      metadataOf({ scope: 'openid email' }),
    );
    assertInvalidMetadata(
      () => applyOne({ scope: 'email openid' }, { one_of: ['openid email'] }, 'scope'),
      'policy_violation',
    );
  });

  it('combination checks see a scope value string as a list', () => {
    validateMetadataPolicy(
      policyOf({ value: 'openid email', subset_of: ['openid', 'email', 'x'] }, 'scope'),
    );
    validateMetadataPolicy(policyOf({ value: 'openid email', add: ['email'] }, 'scope'));
    validateMetadataPolicy(policyOf({ value: ['openid'], one_of: ['openid'] }, 'scope'));
    assertInvalidMetadata(
      () => validateMetadataPolicy(policyOf({ value: 'openid', superset_of: ['email'] }, 'scope')),
      'policy_combination_invalid',
    );
    // Another string parameter gets no list view.
    assertInvalidMetadata(
      () =>
        validateMetadataPolicy(
          policyOf({ value: 'openid email', subset_of: ['openid', 'email'] }, 'scopes'),
        ),
      'policy_combination_invalid',
    );
  });

  it('a scope given as a JSON array (non-standard) is kept an array', () => {
    assert.deepStrictEqual(
      applyOne({ scope: ['openid', 'profile'] }, { subset_of: ['openid'] }, 'scope'),
      metadataOf({ scope: ['openid'] }),
    );
  });

  it('only the exact name scope is special', () => {
    assertInvalidMetadata(
      () => applyOne({ scopes: 'openid email' }, { subset_of: ['openid'] }, 'scopes'),
      'policy_violation',
    );
  });
});

describe('application (§6.1.4.2)', () => {
  it('runs operators in the fixed order: value, add, default, one_of, subset_of, superset_of, essential', () => {
    // value then add: add sees the value's array; subset_of then trims; superset_of checks last.
    assert.deepStrictEqual(
      applyOne(
        { p: ['z'] },
        { value: ['a', 'b'], add: ['a'], subset_of: ['a', 'b', 'c'], superset_of: ['b'] },
      ),
      metadataOf({ p: ['a', 'b'] }),
    );
    // default fills in before one_of checks it.
    assert.deepStrictEqual(
      applyOne({}, { default: 'a', one_of: ['a'], essential: true }),
      metadataOf({ p: 'a' }),
    );
  });

  it('add keeps existing elements (and their duplicates) and appends missing ones once', () => {
    assert.deepStrictEqual(
      applyOne({ p: ['a', 'a'] }, { add: ['b', 'b', 'a'] }),
      metadataOf({ p: ['a', 'a', 'b'] }),
    );
  });

  it('subset_of keeps the parameter order and drops what is not allowed', () => {
    assert.deepStrictEqual(
      applyOne({ p: ['c', 'b', 'a'] }, { subset_of: ['a', 'b'] }),
      metadataOf({ p: ['b', 'a'] }),
    );
  });

  it('returns every Entity Type, touched or not, and ignores policies for absent Entity Types', () => {
    const metadata = { [RP]: { p: 'x' }, federation_entity: { q: 1 } };
    const policy = {
      [RP]: { p: { value: 'y' } },
      openid_provider: { r: { add: ['z'] }, s: { essential: true } },
    };
    assert.deepStrictEqual(applyMetadataPolicy(metadata, policy), {
      [RP]: { p: 'y' },
      federation_entity: { q: 1 },
    });
  });

  it('validates the policy it is given (no crit)', () => {
    assertInvalidMetadata(
      () => applyMetadataPolicy(metadataOf({}), policyOf({ one_of: ['a'], subset_of: ['a'] })),
      'policy_combination_invalid',
    );
    assertInvalidMetadata(() => applyMetadataPolicy(metadataOf({}), 'policy'), 'policy_invalid');
  });

  it('reports the violated operator and parameter', () => {
    const error = assertInvalidMetadata(
      () => applyOne({ p: 'c' }, { one_of: ['a'] }),
      'policy_violation',
    );
    assert.deepStrictEqual(
      [error.location.entityType, error.location.parameter, error.location.operator, error.section],
      [RP, 'p', 'one_of', '§6.1.3.1.4'],
    );
  });
});

describe('superior metadata (§3.1.3, §6.1.4.2)', () => {
  it('overrides same-named parameters only for Entity Types the subject has', () => {
    const subject = { [RP]: { a: 1, b: [1] }, federation_entity: { c: 'x' } };
    const superior = { [RP]: { b: [2], d: 'new' }, openid_provider: { e: true } };
    assert.deepStrictEqual(applySuperiorMetadata(subject, superior), {
      [RP]: { a: 1, b: [2], d: 'new' },
      federation_entity: { c: 'x' },
    });
  });

  it("errors name the statement: 1 for the superior's metadata, 0 for the subject's", () => {
    const superiorError = assertInvalidMetadata(
      () => applySuperiorMetadata(metadataOf({}), { [RP]: { p: null } }),
      'metadata_null',
    );
    assert.equal(superiorError.location.statementIndex, 1);
    assert.equal(superiorError.location.claim, 'metadata');
    const subjectError = assertInvalidMetadata(
      () => applySuperiorMetadata(metadataOf({ p: Number.NaN }), {}),
      'metadata_invalid',
    );
    assert.equal(subjectError.location.statementIndex, 0);
  });

  it('undefined superior metadata returns an equal copy', () => {
    const subject = { [RP]: { a: [1] } };
    const result = applySuperiorMetadata(subject, undefined);
    assert.deepStrictEqual(result, subject);
    assert.notEqual(result[RP], subject[RP]);
  });

  it('rejects superior metadata that is not an object of objects', () => {
    assertInvalidMetadata(() => applySuperiorMetadata({}, 'x'), 'metadata_invalid');
    assertInvalidMetadata(() => applySuperiorMetadata({}, { [RP]: 1 }), 'metadata_invalid');
  });
});

describe('inputs are never mutated or aliased', () => {
  const policies = [
    { [RP]: { p: { add: ['a'], superset_of: ['a'] }, s: { value: { k: ['v'] } } } },
    {
      [RP]: { p: { add: ['b'], subset_of: ['a', 'b', 'c'] } },
      federation_entity: { q: { default: [{ x: 1 }] } },
    },
  ];
  const metadata = { [RP]: { p: ['c'], t: { deep: ['x'] } }, federation_entity: {} };

  it('merge, validate, apply and superior override accept deeply frozen inputs', () => {
    const frozenPolicies = deepFreeze(snapshot(policies));
    const frozenMetadata = deepFreeze(snapshot(metadata));
    const merged = mergeMetadataPolicies(frozenPolicies, { crit: deepFreeze([]) });
    validateMetadataPolicy(frozenPolicies[0]);
    applyMetadataPolicy(frozenMetadata, deepFreeze(merged));
    applySuperiorMetadata(frozenMetadata, deepFreeze({ [RP]: { t: 'x' } }));
    assert.deepStrictEqual(frozenPolicies, policies);
    assert.deepStrictEqual(frozenMetadata, metadata);
  });

  it('mutating a result never reaches the inputs', () => {
    const inputPolicies = snapshot(policies);
    const inputMetadata = snapshot(metadata);
    const merged = mergeMetadataPolicies(inputPolicies);
    const resolved = applyMetadataPolicy(inputMetadata, merged);
    const overridden = applySuperiorMetadata(inputMetadata, inputMetadata);
    const validated = validateMetadataPolicy(inputPolicies[0]);
    for (const output of [merged, resolved, overridden, validated]) scramble(output);
    assert.deepStrictEqual(inputPolicies, policies);
    assert.deepStrictEqual(inputMetadata, metadata);
  });

  it('applying twice to the same merged policy gives equal, independent results', () => {
    const merged = mergeMetadataPolicies(policies);
    const first = applyMetadataPolicy(metadata, merged);
    scramble(first);
    assert.deepStrictEqual(
      applyMetadataPolicy(metadata, merged),
      applyMetadataPolicy(snapshot(metadata), mergeMetadataPolicies(policies)),
    );
  });
});

/** Overwrites every array element and object member in place, recursively. */
function scramble(value: unknown): void {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      scramble(value[i]);
      value[i] = 'scrambled';
    }
    value.push('scrambled');
  } else if (typeof value === 'object' && value !== null) {
    const record: Record<string, unknown> = Object.fromEntries(Object.entries(value));
    for (const key of Object.keys(record)) {
      scramble(record[key]);
      Reflect.set(value, key, 'scrambled');
    }
    Reflect.set(value, 'added', 'scrambled');
  }
}
