/**
 * Trust marks (§7): decode, check against the Trust Anchor's `trust_mark_issuers` and
 * `trust_mark_owners` (with delegation), verify with the issuer's Federation Entity Keys, and
 * check Trust Mark Status responses (§8.4). A mark that fails any rule is reported with its reason
 * and left out of results; it never invalidates the chain of the entity that carries it (§8.3.2).
 */
import {
  readEntityIdClaim,
  readNumericDate,
  readTrustMarkType,
  type ClaimFailure,
} from './claim-readers.js';
import { JWT_TYPES } from './constants.js';
import { verifyJwsSignature, type VerifyOptions } from './entity-statement.js';
import { FederationError, type FailureReason, type FederationErrorOptions } from './errors.js';
import { getOwn, isNonEmptyString, isPlainObject, type JsonObject } from './json.js';
import { decodeJws, type JwsHeader } from './jws.js';
import { validateTimeWindow } from './time-window.js';
import type { EntityStatementClaims, JwkSet } from './types.js';

/**
 * A trust mark that failed verification. A bad mark never fails a chain (§8.3.2: it is left out),
 * so its code is `not_found`: no verified mark of its type is held, as the JSON API answers when
 * one is required (docs/decisions.md).
 */
export class InvalidTrustMarkError extends FederationError {
  readonly code = 'not_found';
}

/** Options of trust mark verification. */
export interface TrustMarkOptions extends VerifyOptions {
  /** Current time, seconds. */
  readonly now: number;
  /** Leeway on `iat` and `exp`, seconds (default 60). */
  readonly clockSkew?: number;
  readonly allowedAlgorithms?: readonly string[];
  /** `typ` values accepted besides `trust-mark+jwt`, for framework-specific marks (§7). */
  readonly extraTrustMarkTypes?: readonly string[];
  /** Accept the draft claim names `trust_mark_id` and `id` for the type (docs/decisions.md). */
  readonly legacyClaimNames?: boolean;
  /** Accept `http` Entity Identifiers (tests and demos). */
  readonly allowHttp?: boolean;
}

/** A trust mark JWT after structural checks. */
export interface DecodedTrustMark {
  readonly jwt: string;
  readonly header: JwsHeader;
  readonly iss: string;
  readonly sub: string;
  readonly trust_mark_type: string;
  readonly iat: number;
  readonly exp?: number;
  readonly delegation?: string;
  readonly claims: JsonObject;
}

/** A trust mark that passed every check: what a resolve response may carry (§8.3.2). */
export interface VerifiedTrustMark {
  readonly trust_mark_type: string;
  readonly trust_mark: string;
  readonly iss: string;
  readonly exp?: number;
}

function fail(
  reason: FailureReason,
  message: string,
  extra: Partial<FederationErrorOptions> = {},
): InvalidTrustMarkError {
  return new InvalidTrustMarkError(message, { reason, section: '§7.3', ...extra });
}

/** The type claim of a mark or an entry, under the Final name or, when allowed, a draft one. */
export function trustMarkTypeOf(object: JsonObject, legacy: boolean): unknown {
  return readTrustMarkType(object, legacy).type;
}

/** Claim failures of trust marks and delegations (§7.3). */
const markClaimFailure: ClaimFailure = (reason, claim, message) => fail(reason, message, { claim });

/** §7.3 steps 5, 6 and §7.2.2: `iat` past, `exp` (when present) future. */
function validateMarkTimes(claims: JsonObject, options: TrustMarkOptions, what: string): void {
  validateTimeWindow(
    {
      iat: readNumericDate(claims, 'iat', markClaimFailure, true) ?? 0,
      exp: readNumericDate(claims, 'exp', markClaimFailure, false),
    },
    options,
    { what, error: InvalidTrustMarkError, section: '§7.3' },
  );
}

/** Decodes a trust mark JWT without trusting it (§7.1, §7.3 steps 1–3). */
export function decodeTrustMark(jwt: unknown, options: TrustMarkOptions): DecodedTrustMark {
  const decoded = decodeJws(jwt, {
    typ: [JWT_TYPES.trustMark, ...(options.extraTrustMarkTypes ?? [])],
    allowedAlgorithms: options.allowedAlgorithms,
    what: 'trust mark',
    section: '§7.3',
    error: InvalidTrustMarkError,
  });
  const claims = decoded.payload;
  const entityIdOptions = { allowHttp: options.allowHttp === true };
  const type = trustMarkTypeOf(claims, options.legacyClaimNames === true);
  if (!isNonEmptyString(type))
    throw fail('claim_missing', 'the trust mark has no "trust_mark_type"', {
      claim: 'trust_mark_type',
    });
  const exp = readNumericDate(claims, 'exp', markClaimFailure, false);
  const delegation = getOwn(claims, 'delegation');
  if (delegation !== undefined && typeof delegation !== 'string') {
    throw fail('claim_invalid', '"delegation" must be a JWT', { claim: 'delegation' });
  }
  return {
    jwt: decoded.jwt,
    header: decoded.header,
    iss: readEntityIdClaim(claims, 'iss', entityIdOptions, markClaimFailure),
    sub: readEntityIdClaim(claims, 'sub', entityIdOptions, markClaimFailure),
    trust_mark_type: type,
    iat: readNumericDate(claims, 'iat', markClaimFailure, true) ?? 0,
    ...(exp === undefined ? {} : { exp }),
    ...(delegation === undefined ? {} : { delegation }),
    claims,
  };
}

/** One entry of an Entity Configuration's `trust_marks`: its outer type and JWT (§3.1.2). */
export function readTrustMarkEntry(
  entry: unknown,
  legacy: boolean,
): { trust_mark_type: string; trust_mark: string } {
  const type = isPlainObject(entry) ? trustMarkTypeOf(entry, legacy) : undefined;
  const mark = isPlainObject(entry) ? getOwn(entry, 'trust_mark') : undefined;
  if (!isNonEmptyString(type) || !isNonEmptyString(mark)) {
    throw fail(
      'claim_invalid',
      'a trust_marks entry needs a string "trust_mark_type" and "trust_mark"',
      {
        claim: 'trust_marks',
        section: '§3.1.2',
      },
    );
  }
  return { trust_mark_type: type, trust_mark: mark };
}

/** §7.2.2: the delegation from the type's owner to the mark's issuer. */
async function verifyDelegation(
  mark: DecodedTrustMark,
  owner: { readonly sub: string; readonly jwks: JwkSet },
  options: TrustMarkOptions,
): Promise<void> {
  const section = '§7.2.2';
  if (mark.delegation === undefined) {
    throw fail(
      'delegation_missing',
      `the type has an owner (${owner.sub}), so the mark needs a delegation`,
      { section },
    );
  }
  let decoded;
  try {
    decoded = decodeJws(mark.delegation, {
      typ: [JWT_TYPES.trustMarkDelegation],
      allowedAlgorithms: options.allowedAlgorithms,
      what: 'trust mark delegation',
      section,
      error: InvalidTrustMarkError,
    });
  } catch (error) {
    throw relabel(error, 'delegation_invalid', 'the delegation');
  }
  const claims = decoded.payload;
  const problems: string[] = [];
  if (getOwn(claims, 'sub') !== mark.iss) problems.push('its sub is not the mark issuer');
  if (getOwn(claims, 'iss') !== owner.sub) problems.push('its iss is not the owner');
  if (trustMarkTypeOf(claims, options.legacyClaimNames === true) !== mark.trust_mark_type)
    problems.push('its type differs');
  if (problems.length > 0)
    throw fail('delegation_invalid', `the delegation does not match: ${problems.join(', ')}`, {
      section,
    });
  try {
    validateMarkTimes(claims, options, 'the delegation');
    // §7.2.2 step 9: signed with a key of the owner, as the Trust Anchor lists it.
    await verifyJwsSignature(
      decoded.jwt,
      decoded.header,
      owner.jwks,
      options,
      InvalidTrustMarkError,
    );
  } catch (error) {
    throw relabel(error, 'delegation_invalid', 'the delegation');
  }
}

/** Keeps the detail of a failure inside a delegation while naming it as a delegation failure. */
function relabel(error: unknown, reason: FailureReason, what: string): InvalidTrustMarkError {
  const detail =
    error instanceof FederationError ? `${error.message} (${error.reason})` : 'it cannot be read';
  return fail(reason, `${what} is invalid: ${detail}`, { section: '§7.2.2', cause: error });
}

/**
 * §8.3.2, §17.5: whether the Trust Anchor trusts `issuer` for `type`. Listed issuers (an empty
 * list meaning anyone) are trusted; for an owned type, a valid delegation is what admits the
 * issuer, and a non-empty issuer list for it must still name the issuer.
 */
function anchorAdmits(
  anchor: EntityStatementClaims,
  type: string,
  issuer: string,
): { owner?: { sub: string; jwks: JwkSet } } {
  const issuers = anchor.trust_mark_issuers?.[type];
  const owner = anchor.trust_mark_owners?.[type];
  if (issuers === undefined && owner === undefined) {
    throw fail(
      'trust_mark_type_not_recognized',
      `the Trust Anchor does not recognize the type ${type}`,
      { section: '§8.3.2' },
    );
  }
  if (issuers !== undefined && issuers.length > 0 && !issuers.includes(issuer)) {
    throw fail(
      'trust_mark_issuer_not_trusted',
      `the Trust Anchor does not accept ${issuer} as an issuer of ${type}`,
      {
        section: '§8.3.2',
      },
    );
  }
  return owner === undefined ? {} : { owner: { sub: owner.sub, jwks: owner.jwks } };
}

/**
 * Verifies one `trust_marks` entry of `subject`'s configuration (§7.3, §8.3.2): the entry and JWT
 * types agree, the mark is about the subject and within its time, the chosen Trust Anchor trusts
 * its issuer for the type (with the owner's delegation where an owner is listed), and it is signed
 * with one of `issuerKeys`, the issuer's Federation Entity Keys from its own resolved chain.
 */
export async function verifyTrustMark(
  input: {
    readonly entry: unknown;
    readonly subject: string;
    readonly anchor: EntityStatementClaims;
    readonly issuerKeys: JwkSet;
  },
  options: TrustMarkOptions,
): Promise<VerifiedTrustMark> {
  const legacy = options.legacyClaimNames === true;
  const entry = readTrustMarkEntry(input.entry, legacy);
  const mark = decodeTrustMark(entry.trust_mark, options);
  if (mark.trust_mark_type !== entry.trust_mark_type) {
    throw fail(
      'claim_invalid',
      'the entry names another trust_mark_type than the trust mark itself',
      {
        claim: 'trust_mark_type',
        section: '§3.2',
      },
    );
  }
  if (mark.sub !== input.subject) {
    throw fail('subject_mismatch', `the trust mark is about ${mark.sub}, not ${input.subject}`, {
      claim: 'sub',
    });
  }
  validateMarkTimes(mark.claims, options, 'the trust mark');
  const { owner } = anchorAdmits(input.anchor, mark.trust_mark_type, mark.iss);
  if (owner !== undefined) {
    await verifyDelegation(mark, owner, options);
  } else if (mark.delegation !== undefined) {
    // §7.3 step 9: a delegation must be validated, which needs an owner listed by the anchor.
    throw fail(
      'delegation_invalid',
      'the mark carries a delegation but the Trust Anchor lists no owner for its type',
      {
        section: '§7.3',
      },
    );
  }
  await verifyJwsSignature(mark.jwt, mark.header, input.issuerKeys, options, InvalidTrustMarkError);
  return {
    trust_mark_type: mark.trust_mark_type,
    trust_mark: mark.jwt,
    iss: mark.iss,
    ...(mark.exp === undefined ? {} : { exp: mark.exp }),
  };
}

/**
 * Verifies a Trust Mark Status response (§8.4.2): `typ`, signature by the issuer's keys, `iss`
 * the issuer, the echoed `trust_mark`, and a `status`. Returns the status; anything but `active`
 * (including extension values) means the mark is not to be used.
 */
export async function verifyTrustMarkStatusResponse(
  jwt: string,
  expected: { readonly issuer: string; readonly trustMark: string; readonly issuerKeys: JwkSet },
  options: TrustMarkOptions,
): Promise<string> {
  const section = '§8.4.2';
  const decoded = decodeJws(jwt, {
    typ: [JWT_TYPES.trustMarkStatusResponse],
    allowedAlgorithms: options.allowedAlgorithms,
    what: 'trust mark status response',
    section,
    error: InvalidTrustMarkError,
  });
  const claims = decoded.payload;
  // A response that arrived but does not answer for this mark by this issuer is invalid, which
  // is not the same as an issuer that could not be asked (trust_mark_status_unavailable).
  if (getOwn(claims, 'iss') !== expected.issuer) {
    throw fail('trust_mark_status_invalid', 'the status response is not from the issuer', {
      section,
      claim: 'iss',
    });
  }
  if (getOwn(claims, 'trust_mark') !== expected.trustMark) {
    throw fail('trust_mark_status_invalid', 'the status response is about another trust mark', {
      section,
      claim: 'trust_mark',
    });
  }
  const status = getOwn(claims, 'status');
  if (!isNonEmptyString(status) || typeof getOwn(claims, 'iat') !== 'number') {
    throw fail('trust_mark_status_invalid', 'the status response lacks "status" or "iat"', {
      section,
    });
  }
  await verifyJwsSignature(
    decoded.jwt,
    decoded.header,
    expected.issuerKeys,
    options,
    InvalidTrustMarkError,
  );
  return status;
}
