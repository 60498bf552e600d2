/**
 * Claims and signatures of the statements a testbed serves, faults included. Pure apart from
 * signing: the caller supplies the time, the keys and the URLs.
 */
import { FEDERATION_ENTITY } from '../federation/constants.js';
import type { Metadata } from '../federation/metadata-policy/types.js';
import type { JwkSet } from '../federation/types.js';
import { signJwt, type SigningKey } from './keys.js';
import type { StatementFaults } from './topology.js';

/** How far in the past or future a time fault moves a statement, in seconds (beyond any skew). */
export const TIME_FAULT_OFFSET_SECONDS = 3600;

/** The extension claim that carries the padding of an oversized statement (§3.1: allowed). */
export const PADDING_CLAIM = 'testbed_padding';

/** `iat` and `exp` of one statement. */
export interface StatementTimes {
  readonly iat: number;
  readonly exp: number;
}

/** §3.2 steps 7, 8: a valid window starting now, or one moved out of reach by a time fault. */
export function statementTimes(
  now: number,
  lifetimeSeconds: number,
  faults: StatementFaults | undefined,
): StatementTimes {
  const base = Math.floor(now);
  lifetimeSeconds = faults?.lifetimeSeconds ?? lifetimeSeconds;
  if (faults?.expired === true) {
    const exp = base - TIME_FAULT_OFFSET_SECONDS;
    return { iat: exp - lifetimeSeconds, exp };
  }
  if (faults?.notYetValid === true) {
    const iat = base + TIME_FAULT_OFFSET_SECONDS;
    return { iat, exp: iat + lifetimeSeconds };
  }
  return { iat: base, exp: base + lifetimeSeconds };
}

/** `claims` with `overrides` merged over them; an override whose value is `undefined` removes. */
export function mergeClaims(
  claims: Readonly<Record<string, unknown>>,
  overrides: Readonly<Record<string, unknown>> | undefined,
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...claims };
  for (const [name, value] of Object.entries(overrides ?? {})) {
    if (value === undefined) delete merged[name];
    else merged[name] = value;
  }
  return merged;
}

/** What an Entity Configuration says. */
export interface EntityConfigurationContent {
  readonly entityId: string;
  readonly jwks: JwkSet;
  readonly times: StatementTimes;
  /** Entity Identifiers of its superiors; empty for a Trust Anchor. */
  readonly authorityHints: readonly string[];
  readonly metadata: Metadata | undefined;
  /** Its endpoints, when it has subordinates (§9: TAs and Intermediates MUST publish them). */
  readonly endpoints: { readonly fetch: string; readonly list: string } | undefined;
  /** Its Trust Mark Status endpoint, when it issues trust marks (§5.1.1: issuers SHOULD). */
  readonly trustMarkStatusEndpoint?: string | undefined;
  /** Entries of its `trust_marks` claim (§3.1.2). */
  readonly trustMarks?: readonly Readonly<Record<string, string>>[] | undefined;
  /** Its `trust_mark_issuers` claim (§7.2). */
  readonly trustMarkIssuers?: Readonly<Record<string, readonly string[]>> | undefined;
  /** Its `trust_mark_owners` claim (§7.2). */
  readonly trustMarkOwners?: Readonly<Record<string, { sub: string; jwks: JwkSet }>> | undefined;
}

/**
 * Claims of an Entity Configuration (§3.1.1): `iss` == `sub`, its own `jwks`, `authority_hints`
 * unless it is a Trust Anchor (§3.1.1: MUST NOT appear there), its metadata with the federation
 * endpoints added, and its trust mark claims (§3.1.2). Endpoints given explicitly in the topology
 * win, so a test can advertise a wrong one.
 */
export function buildEntityConfigurationClaims(
  content: EntityConfigurationContent,
): Record<string, unknown> {
  let metadata = content.metadata;
  const endpoints: Record<string, string> = {};
  if (content.endpoints !== undefined) {
    endpoints['federation_fetch_endpoint'] = content.endpoints.fetch;
    endpoints['federation_list_endpoint'] = content.endpoints.list;
  }
  if (content.trustMarkStatusEndpoint !== undefined) {
    endpoints['federation_trust_mark_status_endpoint'] = content.trustMarkStatusEndpoint;
  }
  if (Object.keys(endpoints).length > 0) {
    // §5.1.1: whoever publishes these declares the federation_entity type.
    metadata = {
      ...metadata,
      [FEDERATION_ENTITY]: { ...endpoints, ...metadata?.[FEDERATION_ENTITY] },
    };
  }
  return {
    iss: content.entityId,
    sub: content.entityId,
    iat: content.times.iat,
    exp: content.times.exp,
    jwks: content.jwks,
    ...(content.authorityHints.length > 0 ? { authority_hints: content.authorityHints } : {}),
    ...(metadata === undefined ? {} : { metadata }),
    ...(content.trustMarks === undefined ? {} : { trust_marks: content.trustMarks }),
    ...(content.trustMarkIssuers === undefined
      ? {}
      : { trust_mark_issuers: content.trustMarkIssuers }),
    ...(content.trustMarkOwners === undefined
      ? {}
      : { trust_mark_owners: content.trustMarkOwners }),
  };
}

/** What a Subordinate Statement says. */
export interface SubordinateStatementContent {
  readonly issuerId: string;
  readonly subjectId: string;
  /** The subject's keys as attested by the issuer (§3.1.3). */
  readonly jwks: JwkSet;
  readonly times: StatementTimes;
  /** The issuer's fetch endpoint (§3.1.3 `source_endpoint`). */
  readonly sourceEndpoint: string;
  /** `metadata`, `metadata_policy`, `metadata_policy_crit`, `constraints`, when given. */
  readonly extra: Readonly<Record<string, unknown>>;
}

/** Claims of a Subordinate Statement (§3.1.3, §8.1). */
export function buildSubordinateStatementClaims(
  content: SubordinateStatementContent,
): Record<string, unknown> {
  return {
    iss: content.issuerId,
    sub: content.subjectId,
    iat: content.times.iat,
    exp: content.times.exp,
    jwks: content.jwks,
    source_endpoint: content.sourceEndpoint,
    ...content.extra,
  };
}

/** Where signature faults get their keys from. */
export type RogueKeySource = (alg: string, kid: string) => Promise<SigningKey>;

/**
 * Signs `claims` with `key`, applying the signature faults: `wrongKey` (an unattested key under
 * the real `kid`), `unknownKid` (an unattested key under an unpublished `kid`), `typ`, and
 * `oversizedBytes` (padding inside the payload, so the result still verifies).
 */
export async function signStatement(
  claims: Readonly<Record<string, unknown>>,
  key: SigningKey,
  faults: StatementFaults | undefined,
  rogueKey: RogueKeySource,
): Promise<string> {
  let signer = key;
  if (faults?.wrongKey === true) signer = await rogueKey(key.alg, key.kid);
  else if (faults?.unknownKid === true) signer = await rogueKey(key.alg, `${key.kid}-unpublished`);
  const header: Record<string, unknown> = {};
  if (faults?.typ !== undefined) header['typ'] = faults.typ ?? undefined;

  const target = faults?.oversizedBytes ?? 0;
  let jwt = await signJwt({ ...claims }, signer, header);
  let padding = 0;
  while (jwt.length < target) {
    // base64url turns 3 payload bytes into 4 characters; aim a little high and check again.
    padding += Math.ceil(((target - jwt.length) * 3) / 4) + 16;
    jwt = await signJwt({ ...claims, [PADDING_CLAIM]: 'x'.repeat(padding) }, signer, header);
  }
  return jwt;
}
