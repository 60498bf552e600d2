/** Construction of the `invalid_metadata` errors thrown by the metadata policy engine. */
import { InvalidMetadataError } from '../errors.js';
import type { FailureReason } from '../errors.js';
import { quote } from './values.js';

/** Where in a policy or in metadata a failure was found. */
export interface PolicyFailureLocation {
  /** Chain index of the statement whose data failed, when this module can know it. */
  readonly statementIndex?: number;
  /** Claim concerned: `metadata`, `metadata_policy` or `metadata_policy_crit`. */
  readonly claim?: string;
  /** Entity Type Identifier concerned. */
  readonly entityType?: string;
  /** Metadata parameter concerned (exact name, language tag included). */
  readonly parameter?: string;
  /** Policy operator concerned. */
  readonly operator?: string;
  /** Index of the policy in the merge input (0 = the Trust Anchor's statement). */
  readonly policyIndex?: number;
}

/**
 * An `invalid_metadata` error. The message is one sentence: `problem` prefixed by the location
 * (operator, parameter, Entity Type, policy index) so a reader can find the culprit.
 */
export function invalidMetadata(
  reason: FailureReason,
  section: string,
  problem: string,
  location: PolicyFailureLocation = {},
): InvalidMetadataError {
  const prefix = describeLocation(location);
  const sentence = prefix.length > 0 ? `${prefix}${problem}` : capitalize(problem);
  return new InvalidMetadataError(`${sentence}.`, {
    reason,
    section,
    ...location,
  });
}

/** "Operator "one_of" of parameter "x" of Entity Type "y" in policy 1: " (parts present only). */
function describeLocation(location: PolicyFailureLocation): string {
  const parts: string[] = [];
  if (location.operator !== undefined) parts.push(`operator ${quote(location.operator)}`);
  if (location.parameter !== undefined) parts.push(`parameter ${quote(location.parameter)}`);
  if (location.entityType !== undefined) parts.push(`Entity Type ${quote(location.entityType)}`);
  let text = parts.join(' of ');
  if (location.policyIndex !== undefined) {
    text += `${text.length > 0 ? ' in' : 'Metadata'} policy ${location.policyIndex}`;
  }
  return text.length === 0 ? '' : `${capitalize(text)}: `;
}

function capitalize(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}
