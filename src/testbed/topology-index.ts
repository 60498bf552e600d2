/**
 * Validation of a {@link Topology} at start, and the lookup tables the server needs. A mistake in
 * a topology is a bug in the test that wrote it, so it fails loudly with a plain `Error` that
 * names the entity, before any port is opened.
 */
import { DEFAULT_SIGNING_ALGORITHMS } from '../federation/constants.js';
import { findPlaceholderNames } from './placeholders.js';
import type {
  StatementFaults,
  SubordinateSpec,
  Topology,
  TopologyEntity,
  TrustMarkFaults,
  TrustMarkSpec,
  TrustMarkStatus,
  TrustMarkStatusFaults,
} from './topology.js';

/** The default signing algorithm of a topology entity. */
export const DEFAULT_ENTITY_ALG = 'ES256';

/** The default lifetime (`exp - iat`) of statements, in seconds. */
export const DEFAULT_LIFETIME_SECONDS = 86_400;

/** A name must be one path segment that needs no percent-encoding (RFC 3986 unreserved). */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,62}$/;

/** Characters Node's HTTP server refuses in a header value (RFC 9110 §5.5 field-value). */
// eslint-disable-next-line no-control-regex
const INVALID_HEADER_CHARACTER = /[^\t\x20-\x7e\x80-\xff]/;

/** A validated topology with its lookup tables. */
export interface TopologyIndex {
  /** Entities by name, in topology order. */
  readonly entities: ReadonlyMap<string, TopologyEntity>;
  /** Names of each entity's Immediate Subordinates, in topology order (empty for leaves). */
  readonly subordinatesOf: ReadonlyMap<string, readonly string[]>;
  /** Extra content of Subordinate Statements, by {@link pairKey}. */
  readonly subordinateSpecs: ReadonlyMap<string, SubordinateSpec>;
  /**
   * Names of the trust mark issuers: entities that issue a mark or are named in some
   * `trustMarkIssuers`. Each serves a Trust Mark Status endpoint (§8.4).
   */
  readonly trustMarkIssuers: ReadonlySet<string>;
  /**
   * For each entity, the names of the entities whose Entity Configuration embeds something
   * signed with its keys or carrying them: holders of marks it issued or delegated, and
   * entities naming it in `trustMarkOwners`. They are signed again when its keys change.
   */
  readonly trustMarkDependents: ReadonlyMap<string, ReadonlySet<string>>;
}

/** The key of the statement `issuer` → `subject` in maps. */
export function pairKey(issuer: string, subject: string): string {
  return `${issuer}\u0000${subject}`;
}

function fail(message: string): never {
  throw new Error(`invalid testbed topology: ${message}`);
}

/** Throws when a fault set cannot be served (bad status, negative sizes or delays). */
export function validateFaults(faults: StatementFaults | undefined, where: string): void {
  if (faults === undefined) return;
  const { status, delayMs, oversizedBytes, redirectTo, contentType } = faults;
  if (status !== undefined && (!Number.isInteger(status) || status < 200 || status > 599)) {
    fail(`${where}: faults.status must be an integer from 200 to 599, got ${String(status)}`);
  }
  if (delayMs !== undefined && (!Number.isFinite(delayMs) || delayMs < 0)) {
    fail(`${where}: faults.delayMs must be a non-negative number`);
  }
  if (oversizedBytes !== undefined && (!Number.isInteger(oversizedBytes) || oversizedBytes < 0)) {
    fail(`${where}: faults.oversizedBytes must be a non-negative integer`);
  }
  const lifetime = faults.lifetimeSeconds;
  if (lifetime !== undefined && (!Number.isInteger(lifetime) || lifetime < 1)) {
    fail(`${where}: faults.lifetimeSeconds must be a positive integer`);
  }
  // Node refuses to write such header values; better to fail here than inside a response.
  for (const [member, value] of [
    ['redirectTo', redirectTo],
    ['contentType', contentType],
  ] as const) {
    if (value !== undefined && INVALID_HEADER_CHARACTER.test(value)) {
      fail(`${where}: faults.${member} holds a character not allowed in an HTTP header`);
    }
  }
}

/** The §8.4.2 status values the testbed can answer with. */
const TRUST_MARK_STATUS_VALUES: ReadonlySet<string> = new Set([
  'active',
  'expired',
  'revoked',
  'invalid',
]);

/** Throws when a trust mark status cannot be served (unknown value, HTTP status out of range). */
export function validateTrustMarkStatus(status: TrustMarkStatus | undefined, where: string): void {
  if (status === undefined) return;
  if (typeof status === 'string') {
    if (!TRUST_MARK_STATUS_VALUES.has(status)) {
      fail(`${where}: status must be active, expired, revoked, invalid or { http }`);
    }
    return;
  }
  const { http } = status;
  if (!Number.isInteger(http) || http < 400 || http > 599) {
    fail(`${where}: status.http must be an integer from 400 to 599, got ${String(http)}`);
  }
}

/** Throws when status response faults cannot be served (negative delay). */
export function validateTrustMarkStatusFaults(
  faults: TrustMarkStatusFaults | undefined,
  where: string,
): void {
  const delayMs = faults?.delayMs;
  if (delayMs !== undefined && (!Number.isFinite(delayMs) || delayMs < 0)) {
    fail(`${where}: statusFaults.delayMs must be a non-negative number`);
  }
}

/** Throws when trust mark faults name an unknown entity or an unknown legacy claim name. */
export function validateTrustMarkFaults(
  faults: TrustMarkFaults | undefined,
  names: ReadonlySet<string>,
  where: string,
): void {
  if (faults === undefined) return;
  if (faults.sub !== undefined && !names.has(faults.sub)) {
    fail(`${where}: faults.sub "${faults.sub}" is not an entity`);
  }
  const legacy = faults.legacyClaimName;
  if (legacy !== undefined && legacy !== 'id' && legacy !== 'trust_mark_id') {
    fail(`${where}: faults.legacyClaimName must be "id" or "trust_mark_id"`);
  }
}

function validateTrustMark(spec: TrustMarkSpec, names: ReadonlySet<string>, where: string): void {
  if (typeof spec.type !== 'string' || spec.type === '') fail(`${where}: type must not be empty`);
  if (!names.has(spec.issuer)) fail(`${where}: issuer "${spec.issuer}" is not an entity`);
  if (spec.delegatedBy !== undefined && !names.has(spec.delegatedBy)) {
    fail(`${where}: delegatedBy "${spec.delegatedBy}" is not an entity`);
  }
  const lifetime = spec.lifetimeSeconds;
  if (
    lifetime !== undefined &&
    lifetime !== null &&
    (!Number.isInteger(lifetime) || lifetime <= 0)
  ) {
    fail(`${where}: lifetimeSeconds must be a positive integer or null`);
  }
  validateTrustMarkFaults(spec.faults, names, where);
  validateTrustMarkStatus(spec.status, where);
  validateTrustMarkStatusFaults(spec.statusFaults, where);
  validatePlaceholders([spec.type, spec.claims, spec.faults?.outerType], names, where);
}

function validateTrustMarkSettings(
  entity: TopologyEntity,
  names: ReadonlySet<string>,
  where: string,
): void {
  const seen = new Set<string>();
  for (const spec of entity.trustMarks ?? []) {
    const markWhere = `${where}, trust mark "${spec.type}"`;
    validateTrustMark(spec, names, markWhere);
    // The type identifies the mark in setTrustMarkStatus and friends (§7.1: one per type).
    if (seen.has(spec.type)) fail(`${markWhere}: held twice`);
    seen.add(spec.type);
  }
  for (const [type, issuers] of Object.entries(entity.trustMarkIssuers ?? {})) {
    for (const issuer of issuers) {
      if (!names.has(issuer)) {
        fail(`${where}: trustMarkIssuers "${type}": issuer "${issuer}" is not an entity`);
      }
    }
  }
  for (const [type, owner] of Object.entries(entity.trustMarkOwners ?? {})) {
    if (!names.has(owner)) {
      fail(`${where}: trustMarkOwners "${type}": owner "${owner}" is not an entity`);
    }
  }
  validatePlaceholders(
    [Object.keys(entity.trustMarkIssuers ?? {}), Object.keys(entity.trustMarkOwners ?? {})],
    names,
    where,
  );
}

function validateEntity(entity: TopologyEntity, names: ReadonlySet<string>): void {
  const where = `entity "${entity.name}"`;
  const alg = entity.alg ?? DEFAULT_ENTITY_ALG;
  if (!(DEFAULT_SIGNING_ALGORITHMS as readonly string[]).includes(alg)) {
    fail(`${where}: unsupported alg "${alg}"`);
  }
  const hints = entity.authorityHints ?? [];
  const seen = new Set<string>();
  for (const hint of hints) {
    if (!names.has(hint)) fail(`${where}: authority hint "${hint}" is not an entity`);
    if (hint === entity.name) fail(`${where}: lists itself as an authority hint`);
    if (seen.has(hint)) fail(`${where}: authority hint "${hint}" is listed twice`);
    seen.add(hint);
  }
  const lifetime = entity.lifetimeSeconds;
  if (lifetime !== undefined && (!Number.isInteger(lifetime) || lifetime <= 0)) {
    fail(`${where}: lifetimeSeconds must be a positive integer`);
  }
  validateFaults(entity.faults, where);
  validatePlaceholders([entity.metadata, entity.faults?.claims], names, where);
  validateTrustMarkSettings(entity, names, where);
}

/** Issuers with status endpoints, and whose Entity Configurations depend on whose keys. */
function indexTrustMarks(
  entities: ReadonlyMap<string, TopologyEntity>,
): Pick<TopologyIndex, 'trustMarkIssuers' | 'trustMarkDependents'> {
  const trustMarkIssuers = new Set<string>();
  const trustMarkDependents = new Map<string, Set<string>>();
  const depends = (holder: string, on: string): void => {
    const dependents = trustMarkDependents.get(on) ?? new Set<string>();
    dependents.add(holder);
    trustMarkDependents.set(on, dependents);
  };
  for (const entity of entities.values()) {
    for (const spec of entity.trustMarks ?? []) {
      trustMarkIssuers.add(spec.issuer);
      depends(entity.name, spec.issuer);
      if (spec.delegatedBy !== undefined) depends(entity.name, spec.delegatedBy);
    }
    for (const issuers of Object.values(entity.trustMarkIssuers ?? {})) {
      for (const issuer of issuers) trustMarkIssuers.add(issuer);
    }
    // §7.2: trust_mark_owners embeds the owner's jwks.
    for (const owner of Object.values(entity.trustMarkOwners ?? {})) depends(entity.name, owner);
  }
  return { trustMarkIssuers, trustMarkDependents };
}

function validatePlaceholders(
  values: readonly unknown[],
  names: ReadonlySet<string>,
  where: string,
): void {
  for (const name of findPlaceholderNames(values)) {
    if (!names.has(name)) fail(`${where}: placeholder {{entity:${name}}} names no entity`);
  }
}

/**
 * Validates metadata given at run time (`setMetadata`) as the topology's would be: an object of
 * Entity Types, each an object, whose `{{entity:<name>}}` placeholders name entities.
 */
export function validateMetadata(
  metadata: unknown,
  names: ReadonlySet<string>,
  where: string,
): void {
  const isObject = (value: unknown): boolean =>
    typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!isObject(metadata) || !Object.values(metadata as object).every(isObject)) {
    fail(`${where}: metadata must be an object of Entity Types, each an object`);
  }
  validatePlaceholders([metadata], names, where);
}

/**
 * Validates a topology and builds its lookup tables. Throws a clear `Error` on duplicate or
 * malformed names, unknown names in `authorityHints` or `subordinates`, a subordinate spec for a
 * pair that is not an authority-hint relation, and on unservable faults. Cycles are allowed on
 * purpose: §17.1 says topologies may have them (chains may not), and resolvers must cope.
 */
export function indexTopology(topology: Topology): TopologyIndex {
  if (topology.entities.length === 0) fail('it has no entities');
  const entities = new Map<string, TopologyEntity>();
  for (const entity of topology.entities) {
    if (typeof entity.name !== 'string' || !NAME_PATTERN.test(entity.name)) {
      fail(
        `entity name ${JSON.stringify(entity.name)} must be 1–63 letters, digits, ".", "_", "~" or "-", starting with a letter or digit`,
      );
    }
    if (entities.has(entity.name)) fail(`entity name "${entity.name}" is used twice`);
    entities.set(entity.name, entity);
  }
  const names = new Set(entities.keys());
  const subordinatesOf = new Map<string, string[]>();
  for (const name of names) subordinatesOf.set(name, []);
  for (const entity of topology.entities) {
    validateEntity(entity, names);
    for (const hint of entity.authorityHints ?? []) subordinatesOf.get(hint)?.push(entity.name);
  }

  const subordinateSpecs = new Map<string, SubordinateSpec>();
  for (const spec of topology.subordinates ?? []) {
    const where = `subordinate "${spec.issuer}" → "${spec.subject}"`;
    if (!names.has(spec.issuer)) fail(`${where}: issuer "${spec.issuer}" is not an entity`);
    const subject = entities.get(spec.subject);
    if (subject === undefined) fail(`${where}: subject "${spec.subject}" is not an entity`);
    if (!(subject.authorityHints ?? []).includes(spec.issuer)) {
      fail(`${where}: "${spec.issuer}" is not among the authority hints of "${spec.subject}"`);
    }
    const key = pairKey(spec.issuer, spec.subject);
    if (subordinateSpecs.has(key)) fail(`${where}: described twice`);
    validateFaults(spec.faults, where);
    validatePlaceholders(
      [spec.metadata, spec.metadata_policy, spec.constraints, spec.faults?.claims],
      names,
      where,
    );
    subordinateSpecs.set(key, spec);
  }
  return { entities, subordinatesOf, subordinateSpecs, ...indexTrustMarks(entities) };
}

/** Throws a clear `Error` when the topology cannot be served (see {@link indexTopology}). */
export function validateTopology(topology: Topology): void {
  indexTopology(topology);
}
