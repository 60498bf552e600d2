/**
 * `{{self}}`, `{{entity:<name>}}` and `{{url}}` in topology strings (see topology.ts). Entity
 * Identifiers contain the server's port, so a topology written before start refers to them by
 * name and they are filled in when a statement is built.
 */

const PLACEHOLDER = /\{\{(self|url|entity:([^}]*))\}\}/g;

/** What placeholders stand for in one statement. */
export interface PlaceholderValues {
  /** Entity Identifier of the entity the statement is about. */
  readonly self: string;
  /** The testbed's base URL. */
  readonly url: string;
  /** Entity Identifier of an entity by name (names were validated at start). */
  readonly entityId: (name: string) => string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A deep copy of `value` with placeholders replaced in every string (object keys are kept). The
 * copy has the same shape as the input, since only string contents change.
 */
export function fillPlaceholders<T>(value: T, values: PlaceholderValues): T {
  // Topology data is written by the test itself, not received: the cast restores the shape
  // that the string-for-string replacement keeps.
  return fill(value, values) as T;
}

function fill(value: unknown, values: PlaceholderValues): unknown {
  if (typeof value === 'string') {
    if (!value.includes('{{')) return value;
    return value.replace(PLACEHOLDER, (_match, kind: string, name: string | undefined) =>
      kind === 'self' ? values.self : kind === 'url' ? values.url : values.entityId(name ?? ''),
    );
  }
  if (Array.isArray(value)) return value.map((item: unknown) => fill(item, values));
  if (isRecord(value)) {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) copy[key] = fill(item, values);
    return copy;
  }
  return value;
}

/** Every `<name>` of `{{entity:<name>}}` found anywhere in `values` (for validation at start). */
export function findPlaceholderNames(values: readonly unknown[]): Set<string> {
  const names = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      for (const match of value.matchAll(PLACEHOLDER)) {
        if (match[2] !== undefined) names.add(match[2]);
      }
    } else if (Array.isArray(value)) {
      value.forEach(visit);
    } else if (isRecord(value)) {
      Object.values(value).forEach(visit);
    }
  };
  values.forEach(visit);
  return names;
}
