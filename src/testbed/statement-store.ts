/**
 * The signed statements of a running testbed, with the faults currently in force. Each statement
 * is signed once and kept, so that serving is a map lookup (benchmarks hammer the server); it is
 * signed again when its faults or keys change, on `clear()`, or once half its lifetime has passed
 * on the testbed's clock (as a real entity would republish before `exp`, §10.2).
 *
 * Trust marks (§7) are part of their holder's Entity Configuration, so they are signed with it,
 * and signed again with it: when the mark's faults change, when the issuer's or owner's keys
 * change, and before the mark itself is half-way to its `exp`. The store remembers every mark it
 * signed, so that the issuer's status endpoint (§8.4) can tell its own marks from others; status
 * responses are signed per request, with a fresh `iat`.
 */
import type { Metadata } from '../federation/metadata-policy/types.js';
import type { JwkSet } from '../federation/types.js';
import type { EntityUrls } from './entity-urls.js';
import type { KeyRing } from './key-ring.js';
import { fillPlaceholders, type PlaceholderValues } from './placeholders.js';
import {
  buildEntityConfigurationClaims,
  buildSubordinateStatementClaims,
  mergeClaims,
  signStatement,
  statementTimes,
} from './statement-builder.js';
import type {
  FaultTarget,
  StatementFaults,
  TopologyEntity,
  TrustMarkFaults,
  TrustMarkSpec,
  TrustMarkStatus,
  TrustMarkStatusFaults,
} from './topology.js';
import {
  DEFAULT_LIFETIME_SECONDS,
  pairKey,
  validateFaults,
  validateTrustMarkFaults,
  validateTrustMarkStatus,
  validateMetadata,
  validateTrustMarkStatusFaults,
  type TopologyIndex,
} from './topology-index.js';
import {
  buildDelegationClaims,
  buildTrustMarkClaims,
  buildTrustMarkEntry,
  buildTrustMarkStatusClaims,
  signDelegation,
  signTrustMark,
  signTrustMarkStatus,
  trustMarkTimes,
  trustMarkTypeClaim,
} from './trust-mark-builder.js';

/** A signed statement ready to serve. */
export interface SignedStatement {
  /** The compact JWS. */
  readonly jwt: string;
  /** The JWS as response bytes, encoded once. */
  readonly body: Buffer;
  /** For an Entity Configuration: its trust mark JWTs, by the topology's `type` of each mark. */
  readonly trustMarks?: ReadonlyMap<string, string>;
}

/** What the issuer's Trust Mark Status endpoint answers (§8.4.2). */
export type TrustMarkStatusAnswer =
  /** Not a mark this issuer issued: HTTP 404. */
  | { readonly kind: 'unknown' }
  /** An HTTP error status the test asked for. */
  | {
      readonly kind: 'error';
      readonly status: number;
      readonly delayMs: number;
      readonly subjectId: string;
    }
  /** The signed status response. */
  | {
      readonly kind: 'signed';
      readonly jwt: string;
      readonly delayMs: number;
      readonly subjectId: string;
    };

/** A trust mark the store signed: whose it is and what it is about. */
interface IssuedTrustMark {
  readonly holder: string;
  /** The mark's `type` as written in the topology. */
  readonly type: string;
  readonly issuer: string;
  /** Entity Identifier in its `sub` claim. */
  readonly subjectId: string;
}

/** What the status endpoint says about one mark, and how it misbehaves. */
interface StatusSetting {
  readonly status: TrustMarkStatus;
  readonly faults: TrustMarkStatusFaults | undefined;
}

/** Most signed marks remembered for the status endpoint; the oldest are forgotten first. */
const MAX_REMEMBERED_TRUST_MARKS = 10_000;

interface CacheEntry {
  readonly statement: Promise<SignedStatement>;
  /** Testbed time (seconds) from which the statement is signed again. */
  readonly refreshAt: number;
}

const configurationKey = (name: string): string => `ec\u0000${name}`;
const subordinateKey = (issuer: string, subject: string): string =>
  `ss\u0000${pairKey(issuer, subject)}`;
const markKey = (holder: string, type: string): string => `${holder}\u0000${type}`;

/** Statements and faults of one testbed. */
export class StatementStore {
  readonly #index: TopologyIndex;
  readonly #keys: KeyRing;
  readonly #urls: EntityUrls;
  readonly #now: () => number;
  readonly #cache = new Map<string, CacheEntry>();
  readonly #entityFaults = new Map<string, StatementFaults>();
  readonly #subordinateFaults = new Map<string, StatementFaults>();
  readonly #trustMarkFaults = new Map<string, TrustMarkFaults>();
  readonly #trustMarkStatus = new Map<string, StatusSetting>();
  /** Metadata set at run time, in place of the topology's. */
  readonly #metadata = new Map<string, Metadata>();
  /** Every trust mark JWT signed, in signing order (bounded). */
  readonly #issuedTrustMarks = new Map<string, IssuedTrustMark>();

  /** Starts with the faults and trust mark statuses written in the topology. */
  constructor(index: TopologyIndex, keys: KeyRing, urls: EntityUrls, now: () => number) {
    this.#index = index;
    this.#keys = keys;
    this.#urls = urls;
    this.#now = now;
    for (const entity of index.entities.values()) {
      if (entity.faults !== undefined) this.#entityFaults.set(entity.name, entity.faults);
    }
    for (const [key, spec] of index.subordinateSpecs) {
      if (spec.faults !== undefined) this.#subordinateFaults.set(key, spec.faults);
    }
    for (const entity of index.entities.values()) {
      for (const mark of entity.trustMarks ?? []) {
        const key = markKey(entity.name, mark.type);
        if (mark.faults !== undefined) this.#trustMarkFaults.set(key, mark.faults);
        if (mark.status !== undefined || mark.statusFaults !== undefined) {
          this.#trustMarkStatus.set(key, {
            status: mark.status ?? 'active',
            faults: mark.statusFaults,
          });
        }
      }
    }
  }

  /** The entity called `name`; throws for an unknown name. */
  entity(name: string): TopologyEntity {
    const entity = this.#index.entities.get(name);
    if (entity === undefined) throw new Error(`testbed: no entity named "${name}"`);
    return entity;
  }

  /** True when `issuer` issues a Subordinate Statement about `subject`. */
  isSubordinate(issuer: string, subject: string): boolean {
    return this.#index.subordinatesOf.get(issuer)?.includes(subject) === true;
  }

  /** Names of the Immediate Subordinates of `name`. */
  subordinatesOf(name: string): readonly string[] {
    return this.#index.subordinatesOf.get(name) ?? [];
  }

  #assertPair(issuer: string, subject: string): void {
    this.entity(issuer);
    this.entity(subject);
    if (!this.isSubordinate(issuer, subject)) {
      throw new Error(`testbed: "${issuer}" is not an authority hint of "${subject}"`);
    }
  }

  /** The faults in force for `target`. */
  faults(target: FaultTarget): StatementFaults | undefined {
    if ('entity' in target) return this.#entityFaults.get(target.entity);
    return this.#subordinateFaults.get(pairKey(target.issuer, target.subject));
  }

  /** Replaces the faults of `target` (`undefined` clears them) and drops its signed statement. */
  setFaults(target: FaultTarget, faults: StatementFaults | undefined): void {
    if ('entity' in target) {
      this.entity(target.entity);
      validateFaults(faults, `entity "${target.entity}"`);
      if (faults === undefined) this.#entityFaults.delete(target.entity);
      else this.#entityFaults.set(target.entity, faults);
      this.#cache.delete(configurationKey(target.entity));
      return;
    }
    const { issuer, subject } = target;
    this.#assertPair(issuer, subject);
    validateFaults(faults, `subordinate "${issuer}" → "${subject}"`);
    const key = pairKey(issuer, subject);
    if (faults === undefined) this.#subordinateFaults.delete(key);
    else this.#subordinateFaults.set(key, faults);
    this.#cache.delete(subordinateKey(issuer, subject));
  }

  /** The metadata of `name`'s Entity Configuration: set at run time, or the topology's. */
  metadataOf(name: string): Metadata | undefined {
    return this.#metadata.get(name) ?? this.entity(name).metadata;
  }

  /**
   * Replaces the metadata of `name`'s Entity Configuration (`undefined`: back to the
   * topology's) and drops its signed configuration, so the next request serves the new one.
   */
  setMetadata(name: string, metadata: Metadata | undefined): void {
    this.entity(name);
    if (metadata === undefined) {
      this.#metadata.delete(name);
    } else {
      validateMetadata(metadata, new Set(this.#index.entities.keys()), `entity "${name}"`);
      // A copy: a test changing its object afterwards must not change what is served.
      this.#metadata.set(name, structuredClone(metadata));
    }
    this.#cache.delete(configurationKey(name));
  }

  /** Drops every statement signed by `name` or carrying its keys (after a key rotation). */
  invalidateEntity(name: string): void {
    this.#cache.delete(configurationKey(name));
    for (const subject of this.subordinatesOf(name)) {
      this.#cache.delete(subordinateKey(name, subject));
    }
    for (const [issuer, subjects] of this.#index.subordinatesOf) {
      if (subjects.includes(name)) this.#cache.delete(subordinateKey(issuer, name));
    }
    // Marks it issued or delegated, and trust_mark_owners carrying its jwks (§7.2).
    for (const holder of this.#index.trustMarkDependents.get(name) ?? []) {
      this.#cache.delete(configurationKey(holder));
    }
  }

  /** True when `name` issues trust marks, so it serves a status endpoint (§8.4). */
  issuesTrustMarks(name: string): boolean {
    return this.#index.trustMarkIssuers.has(name);
  }

  /** The `trust_mark_type` of one of `holder`'s marks as published (placeholders filled). */
  trustMarkTypeOf(holder: string, type: string): string {
    return fillPlaceholders(type, this.#placeholders(this.#urls.entityId(holder)));
  }

  /**
   * The mark `holder` holds of `type`, given as written in the topology or with its placeholders
   * filled; throws when it holds none.
   */
  trustMarkSpec(holder: string, type: string): TrustMarkSpec {
    const marks = this.entity(holder).trustMarks ?? [];
    const values = this.#placeholders(this.#urls.entityId(holder));
    const wanted = fillPlaceholders(type, values);
    const spec =
      marks.find((mark) => mark.type === type) ??
      marks.find((mark) => fillPlaceholders(mark.type, values) === wanted);
    if (spec === undefined) {
      throw new Error(`testbed: "${holder}" holds no trust mark of type "${type}"`);
    }
    return spec;
  }

  /** Replaces the faults of one trust mark (`undefined` clears them); its holder is re-signed. */
  setTrustMarkFaults(holder: string, type: string, faults: TrustMarkFaults | undefined): void {
    const spec = this.trustMarkSpec(holder, type);
    validateTrustMarkFaults(
      faults,
      new Set(this.#index.entities.keys()),
      `entity "${holder}", trust mark "${spec.type}"`,
    );
    const key = markKey(holder, spec.type);
    if (faults === undefined) this.#trustMarkFaults.delete(key);
    else this.#trustMarkFaults.set(key, faults);
    this.#cache.delete(configurationKey(holder));
  }

  /** Sets what the issuer's status endpoint answers about one mark, and its response faults. */
  setTrustMarkStatus(
    holder: string,
    type: string,
    status: TrustMarkStatus,
    faults: TrustMarkStatusFaults | undefined,
  ): void {
    const spec = this.trustMarkSpec(holder, type);
    const where = `entity "${holder}", trust mark "${spec.type}"`;
    validateTrustMarkStatus(status, where);
    validateTrustMarkStatusFaults(faults, where);
    // Status responses are signed per request: nothing cached to drop.
    this.#trustMarkStatus.set(markKey(holder, spec.type), { status, faults });
  }

  /** The JWT of the mark `holder` holds of `type`, as its Entity Configuration serves it. */
  async trustMark(holder: string, type: string): Promise<string> {
    const spec = this.trustMarkSpec(holder, type);
    const jwt = (await this.entityConfiguration(holder)).trustMarks?.get(spec.type);
    if (jwt === undefined) throw new Error(`testbed: no signed trust mark "${spec.type}"`);
    return jwt;
  }

  /**
   * What `issuer`'s status endpoint answers about `trustMark` (§8.4): unknown unless this issuer
   * signed exactly this JWT; otherwise the status set for the mark (default `active`).
   */
  async trustMarkStatus(issuer: string, trustMark: string): Promise<TrustMarkStatusAnswer> {
    const mark = this.#issuedTrustMarks.get(trustMark);
    if (mark === undefined || mark.issuer !== issuer) return { kind: 'unknown' };
    const setting = this.#trustMarkStatus.get(markKey(mark.holder, mark.type));
    const status = setting?.status ?? 'active';
    const delayMs = setting?.faults?.delayMs ?? 0;
    const { subjectId } = mark;
    if (typeof status !== 'string') {
      return { kind: 'error', status: status.http, delayMs, subjectId };
    }
    const claims = buildTrustMarkStatusClaims(
      this.#urls.entityId(issuer),
      this.#now(),
      trustMark,
      status,
    );
    const jwt = await signTrustMarkStatus(
      claims,
      this.#keys.keys(issuer).signing,
      setting?.faults,
      (alg, kid) => this.#keys.rogueKey(alg, kid),
    );
    return { kind: 'signed', jwt, delayMs, subjectId };
  }

  /** Drops every signed statement; the next request signs anew with a fresh `iat`/`exp`. */
  clear(): void {
    this.#cache.clear();
  }

  /** The Entity Configuration of `name` as served (signature faults applied). */
  entityConfiguration(name: string): Promise<SignedStatement> {
    const entity = this.entity(name);
    // A mark that lives shorter than the configuration is refreshed on its own schedule.
    const lifetime = Math.min(
      this.#entityFaults.get(name)?.lifetimeSeconds ??
        entity.lifetimeSeconds ??
        DEFAULT_LIFETIME_SECONDS,
      ...(entity.trustMarks ?? []).map((mark) =>
        mark.lifetimeSeconds === null
          ? Infinity
          : (mark.lifetimeSeconds ?? DEFAULT_LIFETIME_SECONDS),
      ),
    );
    return this.#cached(configurationKey(name), lifetime, () => this.#signConfiguration(entity));
  }

  /** The Subordinate Statement by `issuer` about `subject` as served. */
  subordinateStatement(issuer: string, subject: string): Promise<SignedStatement> {
    this.#assertPair(issuer, subject);
    const lifetime =
      this.#subordinateFaults.get(pairKey(issuer, subject))?.lifetimeSeconds ??
      this.entity(issuer).lifetimeSeconds ??
      DEFAULT_LIFETIME_SECONDS;
    return this.#cached(subordinateKey(issuer, subject), lifetime, () =>
      this.#signSubordinate(issuer, subject),
    );
  }

  #cached(
    key: string,
    lifetime: number,
    sign: () => Promise<SignedStatement>,
  ): Promise<SignedStatement> {
    const now = this.#now();
    const hit = this.#cache.get(key);
    if (hit !== undefined && now < hit.refreshAt) return hit.statement;
    const statement = sign();
    const entry: CacheEntry = { statement, refreshAt: Math.floor(now) + lifetime / 2 };
    this.#cache.set(key, entry);
    // A failed signing must not stick: the next request tries again.
    statement.catch(() => {
      if (this.#cache.get(key) === entry) this.#cache.delete(key);
    });
    return statement;
  }

  #placeholders(self: string): PlaceholderValues {
    return { self, url: this.#urls.url, entityId: (name) => this.#urls.entityId(name) };
  }

  async #signConfiguration(entity: TopologyEntity): Promise<SignedStatement> {
    const faults = this.#entityFaults.get(entity.name);
    const entityId = this.#urls.entityId(entity.name);
    const values = this.#placeholders(entityId);
    const hasSubordinates = this.subordinatesOf(entity.name).length > 0;
    const marks = await Promise.all(
      (entity.trustMarks ?? []).map((spec) => this.#signTrustMark(entity.name, spec, values)),
    );
    const claims = buildEntityConfigurationClaims({
      entityId,
      jwks: this.#keys.publicJwks(entity.name),
      times: statementTimes(
        this.#now(),
        entity.lifetimeSeconds ?? DEFAULT_LIFETIME_SECONDS,
        faults,
      ),
      authorityHints: (entity.authorityHints ?? []).map((name) => this.#urls.entityId(name)),
      metadata: fillPlaceholders(this.metadataOf(entity.name), values),
      endpoints: hasSubordinates
        ? {
            fetch: this.#urls.fetchEndpoint(entity.name),
            list: this.#urls.listEndpoint(entity.name),
          }
        : undefined,
      trustMarkStatusEndpoint: this.issuesTrustMarks(entity.name)
        ? this.#urls.trustMarkStatusEndpoint(entity.name)
        : undefined,
      trustMarks: marks.length === 0 ? undefined : marks.map((mark) => mark.entry),
      trustMarkIssuers: this.#trustMarkIssuersClaim(entity, values),
      trustMarkOwners: this.#trustMarkOwnersClaim(entity, values),
    });
    if (faults?.constraintsInConfiguration !== undefined) {
      claims['constraints'] = fillPlaceholders(faults.constraintsInConfiguration, values);
    }
    if (faults?.draftTrustMarkClaimNames === true) {
      for (const claim of ['trust_mark_issuers', 'trust_mark_owners'] as const) {
        if (claims[claim] === undefined) continue;
        claims[claim.replace('trust_mark_', 'trust_marks_')] = claims[claim];
        delete claims[claim];
      }
    }
    const signed = await this.#sign(claims, entity.name, faults, values);
    return { ...signed, trustMarks: new Map(marks.map((mark) => [mark.type, mark.jwt])) };
  }

  /** §7.2: `trust_mark_issuers` with types filled in and names turned into identifiers. */
  #trustMarkIssuersClaim(
    entity: TopologyEntity,
    values: PlaceholderValues,
  ): Record<string, string[]> | undefined {
    if (entity.trustMarkIssuers === undefined) return undefined;
    return Object.fromEntries(
      Object.entries(entity.trustMarkIssuers).map(([type, issuers]) => [
        fillPlaceholders(type, values),
        issuers.map((name) => this.#urls.entityId(name)),
      ]),
    );
  }

  /** §7.2: `trust_mark_owners` as `{ sub, jwks }` with the owner's current keys. */
  #trustMarkOwnersClaim(
    entity: TopologyEntity,
    values: PlaceholderValues,
  ): Record<string, { sub: string; jwks: JwkSet }> | undefined {
    if (entity.trustMarkOwners === undefined) return undefined;
    return Object.fromEntries(
      Object.entries(entity.trustMarkOwners).map(([type, owner]) => [
        fillPlaceholders(type, values),
        { sub: this.#urls.entityId(owner), jwks: this.#keys.publicJwks(owner) },
      ]),
    );
  }

  /** Signs one mark of `holder` (and its delegation) and remembers it for the status endpoint. */
  async #signTrustMark(
    holder: string,
    spec: TrustMarkSpec,
    values: PlaceholderValues,
  ): Promise<{ type: string; jwt: string; entry: Record<string, string> }> {
    const faults = this.#trustMarkFaults.get(markKey(holder, spec.type));
    const rogueKey = (alg: string, kid: string) => this.#keys.rogueKey(alg, kid);
    const now = this.#now();
    const trustMarkType = fillPlaceholders(spec.type, values);
    const issuerId = this.#urls.entityId(spec.issuer);
    const lifetime =
      spec.lifetimeSeconds === undefined ? DEFAULT_LIFETIME_SECONDS : spec.lifetimeSeconds;
    let delegation: string | undefined;
    if (spec.delegatedBy !== undefined) {
      const times = trustMarkTimes(
        now,
        lifetime,
        faults?.delegationExpired === true ? { expired: true } : undefined,
      );
      delegation = await signDelegation(
        buildDelegationClaims({
          ownerId: this.#urls.entityId(spec.delegatedBy),
          issuerId,
          trustMarkType,
          times,
        }),
        this.#keys.keys(spec.delegatedBy).signing,
        faults,
        rogueKey,
      );
    }
    const typeClaim = trustMarkTypeClaim(faults);
    const subjectId = this.#urls.entityId(faults?.sub ?? holder);
    const claims = buildTrustMarkClaims({
      issuerId,
      subjectId,
      trustMarkType,
      typeClaim,
      times: trustMarkTimes(now, lifetime, faults),
      delegation,
      extra: fillPlaceholders(spec.claims, values),
    });
    const jwt = await signTrustMark(claims, this.#keys.keys(spec.issuer).signing, faults, rogueKey);
    this.#rememberTrustMark(jwt, { holder, type: spec.type, issuer: spec.issuer, subjectId });
    const outerType =
      faults?.outerType === undefined ? trustMarkType : fillPlaceholders(faults.outerType, values);
    return { type: spec.type, jwt, entry: buildTrustMarkEntry(typeClaim, outerType, jwt) };
  }

  /** The `trust_marks` entries of `holder`'s current Entity Configuration. */
  async #trustMarkEntries(holder: string): Promise<unknown[]> {
    const { jwt } = await this.entityConfiguration(holder);
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8'));
    const entries = (payload as { trust_marks?: unknown }).trust_marks;
    return Array.isArray(entries) ? entries : [];
  }

  #rememberTrustMark(jwt: string, mark: IssuedTrustMark): void {
    this.#issuedTrustMarks.delete(jwt);
    this.#issuedTrustMarks.set(jwt, mark);
    if (this.#issuedTrustMarks.size > MAX_REMEMBERED_TRUST_MARKS) {
      const oldest = this.#issuedTrustMarks.keys().next();
      if (oldest.done !== true) this.#issuedTrustMarks.delete(oldest.value);
    }
  }

  async #signSubordinate(issuer: string, subject: string): Promise<SignedStatement> {
    const key = pairKey(issuer, subject);
    const faults = this.#subordinateFaults.get(key);
    const spec = this.#index.subordinateSpecs.get(key);
    const subjectId = this.#urls.entityId(subject);
    const values = this.#placeholders(subjectId);
    const extra: Record<string, unknown> = {};
    if (spec?.metadata !== undefined) extra['metadata'] = spec.metadata;
    if (spec?.metadata_policy !== undefined) extra['metadata_policy'] = spec.metadata_policy;
    if (spec?.metadata_policy_crit !== undefined) {
      extra['metadata_policy_crit'] = spec.metadata_policy_crit;
    }
    if (spec?.constraints !== undefined) extra['constraints'] = spec.constraints;
    const claims = buildSubordinateStatementClaims({
      issuerId: this.#urls.entityId(issuer),
      subjectId,
      jwks: this.#keys.publicJwks(subject),
      times: statementTimes(
        this.#now(),
        this.entity(issuer).lifetimeSeconds ?? DEFAULT_LIFETIME_SECONDS,
        faults,
      ),
      sourceEndpoint: this.#urls.fetchEndpoint(issuer),
      extra: fillPlaceholders(extra, values),
    });
    if (faults?.trustMarksInSubordinateStatement === true) {
      claims['trust_marks'] = await this.#trustMarkEntries(subject);
    }
    return this.#sign(claims, issuer, faults, values);
  }

  async #sign(
    claims: Record<string, unknown>,
    signer: string,
    faults: StatementFaults | undefined,
    values: PlaceholderValues,
  ): Promise<SignedStatement> {
    const merged = mergeClaims(claims, fillPlaceholders(faults?.claims, values));
    const jwt = await signStatement(merged, this.#keys.keys(signer).signing, faults, (alg, kid) =>
      this.#keys.rogueKey(alg, kid),
    );
    return { jwt, body: Buffer.from(jwt, 'utf8') };
  }
}
