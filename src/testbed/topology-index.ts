/**
 * Validation of a {@link Topology} at start, and the lookup tables the server needs. A mistake in
 * a topology is a bug in the test that wrote it, so it fails loudly with a plain `Error` that
 * names the entity, before any port is opened.
 */
import { DEFAULT_SIGNING_ALGORITHMS } from '../federation/constants.js';
import { findPlaceholderNames } from './placeholders.js';
import type { StatementFaults, SubordinateSpec, Topology, TopologyEntity } from './topology.js';

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
  return { entities, subordinatesOf, subordinateSpecs };
}

/** Throws a clear `Error` when the topology cannot be served (see {@link indexTopology}). */
export function validateTopology(topology: Topology): void {
  indexTopology(topology);
}
