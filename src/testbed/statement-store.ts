/**
 * The signed statements of a running testbed, with the faults currently in force. Each statement
 * is signed once and kept, so that serving is a map lookup (benchmarks hammer the server); it is
 * signed again when its faults or keys change, on `clear()`, or once half its lifetime has passed
 * on the testbed's clock (as a real entity would republish before `exp`, §10.2).
 */
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
import type { FaultTarget, StatementFaults, TopologyEntity } from './topology.js';
import {
  DEFAULT_LIFETIME_SECONDS,
  pairKey,
  validateFaults,
  type TopologyIndex,
} from './topology-index.js';

/** A signed statement ready to serve. */
export interface SignedStatement {
  /** The compact JWS. */
  readonly jwt: string;
  /** The JWS as response bytes, encoded once. */
  readonly body: Buffer;
}

interface CacheEntry {
  readonly statement: Promise<SignedStatement>;
  /** Testbed time (seconds) from which the statement is signed again. */
  readonly refreshAt: number;
}

const configurationKey = (name: string): string => `ec\u0000${name}`;
const subordinateKey = (issuer: string, subject: string): string =>
  `ss\u0000${pairKey(issuer, subject)}`;

/** Statements and faults of one testbed. */
export class StatementStore {
  readonly #index: TopologyIndex;
  readonly #keys: KeyRing;
  readonly #urls: EntityUrls;
  readonly #now: () => number;
  readonly #cache = new Map<string, CacheEntry>();
  readonly #entityFaults = new Map<string, StatementFaults>();
  readonly #subordinateFaults = new Map<string, StatementFaults>();

  /** Starts with the faults written in the topology. */
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

  /** Drops every statement signed by `name` or carrying its keys (after a key rotation). */
  invalidateEntity(name: string): void {
    this.#cache.delete(configurationKey(name));
    for (const subject of this.subordinatesOf(name)) {
      this.#cache.delete(subordinateKey(name, subject));
    }
    for (const [issuer, subjects] of this.#index.subordinatesOf) {
      if (subjects.includes(name)) this.#cache.delete(subordinateKey(issuer, name));
    }
  }

  /** Drops every signed statement; the next request signs anew with a fresh `iat`/`exp`. */
  clear(): void {
    this.#cache.clear();
  }

  /** The Entity Configuration of `name` as served (signature faults applied). */
  entityConfiguration(name: string): Promise<SignedStatement> {
    const entity = this.entity(name);
    return this.#cached(configurationKey(name), entity, () => this.#signConfiguration(entity));
  }

  /** The Subordinate Statement by `issuer` about `subject` as served. */
  subordinateStatement(issuer: string, subject: string): Promise<SignedStatement> {
    this.#assertPair(issuer, subject);
    return this.#cached(subordinateKey(issuer, subject), this.entity(issuer), () =>
      this.#signSubordinate(issuer, subject),
    );
  }

  #cached(
    key: string,
    signer: TopologyEntity,
    sign: () => Promise<SignedStatement>,
  ): Promise<SignedStatement> {
    const now = this.#now();
    const hit = this.#cache.get(key);
    if (hit !== undefined && now < hit.refreshAt) return hit.statement;
    const lifetime = signer.lifetimeSeconds ?? DEFAULT_LIFETIME_SECONDS;
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
    const claims = buildEntityConfigurationClaims({
      entityId,
      jwks: this.#keys.publicJwks(entity.name),
      times: statementTimes(
        this.#now(),
        entity.lifetimeSeconds ?? DEFAULT_LIFETIME_SECONDS,
        faults,
      ),
      authorityHints: (entity.authorityHints ?? []).map((name) => this.#urls.entityId(name)),
      metadata: fillPlaceholders(entity.metadata, values),
      endpoints: hasSubordinates
        ? {
            fetch: this.#urls.fetchEndpoint(entity.name),
            list: this.#urls.listEndpoint(entity.name),
          }
        : undefined,
    });
    return this.#sign(claims, entity.name, faults, values);
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
