/**
 * Trust chain constraints (§6.2): `max_path_length`, `naming_constraints` and
 * `allowed_entity_types`. Each Subordinate Statement's constraints bind its subject and
 * everything below it, and each is checked on its own (§6.2).
 */
import { FEDERATION_ENTITY } from './constants.js';
import { entityIdHost } from './entity-id.js';
import { InvalidTrustChainError } from './errors.js';
import type { Metadata } from './metadata-policy/types.js';
import type { DecodedEntityStatement, NamingConstraints } from './types.js';

/**
 * §6.2.1: for the statement at chain index j (issued by ES[j].iss), the Intermediates between its
 * issuer and the chain subject number j - 1; the chain fails when that exceeds the constraint.
 */
export function validateMaxPathLength(statements: readonly DecodedEntityStatement[]): void {
  statements.forEach((statement, index) => {
    const max =
      statement.kind === 'subordinate_statement'
        ? statement.claims.constraints?.max_path_length
        : undefined;
    if (max === undefined) return;
    const intermediates = index - 1;
    if (intermediates > max) {
      throw new InvalidTrustChainError(
        `${statement.claims.iss} allows at most ${max} Intermediate(s) below it, the chain has ${intermediates}`,
        {
          reason: 'max_path_length_exceeded',
          statementIndex: index,
          iss: statement.claims.iss,
          sub: statement.claims.sub,
          claim: 'constraints',
          section: '§6.2.1',
        },
      );
    }
  });
}

/**
 * §6.2.2 with RFC 5280 §4.2.1.10 semantics on the host: ".example.com" matches hosts with one or
 * more labels in front of it but not "example.com" itself; a name without a leading "." matches
 * exactly that host. Hosts compare case-insensitively (DNS names). An `https://` prefix on the
 * constraint value is tolerated (the format of drafts up to 42).
 */
export function hostMatchesName(host: string, name: string): boolean {
  const constraint = name
    .replace(/^https:\/\//i, '')
    .replace(/\/+$/, '')
    .toLowerCase();
  const target = host.toLowerCase();
  if (constraint.startsWith('.')) {
    return target.length > constraint.length && target.endsWith(constraint);
  }
  return target === constraint;
}

/**
 * True when `entityId` satisfies `constraints`: excluded wins over permitted; with a `permitted`
 * list present, the host must match one of its names (an empty list permits nothing).
 */
export function isPermittedByNamingConstraints(
  entityId: string,
  constraints: NamingConstraints,
): boolean {
  const host = entityIdHost(entityId);
  if (constraints.excluded?.some((name) => hostMatchesName(host, name)) === true) return false;
  if (constraints.permitted === undefined) return true;
  return constraints.permitted.some((name) => hostMatchesName(host, name));
}

/**
 * §6.2.2: the statement at index j constrains the Entity Identifiers below its issuer, i.e. the
 * subjects of ES[0..j].
 */
export function validateNamingConstraints(statements: readonly DecodedEntityStatement[]): void {
  statements.forEach((statement, index) => {
    const naming =
      statement.kind === 'subordinate_statement'
        ? statement.claims.constraints?.naming_constraints
        : undefined;
    if (naming === undefined) return;
    for (let k = 0; k <= index; k++) {
      const entityId = statements[k]?.claims.sub;
      if (entityId !== undefined && !isPermittedByNamingConstraints(entityId, naming)) {
        throw new InvalidTrustChainError(
          `${entityId} is outside the naming constraints set by ${statement.claims.iss}`,
          {
            reason: 'naming_constraint_violated',
            statementIndex: index,
            iss: statement.claims.iss,
            sub: statement.claims.sub,
            claim: 'constraints',
            section: '§6.2.2',
          },
        );
      }
    }
  });
}

/**
 * §6.2.3: removes every Entity Type that some statement's `allowed_entity_types` does not allow,
 * always keeping `federation_entity`. Several statements intersect.
 */
export function applyAllowedEntityTypes(
  metadata: Metadata,
  statements: readonly DecodedEntityStatement[],
): Metadata {
  const lists = statements.flatMap((statement) =>
    statement.kind === 'subordinate_statement' &&
    statement.claims.constraints?.allowed_entity_types !== undefined
      ? [statement.claims.constraints.allowed_entity_types]
      : [],
  );
  if (lists.length === 0) return metadata;
  const result: Metadata = {};
  for (const [entityType, value] of Object.entries(metadata)) {
    if (entityType === FEDERATION_ENTITY || lists.every((list) => list.includes(entityType))) {
      result[entityType] = value;
    }
  }
  return result;
}

/** §6.2: every constraint that can invalidate a chain (allowed_entity_types only filters). */
export function validateConstraints(statements: readonly DecodedEntityStatement[]): void {
  validateMaxPathLength(statements);
  validateNamingConstraints(statements);
}
