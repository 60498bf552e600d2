/**
 * Assertion functions that narrow untrusted Entity Statement claims (§3.1, §3.2) to typed values.
 * Each failure names the claim, the rule and the spec section.
 */
import {
  CORE_LIMITS,
  FEDERATION_ENTITY,
  PRIVATE_JWK_MEMBERS,
  SPEC_DEFINED_CLAIMS,
} from './constants.js';
import {
  readEntityIdClaim,
  readNumericDate,
  readTrustMarkType,
  type ClaimFailure,
} from './claim-readers.js';
import { isEntityIdentifier, type EntityIdOptions } from './entity-id.js';
import { InvalidMetadataError, InvalidTrustChainError, type FailureReason } from './errors.js';
import { getOwn, hasOwn, isNonEmptyString, isPlainObject, type JsonObject } from './json.js';
import { decodeJwsParts } from './jws.js';
import { readMetadata } from './metadata-policy/read-metadata.js';
import type { Metadata, MetadataPolicy } from './metadata-policy/types.js';
import { TOLERANCES, type ToleranceName, type ToleranceUse } from './tolerances.js';
import type {
  Constraints,
  EntityStatementClaims,
  EntityStatementKind,
  Jwk,
  JwkSet,
  NamingConstraints,
  TrustMarkOwner,
} from './types.js';

/** Options of the claim checks. */
export interface ClaimOptions extends EntityIdOptions {
  /** Extension claims this deployment understands when they are listed in `crit` (§13.4). */
  readonly understoodCriticalClaims?: readonly string[];
  /** Deviations of deployed software accepted (tolerances.ts); none by default. */
  readonly tolerate?: readonly ToleranceName[];
}

/** Draft names of Entity Configuration claims read under `legacy-trust-mark-claims` (§3.1.2). */
const DRAFT_CLAIM_NAMES = [
  ['trust_marks_issuers', 'trust_mark_issuers'],
  ['trust_marks_owners', 'trust_mark_owners'],
] as const;

/** A misplaced claim that a tolerance lets the statement through without. */
const TOLERATED_PLACEMENT: Readonly<
  Record<EntityStatementKind, Readonly<Record<string, ToleranceName>>>
> = {
  entity_configuration: { constraints: 'constraints-in-entity-configuration' },
  subordinate_statement: { trust_marks: 'trust-marks-in-subordinate-statement' },
};

/** Claims allowed only in an Entity Configuration (§3.1.1, §3.2 steps 14, 15, 20–22). */
const EC_ONLY_CLAIMS = [
  'authority_hints',
  'trust_anchor_hints',
  'trust_marks',
  'trust_mark_issuers',
  'trust_mark_owners',
] as const;

/** Claims allowed only in a Subordinate Statement (§3.1.3, §3.2 steps 17–19, 23). */
const SS_ONLY_CLAIMS = [
  'constraints',
  'metadata_policy',
  'metadata_policy_crit',
  'source_endpoint',
] as const;

/** Claims defined only for Explicit Registration (§3.2 steps 26, 27), never in EC or SS. */
const REGISTRATION_ONLY_CLAIMS = ['aud', 'trust_anchor'] as const;

/** §5.2.1: protocol key parameters that MUST NOT appear in `federation_entity` metadata. */
const FORBIDDEN_FEDERATION_ENTITY_PARAMETERS = ['jwks', 'jwks_uri', 'signed_jwks_uri'] as const;

function invalid(
  reason: FailureReason,
  claim: string,
  message: string,
  section: string,
): InvalidTrustChainError {
  return new InvalidTrustChainError(message, { reason, claim, section });
}

/** Narrows a JWK Set (§3.1: `jwks`; §1.1: `kid` required and unique; public keys only). */
export function assertJwkSet(value: unknown, claim = 'jwks'): JwkSet {
  const section = '§3.1';
  if (!isPlainObject(value)) {
    throw invalid('claim_invalid', claim, `"${claim}" must be a JWK Set object`, section);
  }
  const keys = getOwn(value, 'keys');
  if (!Array.isArray(keys) || keys.length === 0) {
    throw invalid('claim_invalid', claim, `"${claim}.keys" must be a non-empty array`, section);
  }
  if (keys.length > CORE_LIMITS.maxJwksKeys) {
    throw invalid(
      'claim_invalid',
      claim,
      `"${claim}" holds ${keys.length} keys, more than the limit of ${CORE_LIMITS.maxJwksKeys}`,
      section,
    );
  }
  const kids = new Set<string>();
  const checked: Jwk[] = [];
  for (const key of keys) {
    checked.push(assertPublicJwk(key, claim, kids));
  }
  return { keys: checked };
}

function assertPublicJwk(key: unknown, claim: string, kids: Set<string>): Jwk {
  const section = '§1.1';
  if (!isPlainObject(key))
    throw invalid('key_invalid', claim, `a key in "${claim}" is not an object`, section);
  const kty = getOwn(key, 'kty');
  const kid = getOwn(key, 'kid');
  if (!isNonEmptyString(kty)) {
    throw invalid('key_invalid', claim, `a key in "${claim}" has no "kty"`, section);
  }
  if (!isNonEmptyString(kid)) {
    throw invalid(
      'key_invalid',
      claim,
      `every key in "${claim}" must have a non-empty "kid"`,
      section,
    );
  }
  if (kids.has(kid)) {
    throw invalid(
      'key_invalid',
      claim,
      `"kid" ${JSON.stringify(kid)} appears twice in "${claim}"`,
      section,
    );
  }
  kids.add(kid);
  if (kty === 'oct' || PRIVATE_JWK_MEMBERS.some((member) => hasOwn(key, member))) {
    throw invalid(
      'key_invalid',
      claim,
      `key ${JSON.stringify(kid)} in "${claim}" carries private or symmetric key material`,
      section,
    );
  }
  for (const member of ['alg', 'use'] as const) {
    const v = getOwn(key, member);
    if (v !== undefined && typeof v !== 'string') {
      throw invalid(
        'key_invalid',
        claim,
        `"${member}" of key ${JSON.stringify(kid)} must be a string`,
        section,
      );
    }
  }
  return { ...key, kty, kid };
}

/**
 * Narrows a `metadata` claim (§5, §3.2 step 16): an object of objects, no top-level `null`
 * inside a type's metadata, and no protocol keys under `federation_entity` (§5.2.1). Returns a
 * private copy, so later policy steps can never alter the statement.
 */
export function assertMetadata(value: unknown, claim = 'metadata'): Metadata {
  const metadata = readMetadata(value);
  const federationEntity = metadata[FEDERATION_ENTITY];
  if (federationEntity !== undefined) {
    for (const parameter of FORBIDDEN_FEDERATION_ENTITY_PARAMETERS) {
      if (hasOwn(federationEntity, parameter)) {
        throw new InvalidMetadataError(
          `"${parameter}" MUST NOT appear in federation_entity metadata`,
          {
            reason: 'metadata_invalid',
            claim,
            entityType: FEDERATION_ENTITY,
            parameter,
            section: '§5.2.1',
          },
        );
      }
    }
  }
  return metadata;
}

function assertEntityIdArray(
  value: unknown,
  claim: string,
  options: EntityIdOptions,
  section: string,
): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw invalid(
      'claim_invalid',
      claim,
      `"${claim}" must be a non-empty array of Entity Identifiers`,
      section,
    );
  }
  for (const entry of value) {
    if (!isEntityIdentifier(entry, options)) {
      throw invalid(
        'entity_id_invalid',
        claim,
        `"${claim}" contains ${JSON.stringify(entry)}, which is not a valid Entity Identifier`,
        section,
      );
    }
  }
  return value;
}

function assertUniqueStrings(
  value: unknown,
  claim: string,
  reason: FailureReason,
  section: string,
): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw invalid(reason, claim, `"${claim}" must be a non-empty array of strings`, section);
  }
  const seen = new Set<string>();
  for (const entry of value) {
    if (!isNonEmptyString(entry) || seen.has(entry)) {
      throw invalid(reason, claim, `"${claim}" must hold distinct non-empty strings`, section);
    }
    seen.add(entry);
  }
  return value;
}

/** §3.2 step 13, §13.4: `crit` lists understood extension claims that are present. */
function assertCrit(claims: JsonObject, options: ClaimOptions): string[] | undefined {
  const value = getOwn(claims, 'crit');
  if (value === undefined) return undefined;
  const section = '§13.4';
  const crit = assertUniqueStrings(value, 'crit', 'crit_invalid', section);
  const understood = new Set(options.understoodCriticalClaims ?? []);
  for (const name of crit) {
    if (SPEC_DEFINED_CLAIMS.has(name)) {
      throw invalid(
        'crit_invalid',
        'crit',
        `"crit" must not list the spec-defined claim "${name}"`,
        section,
      );
    }
    if (!hasOwn(claims, name)) {
      throw invalid(
        'crit_invalid',
        'crit',
        `"crit" lists "${name}", which is not in the statement`,
        section,
      );
    }
    if (!understood.has(name)) {
      throw invalid(
        'crit_not_understood',
        'crit',
        `the critical extension claim "${name}" is not understood`,
        section,
      );
    }
  }
  return crit;
}

/**
 * §3.2 step 20, §3.1.2: `trust_marks` is an array of objects, each with a `trust_mark_type` and a
 * `trust_mark` that is a JWT whose own `trust_mark_type` is the same. A statement that breaks this
 * syntax is rejected, like any other failed §3.2 step. Whether a well-formed mark can be trusted
 * (its `typ`, signature, time, subject, issuer, status) is §7.3, judged when marks are verified:
 * such a mark is only left out (§8.3.2). Returns whether a draft type name was read.
 */
function assertTrustMarks(value: unknown, tolerateDraftNames: boolean): boolean {
  const section = '§3.2';
  if (!Array.isArray(value)) {
    throw invalid('claim_invalid', 'trust_marks', '"trust_marks" must be an array', section);
  }
  let legacy = false;
  value.forEach((entry: unknown, index) => {
    const at = `"trust_marks[${index}]"`;
    const fail = (message: string) => invalid('claim_invalid', 'trust_marks', message, section);
    if (!isPlainObject(entry)) throw fail(`${at} must be an object`);
    const outer = readTrustMarkType(entry, tolerateDraftNames);
    if (!isNonEmptyString(outer.type)) {
      throw fail(`${at} has no "trust_mark_type" string`);
    }
    const jwt = getOwn(entry, 'trust_mark');
    let payload: JsonObject;
    try {
      payload = decodeJwsParts(jwt, { what: 'trust mark', section }).payload;
    } catch (error) {
      const why = error instanceof Error ? error.message : 'it cannot be decoded';
      throw fail(`${at}.trust_mark is not a JWT: ${why}`);
    }
    const inner = readTrustMarkType(payload, tolerateDraftNames);
    if (inner.type !== outer.type) {
      throw fail(
        `${at} names the type ${JSON.stringify(outer.type)} but its trust mark is of type ${JSON.stringify(inner.type ?? null)}`,
      );
    }
    legacy ||= outer.legacy || inner.legacy;
  });
  return legacy;
}

function assertTrustMarkIssuers(
  value: unknown,
  options: EntityIdOptions,
): Record<string, string[]> {
  const section = '§3.1.2';
  if (!isPlainObject(value)) {
    throw invalid(
      'claim_invalid',
      'trust_mark_issuers',
      '"trust_mark_issuers" must be an object',
      section,
    );
  }
  const result: Record<string, string[]> = {};
  for (const [type, issuers] of Object.entries(value)) {
    // An empty array is meaningful here: anyone may issue this type (§7.2).
    if (!Array.isArray(issuers) || !issuers.every((i) => isEntityIdentifier(i, options))) {
      throw invalid(
        'claim_invalid',
        'trust_mark_issuers',
        `"trust_mark_issuers.${type}" must be an array of Entity Identifiers`,
        section,
      );
    }
    result[type] = issuers;
  }
  return result;
}

function assertTrustMarkOwners(
  value: unknown,
  options: EntityIdOptions,
): Record<string, TrustMarkOwner> {
  const section = '§3.1.2';
  if (!isPlainObject(value)) {
    throw invalid(
      'claim_invalid',
      'trust_mark_owners',
      '"trust_mark_owners" must be an object',
      section,
    );
  }
  const result: Record<string, TrustMarkOwner> = {};
  for (const [type, owner] of Object.entries(value)) {
    const sub = isPlainObject(owner) ? getOwn(owner, 'sub') : undefined;
    if (!isPlainObject(owner) || !isEntityIdentifier(sub, options)) {
      throw invalid(
        'claim_invalid',
        'trust_mark_owners',
        `"trust_mark_owners.${type}" must be an object with an Entity Identifier "sub" and "jwks"`,
        section,
      );
    }
    result[type] = {
      ...owner,
      sub,
      jwks: assertJwkSet(getOwn(owner, 'jwks'), 'trust_mark_owners'),
    };
  }
  return result;
}

/** §6.2: narrows `constraints`; unknown constraint parameters are ignored. */
export function assertConstraints(value: unknown): Constraints {
  const section = '§6.2';
  if (!isPlainObject(value)) {
    throw invalid('claim_invalid', 'constraints', '"constraints" must be an object', section);
  }
  const result: { -readonly [K in keyof Constraints]: Constraints[K] } = {};
  const maxPathLength = getOwn(value, 'max_path_length');
  if (maxPathLength !== undefined) {
    if (
      typeof maxPathLength !== 'number' ||
      !Number.isSafeInteger(maxPathLength) ||
      maxPathLength < 0
    ) {
      throw invalid(
        'claim_invalid',
        'constraints',
        '"max_path_length" must be an integer greater than or equal to 0',
        '§6.2.1',
      );
    }
    result.max_path_length = maxPathLength;
  }
  const naming = getOwn(value, 'naming_constraints');
  if (naming !== undefined) result.naming_constraints = assertNamingConstraints(naming);
  const allowed = getOwn(value, 'allowed_entity_types');
  if (allowed !== undefined) {
    if (!Array.isArray(allowed) || !allowed.every(isNonEmptyString)) {
      throw invalid(
        'claim_invalid',
        'constraints',
        '"allowed_entity_types" must be an array of Entity Type Identifiers',
        '§6.2.3',
      );
    }
    if (allowed.includes(FEDERATION_ENTITY)) {
      throw invalid(
        'claim_invalid',
        'constraints',
        '"allowed_entity_types" MUST NOT list federation_entity, which is always allowed',
        '§6.2.3',
      );
    }
    result.allowed_entity_types = allowed;
  }
  return result;
}

function assertNamingConstraints(value: unknown): NamingConstraints {
  const section = '§6.2.2';
  if (!isPlainObject(value)) {
    throw invalid(
      'claim_invalid',
      'constraints',
      '"naming_constraints" must be an object',
      section,
    );
  }
  const result: { -readonly [K in keyof NamingConstraints]: NamingConstraints[K] } = {};
  for (const member of ['permitted', 'excluded'] as const) {
    const names = getOwn(value, member);
    if (names === undefined) continue;
    if (!Array.isArray(names) || !names.every(isNonEmptyString)) {
      throw invalid(
        'claim_invalid',
        'constraints',
        `"naming_constraints.${member}" must be an array of non-empty strings`,
        section,
      );
    }
    result[member] = names;
  }
  return result;
}

/** §6.1.2: the three-level shape of `metadata_policy`; operator checks happen at merge time. */
function assertMetadataPolicyShape(value: unknown): MetadataPolicy {
  const section = '§6.1.2';
  const fail = (): never => {
    throw new InvalidMetadataError(
      '"metadata_policy" must map Entity Types to parameters to operator objects',
      { reason: 'policy_invalid', claim: 'metadata_policy', section },
    );
  };
  if (!isPlainObject(value)) return fail();
  const result: MetadataPolicy = {};
  for (const [entityType, typePolicy] of Object.entries(value)) {
    if (!isPlainObject(typePolicy)) return fail();
    const parameters: MetadataPolicy[string] = {};
    for (const [parameter, operators] of Object.entries(typePolicy)) {
      if (!isPlainObject(operators)) return fail();
      parameters[parameter] = operators;
    }
    result[entityType] = parameters;
  }
  return result;
}

/** A URL claim (`source_endpoint`): https (or http when allowed), no fragment (§3.1.3). */
function assertEndpointUrl(value: unknown, claim: string, options: EntityIdOptions): string {
  let ok = typeof value === 'string' && !value.includes('#');
  if (ok && typeof value === 'string') {
    try {
      const url = new URL(value);
      ok = url.protocol === 'https:' || (options.allowHttp === true && url.protocol === 'http:');
    } catch {
      ok = false;
    }
  }
  if (!ok || typeof value !== 'string') {
    throw invalid(
      'claim_invalid',
      claim,
      `"${claim}" must be an https URL without a fragment`,
      '§3.1.3',
    );
  }
  return value;
}

/** §3.1: claim failures of an Entity Statement (identifiers cite §1.2, the rest §3.1). */
const statementClaimFailure: ClaimFailure = (reason, claim, message) =>
  invalid(reason, claim, message, reason === 'entity_id_invalid' ? '§1.2' : '§3.1');

/**
 * Narrows the claims set of an Entity Statement and checks where each claim may appear
 * (§3.1.1, §3.1.3, §3.2 steps 5, 6, 9, 13–23, 26, 27).
 */
export function assertEntityStatementClaims(
  claims: JsonObject,
  options: ClaimOptions = {},
): {
  claims: EntityStatementClaims;
  kind: EntityStatementKind;
  tolerated: readonly ToleranceUse[];
} {
  const iss = readEntityIdClaim(claims, 'iss', options, statementClaimFailure);
  const sub = readEntityIdClaim(claims, 'sub', options, statementClaimFailure);
  const iat = readNumericDate(claims, 'iat', statementClaimFailure, true) ?? 0;
  const exp = readNumericDate(claims, 'exp', statementClaimFailure, true) ?? 0;
  // §3.2 step 6 and §16: code point comparison decides the kind.
  const kind: EntityStatementKind = iss === sub ? 'entity_configuration' : 'subordinate_statement';

  if (!hasOwn(claims, 'jwks')) {
    throw invalid('claim_missing', 'jwks', 'the required claim "jwks" is missing', '§3.1');
  }
  const jwks = assertJwkSet(getOwn(claims, 'jwks'));

  const tolerate = options.tolerate ?? [];
  const tolerated: ToleranceUse[] = [];
  const tolerateUse = (tolerance: ToleranceName, message: string) =>
    tolerated.push({ tolerance, ...TOLERANCES[tolerance], message });
  const ignored = new Set<string>();
  const where =
    kind === 'entity_configuration' ? 'an Entity Configuration' : 'a Subordinate Statement';
  const misplaced = kind === 'entity_configuration' ? SS_ONLY_CLAIMS : EC_ONLY_CLAIMS;
  for (const claim of [...misplaced, ...REGISTRATION_ONLY_CLAIMS]) {
    if (!hasOwn(claims, claim)) continue;
    const tolerance = TOLERATED_PLACEMENT[kind][claim];
    if (tolerance !== undefined && tolerate.includes(tolerance)) {
      // Ignored, never applied: the statement is read as if the claim were absent.
      ignored.add(claim);
      tolerateUse(tolerance, `"${claim}" in ${where} was ignored`);
      continue;
    }
    throw invalid('claim_not_allowed', claim, `"${claim}" is not allowed in ${where}`, '§3.2');
  }

  const result: { -readonly [K in keyof EntityStatementClaims]: EntityStatementClaims[K] } = {
    ...claims,
    iss,
    sub,
    iat,
    exp,
    jwks,
  };
  for (const claim of ignored) delete result[claim];
  const crit = assertCrit(claims, options);
  if (crit !== undefined) result.crit = crit;
  if (hasOwn(claims, 'metadata')) result.metadata = assertMetadata(getOwn(claims, 'metadata'));

  if (kind === 'entity_configuration') {
    if (hasOwn(claims, 'authority_hints')) {
      result.authority_hints = assertEntityIdArray(
        getOwn(claims, 'authority_hints'),
        'authority_hints',
        options,
        '§3.1.1',
      );
    }
    if (hasOwn(claims, 'trust_anchor_hints')) {
      result.trust_anchor_hints = assertEntityIdArray(
        getOwn(claims, 'trust_anchor_hints'),
        'trust_anchor_hints',
        options,
        '§3.1.1',
      );
    }
    const draftNames = tolerate.includes('legacy-trust-mark-claims');
    if (hasOwn(claims, 'trust_marks')) {
      const trustMarks = getOwn(claims, 'trust_marks');
      if (assertTrustMarks(trustMarks, draftNames)) {
        tolerateUse(
          'legacy-trust-mark-claims',
          '"trust_marks" uses a draft name of trust_mark_type',
        );
      }
      result.trust_marks = trustMarks as readonly unknown[];
    }
    // The Final name wins; a draft name is read only under the tolerance, and only without it.
    const named = (final: (typeof DRAFT_CLAIM_NAMES)[number][1]): unknown => {
      if (hasOwn(claims, final)) return getOwn(claims, final);
      const draft = DRAFT_CLAIM_NAMES.find(([, name]) => name === final)?.[0];
      if (!draftNames || draft === undefined || !hasOwn(claims, draft)) return undefined;
      delete result[draft];
      tolerateUse('legacy-trust-mark-claims', `"${draft}" was read as "${final}"`);
      return getOwn(claims, draft);
    };
    const issuers = named('trust_mark_issuers');
    if (issuers !== undefined) {
      result.trust_mark_issuers = assertTrustMarkIssuers(issuers, options);
    }
    const owners = named('trust_mark_owners');
    if (owners !== undefined) {
      result.trust_mark_owners = assertTrustMarkOwners(owners, options);
    }
  } else {
    if (hasOwn(claims, 'constraints'))
      result.constraints = assertConstraints(getOwn(claims, 'constraints'));
    if (hasOwn(claims, 'metadata_policy')) {
      result.metadata_policy = assertMetadataPolicyShape(getOwn(claims, 'metadata_policy'));
    }
    if (hasOwn(claims, 'metadata_policy_crit')) {
      result.metadata_policy_crit = assertUniqueStrings(
        getOwn(claims, 'metadata_policy_crit'),
        'metadata_policy_crit',
        'claim_invalid',
        '§6.1.3.2',
      );
    }
    if (hasOwn(claims, 'source_endpoint')) {
      result.source_endpoint = assertEndpointUrl(
        getOwn(claims, 'source_endpoint'),
        'source_endpoint',
        options,
      );
    }
  }
  return { claims: result, kind, tolerated };
}
