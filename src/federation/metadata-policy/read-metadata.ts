/** Validation and private copying of `metadata` claim values (§5, §3.2 step 16). */
import type { FailureReason } from '../errors.js';
import { isPlainObject } from '../json.js';
import { invalidMetadata } from './policy-error.js';
import type { PolicyFailureLocation } from './policy-error.js';
import type { EntityTypeMetadata, Metadata } from './types.js';
import { NOT_JSON, copyJsonValue, defineOwn } from './values.js';

/**
 * Checks that `value` is a `metadata` claim value (Entity Type → object of parameters, no `null`
 * at the top level of a type's metadata) and returns a deep copy the caller may mutate. `source`
 * adds location data (the statement's chain index) to errors.
 */
export function readMetadata(value: unknown, source: PolicyFailureLocation = {}): Metadata {
  const fail = (reason: FailureReason, problem: string, where: PolicyFailureLocation = {}) =>
    invalidMetadata(reason, '§5', problem, { ...source, claim: 'metadata', ...where });
  // §3.2 step 16: metadata contains no null values; §5: top-level parameters are never null.
  if (value === null) throw fail('metadata_null', 'metadata must be a JSON object, not null');
  if (!isPlainObject(value)) throw fail('metadata_invalid', 'metadata must be a JSON object');
  const result: Metadata = {};
  for (const entityType of Object.keys(value)) {
    const typeMetadata = value[entityType];
    if (typeMetadata === null) {
      throw fail('metadata_null', 'the Entity Type metadata is null', { entityType });
    }
    if (!isPlainObject(typeMetadata)) {
      throw fail('metadata_invalid', 'the Entity Type metadata must be a JSON object', {
        entityType,
      });
    }
    const copy: EntityTypeMetadata = {};
    for (const parameter of Object.keys(typeMetadata)) {
      const parameterValue = typeMetadata[parameter];
      if (parameterValue === null) {
        throw fail('metadata_null', 'the parameter value is null', { entityType, parameter });
      }
      const parameterCopy = copyJsonValue(parameterValue);
      if (parameterCopy === NOT_JSON) {
        throw fail('metadata_invalid', 'the parameter value is not a JSON value', {
          entityType,
          parameter,
        });
      }
      defineOwn(copy, parameter, parameterCopy);
    }
    defineOwn(result, entityType, copy);
  }
  return result;
}
