/**
 * The one reader per kind of JWT claim, shared by Entity Statements (§3.1) and trust marks
 * (§7.1): NumericDate claims and Entity Identifier claims. Each reader narrows an untrusted value
 * or throws the caller's error, so every kind of JWT reports failures with its own class and
 * section.
 */
import { isEntityIdentifier, type EntityIdOptions } from './entity-id.js';
import type { FailureReason, FederationError } from './errors.js';
import { getOwn, type JsonObject } from './json.js';

/** Builds the caller's error for a claim that is missing or invalid. */
export type ClaimFailure = (
  reason: FailureReason,
  claim: string,
  message: string,
) => FederationError;

/**
 * A NumericDate claim (RFC 7519 §2): a finite, non-negative number of seconds. Returns
 * `undefined` for an absent optional claim.
 */
export function readNumericDate(
  claims: JsonObject,
  claim: string,
  fail: ClaimFailure,
  required: boolean,
): number | undefined {
  const value = getOwn(claims, claim);
  if (value === undefined) {
    if (!required) return undefined;
    throw fail('claim_missing', claim, `the required claim "${claim}" is missing`);
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw fail('claim_invalid', claim, `"${claim}" must be a non-negative number of seconds`);
  }
  return value;
}

/** A required claim holding an Entity Identifier (§1.2): `iss`, `sub`. */
export function readEntityIdClaim(
  claims: JsonObject,
  claim: string,
  options: EntityIdOptions,
  fail: ClaimFailure,
): string {
  const value = getOwn(claims, claim);
  if (value === undefined) {
    throw fail('claim_missing', claim, `the required claim "${claim}" is missing`);
  }
  if (!isEntityIdentifier(value, options)) {
    throw fail(
      'entity_id_invalid',
      claim,
      `"${claim}" is not a valid Entity Identifier (an https URL without query or fragment)`,
    );
  }
  return value;
}

/**
 * The trust mark type of a mark, a `trust_marks` entry or a delegation (§7.1, §3.1.2): the Final
 * name `trust_mark_type` or, when the draft names are tolerated, `trust_mark_id` (draft 42) or
 * `id` (up to draft 41). `legacy` reports whether a draft name was the one read.
 */
export function readTrustMarkType(
  object: JsonObject,
  tolerateDraftNames: boolean,
): { readonly type: unknown; readonly legacy: boolean } {
  const type = getOwn(object, 'trust_mark_type');
  if (type !== undefined || !tolerateDraftNames) return { type, legacy: false };
  const draft = getOwn(object, 'trust_mark_id') ?? getOwn(object, 'id');
  return { type: draft, legacy: draft !== undefined };
}
