/**
 * Request parameters of the resolve-style endpoints (§8.3.1): `sub` (once), `trust_anchor`
 * (repeatable), `entity_type` (repeatable). Unknown parameters are ignored (§8); the names of
 * drafts up to 40, `anchor` and `type`, are accepted as aliases (docs/decisions.md).
 */
import { isEntityIdentifier } from '../federation/entity-id.js';
import { InvalidRequestError, UnsupportedParameterError } from '../federation/errors.js';
import type { CollectionQuery } from '../engine/federation-view.js';
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

/** The one `trust_anchor` of a federation-wide request (the collection, the health report). */
function singleTrustAnchor(params: URLSearchParams, allowHttp: boolean): string {
  const anchors = values(params, 'trust_anchor', 'anchor');
  if (anchors.length === 0) {
    throw invalid('the trust_anchor parameter is required', 'parameter_missing', 'trust_anchor');
  }
  if (anchors.length > 1) {
    throw invalid('trust_anchor must be given once', 'parameter_repeated', 'trust_anchor');
  }
  const anchor = anchors[0] ?? '';
  if (!isEntityIdentifier(anchor, { allowHttp })) {
    throw invalid(
      'trust_anchor is not a valid Entity Identifier',
      'parameter_invalid',
      'trust_anchor',
    );
  }
  return anchor;
}

/** A parameter that may be given at most once. */
function once(params: URLSearchParams, name: string): string | undefined {
  const all = params.getAll(name);
  if (all.length > 1) throw invalid(`${name} must be given once`, 'parameter_repeated', name);
  return all[0];
}

/**
 * A list of claim names: repeated, or separated by commas or spaces. Names outside `known` are
 * `unsupported_parameter`, as the Entity Collection extension requires.
 */
function claimList(params: URLSearchParams, name: string, known: readonly string[]): string[] {
  const names = params
    .getAll(name)
    .flatMap((value) => value.split(/[\s,]+/))
    .filter((value) => value.length > 0);
  for (const claim of names) {
    if (!known.includes(claim)) {
      throw new UnsupportedParameterError(
        `${name} names ${JSON.stringify(claim)}, which is not supported`,
        {
          reason: 'parameter_invalid',
          requestParameter: name,
        },
      );
    }
  }
  return [...new Set(names)];
}

/** A collection request (Entity Collection extension), checked. */
export function parseCollectionQuery(
  query: string,
  options: {
    readonly allowHttp: boolean;
    readonly maxLimit: number;
    readonly entityClaims: readonly string[];
    readonly uiClaims: readonly string[];
  },
): { readonly trustAnchor: string } & CollectionQuery {
  const params = new URLSearchParams(query);
  const trustAnchor = singleTrustAnchor(params, options.allowHttp);
  const entityTypes = [...new Set(params.getAll('entity_type'))];
  if (!entityTypes.every((type) => ENTITY_TYPE.test(type))) {
    throw invalid(
      'an entity_type value is not an Entity Type Identifier',
      'parameter_invalid',
      'entity_type',
    );
  }
  const trustMarkTypes = parseTrustMarkTypes(query);
  const text = once(params, 'query');
  if (text !== undefined && text.length > 256) {
    throw invalid('query is longer than 256 characters', 'parameter_invalid', 'query');
  }
  const from = once(params, 'from_entity_id');
  if (from !== undefined && !isEntityIdentifier(from, { allowHttp: options.allowHttp })) {
    throw invalid(
      'from_entity_id is not an Entity Identifier',
      'parameter_invalid',
      'from_entity_id',
    );
  }
  const limitText = once(params, 'limit');
  let limit = options.maxLimit;
  if (limitText !== undefined) {
    if (!/^[1-9]\d{0,8}$/.test(limitText)) {
      throw invalid('limit must be a positive whole number', 'parameter_invalid', 'limit');
    }
    limit = Math.min(Number(limitText), options.maxLimit);
  }
  return {
    trustAnchor,
    entityTypes,
    trustMarkTypes,
    ...(text === undefined || text === '' ? {} : { query: text }),
    ...(from === undefined ? {} : { fromEntityId: from }),
    limit,
    entityClaims: claimList(params, 'entity_claims', options.entityClaims),
    uiClaims: claimList(params, 'ui_claims', options.uiClaims),
  };
}

/** A health report request: the anchor, and the horizon in seconds (default 7 days). */
export function parseHealthQuery(
  query: string,
  options: { readonly allowHttp: boolean },
): { readonly trustAnchor: string; readonly horizonSeconds: number } {
  const params = new URLSearchParams(query);
  const trustAnchor = singleTrustAnchor(params, options.allowHttp);
  const horizon = once(params, 'horizon');
  if (horizon !== undefined && !/^\d{1,9}$/.test(horizon)) {
    throw invalid('horizon must be a whole number of seconds', 'parameter_invalid', 'horizon');
  }
  return { trustAnchor, horizonSeconds: horizon === undefined ? 7 * 86_400 : Number(horizon) };
}
