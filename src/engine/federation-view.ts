/**
 * The resolver's view of a federation, top-down: the members a crawl found under one Trust
 * Anchor, each with its resolution (or why it has none), kept in Entity Identifier order. The
 * Entity Collection endpoint (the Entity Collection extension) and the federation health report
 * are read from it, in memory, without any upstream request.
 */
import { entityConfigurationUrl } from '../federation/entity-id.js';
import type { FailureDetail } from '../federation/errors.js';
import type { EntityTypeMetadata, Metadata } from '../federation/metadata-policy/types.js';
import type { VerifiedTrustMark } from '../federation/trust-marks.js';
import type { ResolvedTrustChain } from '../federation/types.js';
import { failureView } from './failure-view.js';

/** A bound of the crawl that was reached, and what it cut. */
export interface CrawlBound {
  readonly reason:
    | 'crawl_entity_limit'
    | 'crawl_depth_limit'
    | 'crawl_list_limit'
    | 'crawl_time_limit'
    | 'list_entry_invalid';
  readonly message: string;
  /** The entity whose listing was cut, when the bound is about one listing. */
  readonly entity?: string;
}

/** A statement or a trust mark a member depends on, with when it expires. */
export interface Expiry {
  /** The entity the statement describes (its `sub`), or the holder of the mark. */
  readonly entityId: string;
  readonly kind: 'statement' | 'trust_mark';
  readonly url: string;
  readonly exp: number;
}

/** An expiry as the JSON API shows it (the health report, explain's `chosen.expiries`). */
export function expiryView(expiry: Expiry) {
  return { entity_id: expiry.entityId, kind: expiry.kind, url: expiry.url, exp: expiry.exp };
}

/** One member as the view keeps it. */
export type MemberView =
  | {
      readonly entityId: string;
      readonly ok: true;
      readonly entityTypes: readonly string[];
      readonly metadata: Metadata;
      readonly trustMarks: readonly VerifiedTrustMark[];
      readonly expiries: readonly Expiry[];
      /** Lower-case text `query` matches: the identifier and the UI names and keywords. */
      readonly searchText: string;
    }
  | { readonly entityId: string; readonly ok: false; readonly failure: FailureDetail };

/** What one crawl of one anchor found. */
export interface AnchorView {
  readonly trustAnchor: string;
  /** When the crawl that built this view ended (seconds). */
  readonly updatedAt: number;
  /** How long the crawl took (seconds). */
  readonly durationSeconds: number;
  /** Every member found, in code-point order of Entity Identifiers. */
  readonly members: readonly MemberView[];
  /** Position of each member in `members`. */
  readonly index: ReadonlyMap<string, number>;
  readonly bounds: readonly CrawlBound[];
  /** Listings that could not be read, by the entity that publishes them. */
  readonly listFailures: ReadonlyArray<{
    readonly entityId: string;
    readonly failure: FailureDetail;
  }>;
}

/** UI Info parameters the collection copies per Entity Type (with their language variants). */
const UI_CLAIMS = [
  'display_name',
  'description',
  'keywords',
  'logo_uri',
  'policy_uri',
  'information_uri',
] as const;

/** Parameters whose text `query` searches, in every language variant. */
const SEARCHED = ['display_name', 'organization_name', 'description', 'keywords'];

/** When each statement of `chain` and each of `trustMarks` that expires stops being valid. */
export function expiriesOf(
  chain: ResolvedTrustChain,
  trustMarks: readonly VerifiedTrustMark[],
): Expiry[] {
  const expiries: Expiry[] = chain.statements.map((statement) => ({
    entityId: statement.claims.sub,
    kind: 'statement',
    url:
      statement.source ??
      (statement.kind === 'entity_configuration'
        ? entityConfigurationUrl(statement.claims.iss)
        : `${statement.claims.iss} about ${statement.claims.sub}`),
    exp: statement.claims.exp,
  }));
  for (const mark of trustMarks) {
    if (mark.exp !== undefined) {
      expiries.push({
        entityId: chain.subject,
        kind: 'trust_mark',
        url: mark.trust_mark_type,
        exp: mark.exp,
      });
    }
  }
  return expiries;
}

/** A member's view of a resolved chain and its verified marks. */
export function memberOf(
  chain: ResolvedTrustChain,
  trustMarks: readonly VerifiedTrustMark[],
): MemberView {
  const text: string[] = [chain.subject];
  for (const parameters of Object.values(chain.metadata)) {
    for (const [name, value] of Object.entries(parameters)) {
      if (!SEARCHED.includes(name.split('#')[0] ?? '')) continue;
      if (typeof value === 'string') text.push(value);
      else if (Array.isArray(value)) text.push(...value.filter((v) => typeof v === 'string'));
    }
  }
  const expiries = expiriesOf(chain, trustMarks);
  return {
    entityId: chain.subject,
    ok: true,
    entityTypes: Object.keys(chain.metadata).sort(),
    metadata: chain.metadata,
    trustMarks,
    expiries,
    searchText: text.join('\n').toLowerCase(),
  };
}

/** Builds the view of one crawl: members sorted by code point, indexed. */
export function anchorView(
  trustAnchor: string,
  members: readonly MemberView[],
  details: {
    readonly updatedAt: number;
    readonly durationSeconds: number;
    readonly bounds: readonly CrawlBound[];
    readonly listFailures: AnchorView['listFailures'];
  },
): AnchorView {
  // Code-point order (§16 compares identifiers by code points), so pages are stable.
  const sorted = [...members].sort((a, b) =>
    a.entityId < b.entityId ? -1 : a.entityId > b.entityId ? 1 : 0,
  );
  return {
    trustAnchor,
    ...details,
    members: sorted,
    index: new Map(sorted.map((member, position) => [member.entityId, position])),
  };
}

/** The UI Info of one Entity Type: the draft's parameters, with their language variants. */
function uiInfo(metadata: EntityTypeMetadata, entityType: string, wanted: readonly string[]) {
  const info: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(metadata)) {
    const base = name.split('#')[0] ?? name;
    if (!(UI_CLAIMS as readonly string[]).includes(base)) continue;
    if (wanted.length > 0 && !wanted.includes(base)) continue;
    info[name] = value;
  }
  // The draft's fallback for display_name: the client or resource name of the type.
  const fallback =
    entityType === 'openid_relying_party' || entityType === 'oauth_client'
      ? 'client_name'
      : entityType === 'oauth_resource'
        ? 'resource_name'
        : undefined;
  if (
    fallback !== undefined &&
    info['display_name'] === undefined &&
    (wanted.length === 0 || wanted.includes('display_name'))
  ) {
    for (const [name, value] of Object.entries(metadata)) {
      const [base, tag] = name.split('#');
      if (base === fallback)
        info[tag === undefined ? 'display_name' : `display_name#${tag}`] = value;
    }
  }
  return info;
}

/** Entity Info claims the collection can include (`entity_claims`). */
export const ENTITY_CLAIMS = ['entity_id', 'entity_types', 'ui_infos', 'trust_marks'] as const;

/** UI Info claims the collection can include (`ui_claims`). */
export const COLLECTION_UI_CLAIMS = UI_CLAIMS;

/** What a collection request asks for, after its parameters were checked. */
export interface CollectionQuery {
  readonly entityTypes: readonly string[];
  readonly trustMarkTypes: readonly string[];
  readonly query?: string;
  readonly fromEntityId?: string;
  readonly limit: number;
  /** Empty: every claim (trust marks only when asked, see below). */
  readonly entityClaims: readonly string[];
  readonly uiClaims: readonly string[];
}

/** One page of the collection. */
export interface CollectionPage {
  readonly entities: ReadonlyArray<Record<string, unknown>>;
  readonly next_entity_id?: string;
  readonly last_updated: number;
}

/**
 * A page of the Entity Collection of `view`: members with a valid chain, filtered (any of the
 * Entity Types, every one of the Trust Mark types, `query` as a case-insensitive substring of
 * the identifier and the UI names), from `fromEntityId` on, at most `limit`. Returns undefined
 * when `fromEntityId` is not a listed entity.
 */
export function collectionPage(
  view: AnchorView,
  query: CollectionQuery,
): CollectionPage | undefined {
  const needle = query.query?.toLowerCase();
  const matches = (member: MemberView): member is Extract<MemberView, { ok: true }> => {
    if (!member.ok) return false;
    if (
      query.entityTypes.length > 0 &&
      !query.entityTypes.some((type) => member.entityTypes.includes(type))
    ) {
      return false;
    }
    if (
      !query.trustMarkTypes.every((type) =>
        member.trustMarks.some((mark) => mark.trust_mark_type === type),
      )
    ) {
      return false;
    }
    return needle === undefined || member.searchText.includes(needle);
  };
  let start = 0;
  if (query.fromEntityId !== undefined) {
    const position = view.index.get(query.fromEntityId);
    const member = position === undefined ? undefined : view.members[position];
    if (position === undefined || member === undefined || !member.ok) return undefined;
    start = position;
  }
  const claims = query.entityClaims;
  const wants = (claim: string) => claims.length === 0 || claims.includes(claim);
  const entities: Array<Record<string, unknown>> = [];
  let next: string | undefined;
  for (let i = start; i < view.members.length; i++) {
    const member = view.members[i];
    if (member === undefined || !matches(member)) continue;
    if (entities.length === query.limit) {
      next = member.entityId;
      break;
    }
    const entity: Record<string, unknown> = { entity_id: member.entityId };
    if (wants('entity_types')) entity['entity_types'] = member.entityTypes;
    if (wants('ui_infos')) {
      const types =
        query.entityTypes.length === 0
          ? member.entityTypes
          : member.entityTypes.filter(
              (type) => query.entityTypes.includes(type) || type === 'federation_entity',
            );
      const infos: Record<string, unknown> = {};
      for (const type of types) {
        const info = uiInfo(member.metadata[type] ?? {}, type, query.uiClaims);
        if (Object.keys(info).length > 0) infos[type] = info;
      }
      entity['ui_infos'] = infos;
    }
    // Trust marks are heavy (JWTs): included when asked for by name, as the draft allows.
    if (claims.includes('trust_marks')) {
      entity['trust_marks'] = member.trustMarks.map((mark) => ({
        trust_mark_type: mark.trust_mark_type,
        trust_mark: mark.trust_mark,
      }));
    }
    entities.push(entity);
  }
  return {
    entities,
    ...(next === undefined ? {} : { next_entity_id: next }),
    last_updated: Math.floor(view.updatedAt),
  };
}

/** The federation health report of `view` at `now`, with what expires within `horizon`. */
export function healthReport(view: AnchorView, now: number, horizonSeconds: number) {
  const byType: Record<string, number> = {};
  const failures: Array<{ entity_id: string } & ReturnType<typeof failureView>> = [];
  // A superior's statements are in every member's chain: each is reported once.
  const expiring = new Map<string, ReturnType<typeof expiryView>>();
  for (const member of view.members) {
    if (!member.ok) {
      failures.push({ entity_id: member.entityId, ...failureView(member.failure) });
      continue;
    }
    for (const type of member.entityTypes) byType[type] = (byType[type] ?? 0) + 1;
    for (const expiry of member.expiries) {
      const key = `${expiry.kind}\n${expiry.entityId}\n${expiry.url}`;
      if (expiry.exp <= now + horizonSeconds && !expiring.has(key)) {
        expiring.set(key, expiryView(expiry));
      }
    }
  }
  const soonest = [...expiring.values()].sort((a, b) => a.exp - b.exp);
  return {
    trust_anchor: view.trustAnchor,
    checked_at: Math.floor(view.updatedAt),
    crawl_seconds: Math.round(view.durationSeconds * 1000) / 1000,
    members: {
      total: view.members.length,
      resolved: view.members.length - failures.length,
      failed: failures.length,
      by_entity_type: byType,
    },
    failures,
    expiring: soonest,
    list_failures: view.listFailures.map((entry) => ({
      entity_id: entry.entityId,
      ...failureView(entry.failure),
    })),
    bounds: view.bounds.map((bound) => ({
      reason: bound.reason,
      message: bound.message,
      ...(bound.entity === undefined ? {} : { entity_id: bound.entity }),
    })),
  };
}

/** The health report's type. */
export type HealthReport = ReturnType<typeof healthReport>;

/**
 * The whole of one crawl (`fedres crawl --json`): the health report and every member, with its
 * Entity Types or the failure that keeps it out.
 */
export function crawlReport(view: AnchorView, now: number, horizonSeconds: number) {
  return {
    ...healthReport(view, now, horizonSeconds),
    entities: view.members.map((member) =>
      member.ok
        ? { entity_id: member.entityId, entity_types: member.entityTypes }
        : { entity_id: member.entityId, ...failureView(member.failure) },
    ),
  };
}

/** The crawl report's type. */
export type CrawlReport = ReturnType<typeof crawlReport>;
