/**
 * Validation of one `metadata_policy` value (§6.1.2, §6.1.3, §6.1.4.1 step "validate"): its three
 * levels, each operator value's type, the combination rules, and `metadata_policy_crit`.
 */
import { POLICY_OPERATORS } from '../constants.js';
import { isPlainObject } from '../json.js';
import {
  OPERATORS,
  UNDERSTOOD_NON_STANDARD_OPERATORS,
  combinationRule,
  isStandardOperator,
} from './operators.js';
import { invalidMetadata } from './policy-error.js';
import type { PolicyFailureLocation } from './policy-error.js';
import type { EntityTypePolicy, MetadataPolicy, ParameterPolicy } from './types.js';
import { NOT_JSON, copyJsonValue, defineOwn } from './values.js';

/** Options of {@link validateMetadataPolicy}. */
export interface ValidateMetadataPolicyOptions {
  /** Union of the chain's `metadata_policy_crit` values (§6.1.4.1: they apply to every policy). */
  readonly crit?: readonly string[];
  /** Index of this policy in the chain's list of policies, reported in errors. */
  readonly policyIndex?: number;
}

/**
 * Validates one `metadata_policy` value and returns a private, normalised copy: operators in the
 * fixed order, unknown non-critical operators dropped. Throws `InvalidMetadataError`.
 */
export function validateMetadataPolicy(
  policy: unknown,
  options: ValidateMetadataPolicyOptions = {},
): MetadataPolicy {
  const crit = readCrit(options.crit);
  const result = readMetadataPolicy(policy, crit, options.policyIndex);
  assertCritUnderstood(crit);
  return result;
}

/**
 * §3.2 step 18: `metadata_policy_crit` entries are names of non-standard operators. A standard
 * name there is a malformed claim. Returns the entries as a set.
 */
export function readCrit(crit: unknown): ReadonlySet<string> {
  if (crit === undefined) return new Set();
  const location: PolicyFailureLocation = { claim: 'metadata_policy_crit' };
  if (!Array.isArray(crit)) {
    throw invalidMetadata(
      'policy_invalid',
      '§3.2',
      'metadata_policy_crit must be an array of operator names',
      location,
    );
  }
  const names = new Set<string>();
  for (const name of crit) {
    if (typeof name !== 'string' || name.length === 0) {
      throw invalidMetadata(
        'policy_invalid',
        '§3.2',
        'metadata_policy_crit must list non-empty operator names',
        location,
      );
    }
    if (isStandardOperator(name)) {
      throw invalidMetadata(
        'policy_invalid',
        '§3.2',
        'metadata_policy_crit must list only non-standard operators, not a standard one',
        { ...location, operator: name },
      );
    }
    names.add(name);
  }
  return names;
}

/**
 * §6.1.3.2: every critical operator must be understood, whether or not a policy uses it (§3.2
 * step 18 requires it of every entry).
 */
export function assertCritUnderstood(crit: ReadonlySet<string>): void {
  for (const name of crit) {
    if (!UNDERSTOOD_NON_STANDARD_OPERATORS.has(name)) {
      throw invalidMetadata(
        'policy_operator_not_understood',
        '§6.1.3.2',
        'metadata_policy_crit lists an operator this implementation does not understand',
        { claim: 'metadata_policy_crit', operator: name },
      );
    }
  }
}

/**
 * Reads a policy into a fresh structure. Operator values are deep-copied, so the result shares
 * nothing with the input and later steps may own it.
 */
export function readMetadataPolicy(
  policy: unknown,
  crit: ReadonlySet<string>,
  policyIndex: number | undefined,
): MetadataPolicy {
  const base: PolicyFailureLocation = {
    claim: 'metadata_policy',
    ...(policyIndex === undefined ? {} : { policyIndex }),
  };
  // §6.1.2: Entity Type → parameter → operator; every level is a JSON object.
  if (!isPlainObject(policy)) {
    throw invalidMetadata(
      'policy_invalid',
      '§6.1.2',
      'metadata_policy must be a JSON object',
      base,
    );
  }
  const result: MetadataPolicy = {};
  for (const entityType of Object.keys(policy)) {
    const typePolicy = policy[entityType];
    const typeLocation = { ...base, entityType };
    if (!isPlainObject(typePolicy)) {
      throw invalidMetadata(
        'policy_invalid',
        '§6.1.2',
        'the Entity Type policy must be a JSON object',
        typeLocation,
      );
    }
    const parameters: EntityTypePolicy = {};
    for (const parameter of Object.keys(typePolicy)) {
      const location = { ...typeLocation, parameter };
      defineOwn(parameters, parameter, readParameterPolicy(typePolicy[parameter], crit, location));
    }
    defineOwn(result, entityType, parameters);
  }
  return result;
}

function readParameterPolicy(
  operators: unknown,
  crit: ReadonlySet<string>,
  location: PolicyFailureLocation & { readonly parameter: string },
): ParameterPolicy {
  if (!isPlainObject(operators)) {
    throw invalidMetadata(
      'policy_invalid',
      '§6.1.2',
      'the parameter policy must be a JSON object of operators',
      location,
    );
  }
  const read: Partial<Record<string, unknown>> = {};
  for (const name of Object.keys(operators)) {
    if (!isStandardOperator(name)) {
      if (crit.has(name)) {
        throw invalidMetadata(
          'policy_operator_not_understood',
          '§6.1.3.2',
          'the operator is listed in metadata_policy_crit but not understood',
          { ...location, operator: name },
        );
      }
      // §6.1.3.2: an unknown, non-critical operator is ignored. It is dropped from the output, so
      // merge and apply never see it and a later level cannot be blocked by it.
      continue;
    }
    const definition = OPERATORS[name];
    const value = copyJsonValue(operators[name]);
    if (value === NOT_JSON || !definition.isValidValue(value)) {
      throw invalidMetadata(
        'policy_operator_value_invalid',
        definition.section,
        `the operator value must be ${definition.valueDescription}`,
        { ...location, operator: name },
      );
    }
    read[name] = value;
  }
  // Operators in the fixed order of application (§6.1.4.2), for a deterministic output.
  const result: ParameterPolicy = {};
  for (const name of POLICY_OPERATORS) {
    if (Object.hasOwn(read, name)) result[name] = read[name];
  }
  assertCombinations(result, location);
  return result;
}

/**
 * §6.1.3 item 4 (the combination table of §6.1.3.1): every pair of operators in one parameter policy must be allowed
 * together, conditional cells included. Used for single policies and after every merge step.
 */
export function assertCombinations(
  operators: ParameterPolicy,
  location: PolicyFailureLocation & { readonly parameter: string },
): void {
  const present = POLICY_OPERATORS.filter((name) => Object.hasOwn(operators, name));
  for (let i = 0; i < present.length; i++) {
    for (let j = i + 1; j < present.length; j++) {
      const first = present[i];
      const second = present[j];
      if (first === undefined || second === undefined) continue;
      const rule = combinationRule(first, second);
      const allowed =
        typeof rule === 'boolean'
          ? rule
          : rule.holds(operators[first], operators[second], location.parameter);
      if (!allowed) {
        const problem =
          typeof rule === 'boolean'
            ? `${first} cannot be combined with ${second}`
            : `${first} can be combined with ${second} only when ${rule.condition}`;
        throw invalidMetadata('policy_combination_invalid', OPERATORS[first].section, problem, {
          ...location,
          operator: first,
        });
      }
    }
  }
}
