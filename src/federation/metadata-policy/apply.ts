/** Application of a resolved metadata policy to the subject's metadata (§6.1.4.2). */
import { POLICY_OPERATORS } from '../constants.js';
import { ABSENT, OPERATORS } from './operators.js';
import { invalidMetadata } from './policy-error.js';
import { readMetadata } from './read-metadata.js';
import type { EntityTypeMetadata, Metadata, ParameterPolicy } from './types.js';
import { validateMetadataPolicy } from './validate.js';
import { defineOwn } from './values.js';

/**
 * Applies a resolved (merged) policy to the subject's metadata, keyed by Entity Type, and returns
 * the Resolved Metadata of every Entity Type. Never mutates or aliases its inputs. Throws
 * `InvalidMetadataError` when the policy or the metadata is invalid or a check fails.
 */
export function applyMetadataPolicy(metadata: unknown, policy: unknown): Metadata {
  // The merged policy is validated again (no crit: merging already enforced it), which also gives
  // this function private copies of the operator values it may place into the result.
  const resolvedPolicy = validateMetadataPolicy(policy);
  const result = readMetadata(metadata);
  for (const entityType of Object.keys(resolvedPolicy)) {
    const typePolicy = resolvedPolicy[entityType];
    // A policy for an Entity Type the subject lacks does nothing (docs/decisions.md).
    const typeMetadata = Object.hasOwn(result, entityType) ? result[entityType] : undefined;
    if (typePolicy === undefined || typeMetadata === undefined) continue;
    for (const parameter of Object.keys(typePolicy)) {
      const operators = typePolicy[parameter];
      if (operators !== undefined) {
        applyParameterPolicy(typeMetadata, entityType, parameter, operators);
      }
    }
  }
  return result;
}

/**
 * Runs one parameter's operators in the fixed order value → add → default → one_of → subset_of →
 * superset_of → essential (§6.1.4.2), writing the outcome into `typeMetadata`.
 */
function applyParameterPolicy(
  typeMetadata: EntityTypeMetadata,
  entityType: string,
  parameter: string,
  operators: ParameterPolicy,
): void {
  // §14: language-tagged names are distinct keys, matched exactly.
  let current: unknown = Object.hasOwn(typeMetadata, parameter) ? typeMetadata[parameter] : ABSENT;
  for (const name of POLICY_OPERATORS) {
    if (!Object.hasOwn(operators, name)) continue;
    const definition = OPERATORS[name];
    const outcome = definition.apply(current, operators[name], parameter);
    if (!outcome.ok) {
      // §6.1.3 item 2: an unsupported parameter type is a policy error, like a failed check.
      throw invalidMetadata(
        'policy_violation',
        outcome.kind === 'type' ? '§6.1.3' : definition.section,
        outcome.problem,
        { claim: 'metadata', entityType, parameter, operator: name },
      );
    }
    current = outcome.value;
  }
  // §6.1.3 item 6: operators never output null; value null removes the parameter instead.
  if (current === ABSENT) {
    delete typeMetadata[parameter];
  } else {
    defineOwn(typeMetadata, parameter, current);
  }
}
