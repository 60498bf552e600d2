/**
 * Request parameters of the resolve-style endpoints (§8.3.1): `sub` (once), `trust_anchor`
 * (repeatable), `entity_type` (repeatable). Unknown parameters are ignored (§8); the names of
 * drafts up to 40, `anchor` and `type`, are accepted as aliases (docs/decisions.md).
 */
import { isEntityIdentifier } from '../federation/entity-id.js';
import { InvalidRequestError } from '../federation/errors.js';
import type { ResolutionQuery } from '../federation/types.js';

/** Bounds on what one request may ask for. */
export const PARAMETER_LIMITS = {
  maxTrustAnchors: 16,
  maxEntityTypes: 16,
} as const;

const ENTITY_TYPE = /^[A-Za-z0-9_.:/-]{1,128}$/;

function invalid(
  message: string,
  reason: 'parameter_missing' | 'parameter_invalid' | 'parameter_repeated' | 'too_many_parameters',
  requestParameter: string,
) {
  return new InvalidRequestError(message, { reason, requestParameter, section: '§8.3.1' });
}

function values(params: URLSearchParams, name: string, alias: string): string[] {
  return [...params.getAll(name), ...params.getAll(alias)];
}

/** Parses and checks the query string of a resolve request; throws `invalid_request`. */
export function parseResolutionQuery(
  query: string,
  options: { readonly allowHttp: boolean },
): ResolutionQuery & { readonly entityTypes: readonly string[] } {
  const params = new URLSearchParams(query);
  const subjects = params.getAll('sub');
  if (subjects.length === 0)
    throw invalid('the sub parameter is required', 'parameter_missing', 'sub');
  if (subjects.length > 1)
    throw invalid('the sub parameter must be given once', 'parameter_repeated', 'sub');
  const subject = subjects[0] ?? '';
  if (!isEntityIdentifier(subject, { allowHttp: options.allowHttp })) {
    throw invalid('sub is not a valid Entity Identifier', 'parameter_invalid', 'sub');
  }
  const trustAnchors = [...new Set(values(params, 'trust_anchor', 'anchor'))];
  if (trustAnchors.length === 0) {
    throw invalid('the trust_anchor parameter is required', 'parameter_missing', 'trust_anchor');
  }
  if (trustAnchors.length > PARAMETER_LIMITS.maxTrustAnchors) {
    throw invalid(
      `at most ${PARAMETER_LIMITS.maxTrustAnchors} trust_anchor values are accepted`,
      'too_many_parameters',
      'trust_anchor',
    );
  }
  for (const anchor of trustAnchors) {
    if (!isEntityIdentifier(anchor, { allowHttp: options.allowHttp })) {
      throw invalid(
        'a trust_anchor value is not a valid Entity Identifier',
        'parameter_invalid',
        'trust_anchor',
      );
    }
  }
  const entityTypes = [...new Set(values(params, 'entity_type', 'type'))];
  if (entityTypes.length > PARAMETER_LIMITS.maxEntityTypes) {
    throw invalid(
      `at most ${PARAMETER_LIMITS.maxEntityTypes} entity_type values are accepted`,
      'too_many_parameters',
      'entity_type',
    );
  }
  if (!entityTypes.every((type) => ENTITY_TYPE.test(type))) {
    throw invalid(
      'an entity_type value is not an Entity Type Identifier',
      'parameter_invalid',
      'entity_type',
    );
  }
  return { subject, trustAnchors, entityTypes };
}

/**
 * `trust_mark_type` values of the JSON API's filter (may be repeated; every one must be held).
 * `trust_mark_id` (drafts up to 42) is accepted as an alias.
 */
export function parseTrustMarkTypes(query: string): readonly string[] {
  const types = [
    ...new Set(values(new URLSearchParams(query), 'trust_mark_type', 'trust_mark_id')),
  ];
  if (types.length > PARAMETER_LIMITS.maxEntityTypes) {
    throw invalid(
      `at most ${PARAMETER_LIMITS.maxEntityTypes} trust_mark_type values are accepted`,
      'too_many_parameters',
      'trust_mark_type',
    );
  }
  if (!types.every((type) => type.length > 0 && type.length <= 2048)) {
    throw invalid(
      'a trust_mark_type value is empty or too long',
      'parameter_invalid',
      'trust_mark_type',
    );
  }
  return types;
}
