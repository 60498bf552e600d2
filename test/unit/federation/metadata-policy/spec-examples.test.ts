/**
 * The spec's own metadata policy examples: TV-1 (§6.1.5), TV-2 (§6.1.3.1.8), TV-3
 * (Appendix A.2), TV-4 (Appendix A.3.1.2), the policy parts of TV-6 (§3.3, §6.1.3.2) and the
 * operator micro-vectors of TV-8. Arrays are compared as sets where §6.1.3 leaves order undefined.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  applyMetadataPolicy,
  applySuperiorMetadata,
  mergeMetadataPolicies,
  validateMetadataPolicy,
} from '../../../../src/federation/metadata-policy/index.js';
import type { Metadata } from '../../../../src/federation/metadata-policy/index.js';
import {
  TV1_EXPECTED_RP_METADATA,
  TV1_INTERMEDIATE_METADATA,
  TV1_INTERMEDIATE_POLICY,
  TV1_LEAF_METADATA,
  TV1_MERGED_RP_POLICY,
  TV1_TA_POLICY,
  TV3_EDUGAIN_POLICY,
  TV3_EXPECTED_OP_METADATA,
  TV3_OP_METADATA,
  TV3_SWAMID_POLICY,
  TV3_UMU_POLICY,
  TV4_EDUGAIN_POLICY,
  TV4_EXPECTED_METADATA,
  TV4_INCOMMON_POLICY,
  TV4_LEAF_METADATA,
  TV6_METADATA,
  TV6_METADATA_POLICY_CRIT,
  TV6_POLICY,
} from './spec-data.js';
import { assertInvalidMetadata, assertSetEqual } from './support.js';

const RP = 'openid_relying_party';

/** Wraps one parameter's policy under the `p` parameter of an RP policy. */
const policyOf = (operators: unknown): unknown => ({ [RP]: { p: operators } });
/** Wraps one RP's parameters as metadata. */
const metadataOf = (parameters: Record<string, unknown>): Metadata => ({ [RP]: parameters });

describe('TV-1 §6.1.5 metadata policy example', () => {
  it('§6.1.4.1 merges the Trust Anchor and Intermediate policies into the printed policy', () => {
    const merged = mergeMetadataPolicies([TV1_TA_POLICY, TV1_INTERMEDIATE_POLICY]);
    assertSetEqual(merged, { [RP]: TV1_MERGED_RP_POLICY });
  });

  it('§6.1.4.2 applies the Intermediate metadata and then the merged policy to the leaf', () => {
    const merged = mergeMetadataPolicies([TV1_TA_POLICY, TV1_INTERMEDIATE_POLICY]);
    const overridden = applySuperiorMetadata(TV1_LEAF_METADATA, TV1_INTERMEDIATE_METADATA);
    const resolved = applyMetadataPolicy(overridden, merged);
    assertSetEqual(resolved, { [RP]: TV1_EXPECTED_RP_METADATA });
  });

  it('§6.1.3.1.4 one_of on an absent parameter (token_endpoint_auth_signing_alg) adds nothing', () => {
    const merged = mergeMetadataPolicies([TV1_TA_POLICY, TV1_INTERMEDIATE_POLICY]);
    const resolved = applyMetadataPolicy(TV1_LEAF_METADATA, merged);
    assert.equal(Object.hasOwn(resolved[RP] ?? {}, 'token_endpoint_auth_signing_alg'), false);
  });
});

describe('TV-2 §6.1.3.1.8 essential combined with subset_of ["a","b","c"]', () => {
  const rows: ReadonlyArray<{
    readonly essential: boolean;
    readonly input: readonly string[] | undefined;
    readonly output: readonly string[] | undefined | 'error';
  }> = [
    { essential: true, input: ['a', 'e'], output: ['a'] },
    { essential: false, input: ['a', 'e'], output: ['a'] },
    { essential: true, input: ['d', 'e'], output: [] },
    { essential: false, input: ['d', 'e'], output: [] },
    { essential: true, input: undefined, output: 'error' },
    { essential: false, input: undefined, output: undefined },
  ];
  for (const row of rows) {
    const input = row.input === undefined ? 'absent parameter' : JSON.stringify(row.input);
    const output =
      row.output === 'error'
        ? 'is a policy error'
        : row.output === undefined
          ? 'leaves it absent'
          : `gives ${JSON.stringify(row.output)}`;
    it(`§6.1.3.1.8 essential=${row.essential} with subset_of and ${input} ${output}`, () => {
      const policy = policyOf({ essential: row.essential, subset_of: ['a', 'b', 'c'] });
      const metadata = metadataOf(row.input === undefined ? {} : { p: row.input });
      if (row.output === 'error') {
        assertInvalidMetadata(() => applyMetadataPolicy(metadata, policy), 'policy_violation');
        return;
      }
      const resolved = applyMetadataPolicy(metadata, policy);
      assert.deepStrictEqual(
        resolved,
        metadataOf(row.output === undefined ? {} : { p: row.output }),
      );
    });
  }
});

describe('TV-3 Appendix A.2 chain op.umu.se → umu.se → swamid.se → edugain.geant.org', () => {
  // §6.1.4.1: superior-most first: edugain (A.2.7), swamid (A.2.5), umu (A.2.3).
  const policies = [TV3_EDUGAIN_POLICY, TV3_SWAMID_POLICY, TV3_UMU_POLICY];

  it('A.2.8 resolves the OP metadata through three levels of policy', () => {
    const resolved = applyMetadataPolicy(TV3_OP_METADATA, mergeMetadataPolicies(policies));
    assertSetEqual(resolved, { openid_provider: TV3_EXPECTED_OP_METADATA });
  });

  it('§6.1.3.1.5 intersects subset_of across levels (token_endpoint_auth_methods_supported)', () => {
    const merged = mergeMetadataPolicies(policies);
    assertSetEqual(merged['openid_provider']?.['token_endpoint_auth_methods_supported'], {
      default: ['private_key_jwt'],
      subset_of: ['private_key_jwt', 'client_secret_jwt'],
      superset_of: ['private_key_jwt'],
    });
  });

  it('§6.1.4.2 a Trust Anchor policy for openid_relying_party creates no RP metadata for an OP', () => {
    const resolved = applyMetadataPolicy(TV3_OP_METADATA, mergeMetadataPolicies(policies));
    assert.deepStrictEqual(Object.keys(resolved), ['openid_provider']);
  });

  it('§6.1.3.1.5 subset_of on the absent userinfo_signing_alg_values_supported keeps it absent', () => {
    const resolved = applyMetadataPolicy(TV3_OP_METADATA, mergeMetadataPolicies(policies));
    const op = resolved['openid_provider'] ?? {};
    assert.equal(Object.hasOwn(op, 'userinfo_signing_alg_values_supported'), false);
  });
});

describe('TV-4 Appendix A.3.1.2 chain wiki.ligo.org → incommon.org → edugain.geant.org', () => {
  it('A.3.1.2 resolves the RP metadata (contacts and grant_types compared as sets)', () => {
    const merged = mergeMetadataPolicies([TV4_EDUGAIN_POLICY, TV4_INCOMMON_POLICY]);
    const resolved = applyMetadataPolicy(TV4_LEAF_METADATA, merged);
    assertSetEqual(resolved, TV4_EXPECTED_METADATA);
  });
});

describe('TV-6 §6.1.3.2 non-standard operators and metadata_policy_crit', () => {
  it('§6.1.3.2 regexp listed in metadata_policy_crit makes the policy invalid', () => {
    const error = assertInvalidMetadata(
      () => mergeMetadataPolicies([TV6_POLICY], { crit: TV6_METADATA_POLICY_CRIT }),
      'policy_operator_not_understood',
    );
    assert.equal(error.location.operator, 'regexp');
    assert.equal(error.section, '§6.1.3.2');
  });

  it('§6.1.3.2 regexp without metadata_policy_crit is ignored and dropped from the merged policy', () => {
    const merged = mergeMetadataPolicies([TV6_POLICY]);
    assert.deepStrictEqual(merged['openid_provider']?.['op_policy_uri'], {});
    assert.deepStrictEqual(merged['openid_provider']?.['id_token_signing_alg_values_supported'], {
      subset_of: ['RS256', 'RS384', 'RS512'],
    });
    // Nothing in the statement's own metadata is touched by the remaining operators.
    assert.deepStrictEqual(applyMetadataPolicy(TV6_METADATA, merged), TV6_METADATA);
  });

  it('§6.1.3.1.4 the TV-6 one_of on grant_types is a type error once grant_types is an array', () => {
    const merged = mergeMetadataPolicies([TV6_POLICY]);
    const metadata = { oauth_client: { grant_types: ['authorization_code'] } };
    assertInvalidMetadata(() => applyMetadataPolicy(metadata, merged), 'policy_violation');
  });
});

describe('TV-8 operator micro-vectors (§6.1.3.1)', () => {
  const rows: ReadonlyArray<{
    readonly section: string;
    readonly metadata: Record<string, unknown>;
    readonly policy: Record<string, unknown>;
    readonly expected: Record<string, unknown> | 'error';
  }> = [
    { section: '§6.1.3.1.1', metadata: { p: 'x' }, policy: { value: 'y' }, expected: { p: 'y' } },
    { section: '§6.1.3.1.1', metadata: { p: 'x' }, policy: { value: null }, expected: {} },
    { section: '§6.1.3.1.1', metadata: {}, policy: { value: ['a'] }, expected: { p: ['a'] } },
    {
      section: '§6.1.3.1.2',
      metadata: { p: ['a'] },
      policy: { add: ['a', 'b'] },
      expected: { p: ['a', 'b'] },
    },
    { section: '§6.1.3.1.2', metadata: {}, policy: { add: ['b'] }, expected: { p: ['b'] } },
    { section: '§6.1.3.1.3', metadata: {}, policy: { default: 'd' }, expected: { p: 'd' } },
    { section: '§6.1.3.1.3', metadata: { p: 'x' }, policy: { default: 'd' }, expected: { p: 'x' } },
    {
      section: '§6.1.3.1.4',
      metadata: { p: 'c' },
      policy: { one_of: ['a', 'b'] },
      expected: 'error',
    },
    { section: '§6.1.3.1.4', metadata: {}, policy: { one_of: ['a', 'b'] }, expected: {} },
    {
      section: '§6.1.3.1.5',
      metadata: { p: ['a', 'c'] },
      policy: { subset_of: ['a', 'b'] },
      expected: { p: ['a'] },
    },
    {
      section: '§6.1.3.1.5',
      metadata: { p: ['c'] },
      policy: { subset_of: ['a', 'b'] },
      expected: { p: [] },
    },
    {
      section: '§6.1.3.1.6',
      metadata: { p: ['a'] },
      policy: { superset_of: ['a', 'b'] },
      expected: 'error',
    },
    { section: '§6.1.3.1.7', metadata: {}, policy: { essential: true }, expected: 'error' },
    {
      section: '§6.1.3.1.3',
      metadata: {},
      policy: { default: 'c', one_of: ['a', 'b'] },
      expected: 'error',
    },
    {
      section: '§6.1.3.1.3',
      metadata: {},
      policy: { default: ['a', 'c'], subset_of: ['a', 'b'] },
      expected: { p: ['a'] },
    },
  ];
  for (const row of rows) {
    const name = `${row.section} ${JSON.stringify(row.policy)} on ${JSON.stringify(row.metadata)} ${
      row.expected === 'error' ? 'is a policy error' : `gives ${JSON.stringify(row.expected)}`
    }`;
    it(name, () => {
      const apply = (): Metadata =>
        applyMetadataPolicy(metadataOf(row.metadata), policyOf(row.policy));
      if (row.expected === 'error') {
        assertInvalidMetadata(apply, 'policy_violation');
        return;
      }
      assertSetEqual(apply(), metadataOf(row.expected));
    });
  }

  it('§6.1.3.1.8 scope "openid email phone" with subset_of ["openid","email"] gives "openid email"', () => {
    const resolved = applyMetadataPolicy(
      { [RP]: { scope: 'openid email phone' } },
      { [RP]: { scope: { subset_of: ['openid', 'email'] } } },
    );
    assert.deepStrictEqual(resolved, { [RP]: { scope: 'openid email' } });
  });

  const forbidden: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
    ['§6.1.3.1.1', { value: null, default: 'd' }],
    ['§6.1.3.1.1', { value: null, essential: true }],
    ['§6.1.3.1.1', { value: ['a'], add: ['b'] }],
    ['§6.1.3.1.2', { add: ['a'], one_of: ['a'] }],
    ['§6.1.3.1.4', { one_of: ['a'], subset_of: ['a'] }],
    ['§6.1.3.1.5', { subset_of: ['a'], superset_of: ['a', 'b'] }],
    ['§6.1.3.1.1', { value: 'c', one_of: ['a', 'b'] }],
    ['§6.1.3.1.2', { add: ['c'], subset_of: ['a'] }],
  ];
  for (const [section, operators] of forbidden) {
    it(`${section} the combination ${JSON.stringify(operators)} is a policy error`, () => {
      const error = assertInvalidMetadata(
        () => validateMetadataPolicy(policyOf(operators)),
        'policy_combination_invalid',
      );
      assert.equal(error.section, section);
      assert.equal(error.location.parameter, 'p');
    });
  }

  it('§6.1.3.1.3 the combination {"default":"z","one_of":["a"]} is allowed', () => {
    const policy = validateMetadataPolicy(policyOf({ default: 'z', one_of: ['a'] }));
    assert.deepStrictEqual(policy, policyOf({ default: 'z', one_of: ['a'] }));
  });

  const merges: ReadonlyArray<readonly [string, string, unknown, unknown, unknown]> = [
    ['§6.1.3.1.1', 'value', 'x', 'x', 'x'],
    ['§6.1.3.1.1', 'value', 'x', 'y', 'error'],
    ['§6.1.3.1.2', 'add', ['a'], ['b'], ['a', 'b']],
    ['§6.1.3.1.3', 'default', 'a', 'b', 'error'],
    ['§6.1.3.1.4', 'one_of', ['a', 'b'], ['b', 'c'], ['b']],
    ['§6.1.3.1.4', 'one_of', ['a'], ['b'], 'error'],
    ['§6.1.3.1.5', 'subset_of', ['a'], ['b'], []],
    ['§6.1.3.1.6', 'superset_of', ['a'], ['b'], ['a', 'b']],
    ['§6.1.3.1.7', 'essential', false, true, true],
  ];
  for (const [section, operator, first, second, result] of merges) {
    const outcome = result === 'error' ? 'is a merge error' : `gives ${JSON.stringify(result)}`;
    it(`${section} merging ${operator} ${JSON.stringify(first)} with ${JSON.stringify(second)} ${outcome}`, () => {
      const merge = (): unknown =>
        mergeMetadataPolicies([policyOf({ [operator]: first }), policyOf({ [operator]: second })]);
      if (result === 'error') {
        const error = assertInvalidMetadata(merge, 'policy_merge_failed');
        assert.equal(error.location.operator, operator);
        assert.equal(error.location.policyIndex, 1);
        return;
      }
      assertSetEqual(merge(), policyOf({ [operator]: result }));
    });
  }
});
