/**
 * Claims and signatures of the trust marks a testbed serves (§7): the mark JWT, its delegation
 * (§7.2.1), the `trust_marks` entry of the holder's Entity Configuration (§3.1.2) and the Trust
 * Mark Status response (§8.4.2), faults included. Pure apart from signing: the caller supplies
 * the time, the keys and the identifiers.
 */
import { JWT_TYPES } from '../federation/constants.js';
import { signJwt, type SigningKey } from './keys.js';
import { mergeClaims, TIME_FAULT_OFFSET_SECONDS } from './statement-builder.js';
import type { TrustMarkFaults, TrustMarkStatusFaults, TrustMarkStatusValue } from './topology.js';
import { DEFAULT_LIFETIME_SECONDS } from './topology-index.js';

/** The claim that names a trust mark's type (§7.1; docs/decisions.md for the draft names). */
export type TrustMarkTypeClaim = 'trust_mark_type' | 'id' | 'trust_mark_id';

/** `iat` and, unless the mark never expires, `exp` of a trust mark or delegation. */
export interface TrustMarkTimes {
  readonly iat: number;
  readonly exp: number | undefined;
}

/**
 * §7.3 steps 5, 6: a window starting now, or one moved out of reach by a time fault. `lifetime`
 * `null` means no `exp` (§7.1), except for `expired`, which needs one: then the default lifetime
 * is used to place `iat`.
 */
export function trustMarkTimes(
  now: number,
  lifetime: number | null,
  faults: { readonly expired?: boolean; readonly notYetValid?: boolean } | undefined,
): TrustMarkTimes {
  const base = Math.floor(now);
  if (faults?.expired === true) {
    const exp = base - TIME_FAULT_OFFSET_SECONDS;
    return { iat: exp - (lifetime ?? DEFAULT_LIFETIME_SECONDS), exp };
  }
  const iat = faults?.notYetValid === true ? base + TIME_FAULT_OFFSET_SECONDS : base;
  return { iat, exp: lifetime === null ? undefined : iat + lifetime };
}

/** What a delegation says (§7.2.1). */
export interface DelegationContent {
  /** The trust mark owner's Entity Identifier. */
  readonly ownerId: string;
  /** The delegated issuer's Entity Identifier. */
  readonly issuerId: string;
  readonly trustMarkType: string;
  readonly times: TrustMarkTimes;
}

/** Claims of a delegation JWT (§7.2.1): `iss` the owner, `sub` the issuer. */
export function buildDelegationClaims(content: DelegationContent): Record<string, unknown> {
  return {
    iss: content.ownerId,
    sub: content.issuerId,
    trust_mark_type: content.trustMarkType,
    iat: content.times.iat,
    ...(content.times.exp === undefined ? {} : { exp: content.times.exp }),
  };
}

/** What a trust mark says (§7.1). */
export interface TrustMarkContent {
  readonly issuerId: string;
  readonly subjectId: string;
  readonly trustMarkType: string;
  /** `trust_mark_type`, or a draft name as a fault. */
  readonly typeClaim: TrustMarkTypeClaim;
  readonly times: TrustMarkTimes;
  /** The signed delegation JWT, when the type has an owner (§7.2.1). */
  readonly delegation: string | undefined;
  /** Claims merged over the generated ones; `undefined` values remove. */
  readonly extra: Readonly<Record<string, unknown>> | undefined;
}

/** Claims of a trust mark JWT (§7.1), with the extra claims merged over them. */
export function buildTrustMarkClaims(content: TrustMarkContent): Record<string, unknown> {
  return mergeClaims(
    {
      iss: content.issuerId,
      sub: content.subjectId,
      [content.typeClaim]: content.trustMarkType,
      iat: content.times.iat,
      ...(content.times.exp === undefined ? {} : { exp: content.times.exp }),
      ...(content.delegation === undefined ? {} : { delegation: content.delegation }),
    },
    content.extra,
  );
}

/** The entry of a holder's `trust_marks` claim (§3.1.2), under the same type claim name. */
export function buildTrustMarkEntry(
  typeClaim: TrustMarkTypeClaim,
  trustMarkType: string,
  trustMark: string,
): Record<string, string> {
  return { [typeClaim]: trustMarkType, trust_mark: trustMark };
}

/** The type claim name a mark's faults ask for. */
export function trustMarkTypeClaim(faults: TrustMarkFaults | undefined): TrustMarkTypeClaim {
  return faults?.legacyClaimName ?? 'trust_mark_type';
}

/** Claims of a Trust Mark Status response (§8.4.2): `iss`, `iat`, the echoed mark, `status`. */
export function buildTrustMarkStatusClaims(
  issuerId: string,
  now: number,
  trustMark: string,
  status: TrustMarkStatusValue,
): Record<string, unknown> {
  return { iss: issuerId, iat: Math.floor(now), trust_mark: trustMark, status };
}

/** Where signature faults get their keys from (an unattested key under the given `kid`). */
export type RogueKey = (alg: string, kid: string) => Promise<SigningKey>;

/** The JWS header members of one signed trust mark JWT: explicit `typ`, possibly overridden. */
function typHeader(typ: string, override: string | null | undefined): Record<string, unknown> {
  // A `null` override becomes `undefined`, which signJwt leaves out of the header.
  return { typ: override === undefined ? typ : (override ?? undefined) };
}

/**
 * Signs a trust mark JWT (§7.1: `typ` `trust-mark+jwt`, `kid` REQUIRED) with the issuer's key,
 * or with a rogue key under the same `kid` for `wrongKey`.
 */
export async function signTrustMark(
  claims: Readonly<Record<string, unknown>>,
  key: SigningKey,
  faults: TrustMarkFaults | undefined,
  rogueKey: RogueKey,
): Promise<string> {
  const signer = faults?.wrongKey === true ? await rogueKey(key.alg, key.kid) : key;
  return signJwt({ ...claims }, signer, typHeader(JWT_TYPES.trustMark, faults?.typ));
}

/**
 * Signs a delegation JWT (§7.2.1: `typ` `trust-mark-delegation+jwt`, `kid` REQUIRED) with the
 * owner's key, or with a rogue key under the owner's `kid` for `delegationWrongKey`.
 */
export async function signDelegation(
  claims: Readonly<Record<string, unknown>>,
  key: SigningKey,
  faults: TrustMarkFaults | undefined,
  rogueKey: RogueKey,
): Promise<string> {
  const signer = faults?.delegationWrongKey === true ? await rogueKey(key.alg, key.kid) : key;
  return signJwt({ ...claims }, signer, { typ: JWT_TYPES.trustMarkDelegation });
}

/**
 * Signs a Trust Mark Status response (§8.4.2: `typ` `trust-mark-status-response+jwt`, `kid`
 * REQUIRED, a Federation Entity Key of the issuer), applying `wrongKey` and `typ`.
 */
export async function signTrustMarkStatus(
  claims: Readonly<Record<string, unknown>>,
  key: SigningKey,
  faults: TrustMarkStatusFaults | undefined,
  rogueKey: RogueKey,
): Promise<string> {
  const signer = faults?.wrongKey === true ? await rogueKey(key.alg, key.kid) : key;
  return signJwt({ ...claims }, signer, typHeader(JWT_TYPES.trustMarkStatusResponse, faults?.typ));
}
