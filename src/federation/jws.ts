/**
 * Untrusted decoding of a compact JWS (§1.1): three base64url parts, JSON object header and
 * payload with bounded nesting, an expected `typ`, an allowed asymmetric `alg`, a `kid`, and no
 * critical header extensions. Shared by every kind of federation JWT; signatures are checked
 * elsewhere.
 */
import {
  CORE_LIMITS,
  DEFAULT_SIGNING_ALGORITHMS,
  FORBIDDEN_ALGORITHM_PATTERN,
} from './constants.js';
import {
  InvalidTrustChainError,
  type FederationError,
  type FederationErrorOptions,
} from './errors.js';
import {
  exceedsJsonDepth,
  getOwn,
  isNonEmptyString,
  isPlainObject,
  type JsonObject,
} from './json.js';

/** The protected header after checks. */
export interface JwsHeader {
  readonly typ: string;
  readonly alg: string;
  readonly kid: string;
  readonly [parameter: string]: unknown;
}

/** What {@link decodeJws} checks, and how it reports failures. */
export interface JwsDecodeOptions {
  /**
   * Accepted `typ` values (§18.2: every federation JWT is explicitly typed); `any` for a JWT
   * the spec does not type, such as a client assertion (OpenID Connect Core §9).
   */
  readonly typ: readonly string[] | 'any';
  /** Accepted `alg` values; `none` and HMAC are refused whatever this says. */
  readonly allowedAlgorithms?: readonly string[] | undefined;
  /** Largest JWS accepted, in characters. */
  readonly maxLength?: number | undefined;
  /** Header parameters that must not be present. */
  readonly forbiddenHeaders?: readonly string[];
  /** Name of the kind of JWT, for messages ("Entity Statement", "trust mark"). */
  readonly what: string;
  /** Spec section of the kind's validation rules. */
  readonly section: string;
  /** Error class of the kind; InvalidTrustChainError by default. */
  readonly error?: new (message: string, options: FederationErrorOptions) => FederationError;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Strict UTF-8: invalid byte sequences make the JWS malformed instead of being repaired. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** What {@link decodeJwsParts} needs: the bounds and how failures are reported. */
export type JwsPartsOptions = Pick<JwsDecodeOptions, 'maxLength' | 'what' | 'section' | 'error'>;

function failureOf(options: JwsPartsOptions) {
  const ErrorClass = options.error ?? InvalidTrustChainError;
  return (
    reason: FederationErrorOptions['reason'],
    message: string,
    extra: Partial<FederationErrorOptions> = {},
  ) => new ErrorClass(message, { reason, section: options.section, ...extra });
}

/**
 * The structure of a compact JWS only (§1.1): a string within the size bound, three base64url
 * parts, a UTF-8 JSON object header and payload with bounded nesting. Nothing is trusted and no
 * header parameter is checked: what a JWT claim must be "syntactically" (§3.2 step 20).
 */
export function decodeJwsParts(
  jwt: unknown,
  options: JwsPartsOptions,
): { jwt: string; header: JsonObject; payload: JsonObject } {
  const fail = failureOf(options);
  const malformed = (message: string, cause?: unknown) =>
    fail('statement_malformed', message, cause === undefined ? {} : { cause });

  if (typeof jwt !== 'string') throw malformed(`a ${options.what} must be a compact JWS string`);
  const limit = options.maxLength ?? CORE_LIMITS.maxStatementLength;
  if (jwt.length > limit) {
    throw fail(
      'statement_too_large',
      `the ${options.what} is ${jwt.length} characters, over the limit of ${limit}`,
    );
  }
  const parts = jwt.split('.');
  // §1.1: only the JWS Compact Serialization; five parts would be a JWE, which carries no signature.
  if (parts.length !== 3)
    throw malformed(`a ${options.what} must be a JWS in compact serialization`);
  const [headerPart = '', payloadPart = '', signaturePart = ''] = parts;
  if (signaturePart.length === 0 || !BASE64URL.test(signaturePart)) {
    throw malformed('the JWS signature is missing or not base64url');
  }
  const decodePart = (part: string, name: string): JsonObject => {
    if (!BASE64URL.test(part)) throw malformed(`the JWS ${name} is not base64url`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(UTF8.decode(Buffer.from(part, 'base64url')));
    } catch (cause) {
      throw malformed(`the JWS ${name} is not UTF-8 JSON`, cause);
    }
    if (!isPlainObject(parsed)) throw malformed(`the JWS ${name} is not a JSON object`);
    if (exceedsJsonDepth(parsed, CORE_LIMITS.maxJsonDepth)) {
      throw malformed(`the JWS ${name} nests deeper than ${CORE_LIMITS.maxJsonDepth} levels`);
    }
    return parsed;
  };
  return {
    jwt,
    header: decodePart(headerPart, 'header'),
    payload: decodePart(payloadPart, 'payload'),
  };
}

/** Decodes and checks the parts of a compact JWS; see {@link JwsDecodeOptions}. */
export function decodeJws(
  jwt: unknown,
  options: JwsDecodeOptions,
): { jwt: string; header: JwsHeader; payload: JsonObject } {
  const fail = failureOf(options);
  const { jwt: compact, header, payload } = decodeJwsParts(jwt, options);

  const typ = getOwn(header, 'typ');
  if (options.typ !== 'any' && (typeof typ !== 'string' || !options.typ.includes(typ))) {
    const expected = options.typ.map((value) => `"${value}"`).join(' or ');
    throw fail(
      'typ_invalid',
      typ === undefined
        ? `the "typ" header is missing; it must be ${expected}`
        : `the "typ" header is ${JSON.stringify(typ)}; it must be ${expected}`,
      { claim: 'typ' },
    );
  }
  const alg = getOwn(header, 'alg');
  const allowed = options.allowedAlgorithms ?? DEFAULT_SIGNING_ALGORITHMS;
  if (typeof alg !== 'string' || FORBIDDEN_ALGORITHM_PATTERN.test(alg) || !allowed.includes(alg)) {
    throw fail('alg_not_allowed', `the algorithm ${JSON.stringify(alg)} is not accepted`, {
      claim: 'alg',
    });
  }
  const kid = getOwn(header, 'kid');
  if (!isNonEmptyString(kid)) {
    throw fail('kid_missing', 'the "kid" header is required and must be a non-empty string', {
      claim: 'kid',
    });
  }
  for (const parameter of options.forbiddenHeaders ?? []) {
    if (getOwn(header, parameter) !== undefined) {
      throw fail(
        'header_not_allowed',
        `the "${parameter}" header parameter is not allowed on a ${options.what}`,
        {
          claim: parameter,
        },
      );
    }
  }
  // RFC 7515 §4.1.11: no JWS extension is implemented, so any critical header is not understood.
  if (getOwn(header, 'crit') !== undefined) {
    throw fail(
      'crit_not_understood',
      'the JWS "crit" header names extensions that are not understood',
      {
        claim: 'crit',
      },
    );
  }
  return {
    jwt: compact,
    header: { ...header, typ: typeof typ === 'string' ? typ : '', alg, kid },
    payload,
  };
}
