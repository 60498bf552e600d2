/** Resolution of a chain's metadata policies into one policy (§6.1.4.1). */
import { POLICY_OPERATORS } from '../constants.js';
import { OPERATORS } from './operators.js';
import { invalidMetadata } from './policy-error.js';
import type { EntityTypePolicy, MetadataPolicy, ParameterPolicy } from './types.js';
import {
  assertCombinations,
  assertCritUnderstood,
  readCrit,
  readMetadataPolicy,
} from './validate.js';
import { defineOwn } from './values.js';

/** Options of {@link mergeMetadataPolicies}. */
export interface MergeMetadataPoliciesOptions {
  /** Union of the `metadata_policy_crit` values of every Subordinate Statement in the chain. */
  readonly crit?: readonly string[];
}

/**
 * Validates and merges a chain's `metadata_policy` values, superior-most first (index 0 = the
 * Trust Anchor's statement; `null`/`undefined` for a statement without one). Returns `{}` when
 * there is no policy. Never mutates or aliases its inputs. Throws `InvalidMetadataError`.
 */
export function mergeMetadataPolicies(
  policies: ReadonlyArray<unknown>,
  options: MergeMetadataPoliciesOptions = {},
): MetadataPolicy {
  // §6.1.4.1 step 1: the collected crit names apply to every policy of the chain.
  const crit = readCrit(options.crit);
  if (!Array.isArray(policies)) {
    throw invalidMetadata(
      'policy_invalid',
      '§6.1.4.1',
      'the chain policies must be given as an array',
    );
  }
  let merged: MetadataPolicy | undefined;
  // §6.1.4.1: merge from the Trust Anchor down to the subject's Immediate Superior.
  for (let index = 0; index < policies.length; index++) {
    const policy: unknown = policies[index];
    if (policy === null || policy === undefined) continue;
    // Validation returns a private copy, so merging may write into it.
    const next = readMetadataPolicy(policy, crit, index);
    merged = merged === undefined ? next : mergeInto(merged, next, index);
  }
  assertCritUnderstood(crit);
  return merged ?? {};
}

/** Merges `next` (a subordinate level) into `current` (the levels above it), in place. */
function mergeInto(
  current: MetadataPolicy,
  next: MetadataPolicy,
  policyIndex: number,
): MetadataPolicy {
  for (const entityType of Object.keys(next)) {
    const nextType = next[entityType];
    if (nextType === undefined) continue;
    const currentType = Object.hasOwn(current, entityType) ? current[entityType] : undefined;
    // A new Entity Type is copied in; an existing one is merged one level down.
    if (currentType === undefined) {
      defineOwn(current, entityType, nextType);
      continue;
    }
    mergeEntityType(currentType, nextType, entityType, policyIndex);
  }
  return current;
}

function mergeEntityType(
  current: EntityTypePolicy,
  next: EntityTypePolicy,
  entityType: string,
  policyIndex: number,
): void {
  for (const parameter of Object.keys(next)) {
    const nextParameter = next[parameter];
    if (nextParameter === undefined) continue;
    const currentParameter = Object.hasOwn(current, parameter) ? current[parameter] : undefined;
    if (currentParameter === undefined) {
      defineOwn(current, parameter, nextParameter);
      continue;
    }
    const location = { claim: 'metadata_policy', entityType, parameter, policyIndex };
    const merged = mergeParameter(currentParameter, nextParameter, location);
    // §6.1.4.1: the merged parameter policy must again satisfy the combination rules.
    assertCombinations(merged, location);
    defineOwn(current, parameter, merged);
  }
}

function mergeParameter(
  current: ParameterPolicy,
  next: ParameterPolicy,
  location: {
    readonly claim: string;
    readonly entityType: string;
    readonly parameter: string;
    readonly policyIndex: number;
  },
): ParameterPolicy {
  const result: ParameterPolicy = {};
  for (const name of POLICY_OPERATORS) {
    const inCurrent = Object.hasOwn(current, name);
    const inNext = Object.hasOwn(next, name);
    if (inCurrent && inNext) {
      const outcome = OPERATORS[name].merge(current[name], next[name]);
      if (!outcome.ok) {
        throw invalidMetadata('policy_merge_failed', OPERATORS[name].section, outcome.problem, {
          ...location,
          operator: name,
        });
      }
      result[name] = outcome.value;
    } else if (inCurrent) {
      result[name] = current[name];
    } else if (inNext) {
      result[name] = next[name];
    }
  }
  return result;
}
