/**
 * Value helpers of the metadata policy engine: JSON checks and copies of untrusted values, set
 * operations under deep equality, the `scope` list view and a safe property writer.
 */
import { CORE_LIMITS } from '../constants.js';
import { isPlainObject } from '../json.js';

/** Returned by {@link copyJsonValue} when the input is not a JSON value. */
export const NOT_JSON: unique symbol = Symbol('not-json');

/**
 * Deepest nesting accepted inside one metadata or operator value. The statement that carried it
 * was already bounded by `CORE_LIMITS.maxJsonDepth`, so this only guards direct callers.
 */
const MAX_VALUE_DEPTH = CORE_LIMITS.maxJsonDepth;

/**
 * Writes an own, enumerable data property. Plain assignment of `__proto__` would change the
 * prototype instead of creating a member, and untrusted JSON may use that name.
 */
export function defineOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    target[key] = value;
  }
}

/**
 * Deep copy of a JSON value (null, boolean, finite number, string, array, plain object), or
 * {@link NOT_JSON} for anything else (undefined, functions, class instances, non-finite numbers,
 * sparse arrays, nesting deeper than the core limit). One pass both checks and copies, so results
 * never alias caller-owned data.
 */
export function copyJsonValue(value: unknown, depth = 0): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : NOT_JSON;
    case 'object':
      break;
    default:
      return NOT_JSON;
  }
  if (value === null) return null;
  if (depth >= MAX_VALUE_DEPTH) return NOT_JSON;
  if (Array.isArray(value)) {
    const copy: unknown[] = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) return NOT_JSON;
      const item = copyJsonValue(value[i], depth + 1);
      if (item === NOT_JSON) return NOT_JSON;
      copy[i] = item;
    }
    return copy;
  }
  if (!isPlainObject(value)) return NOT_JSON;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = copyJsonValue(value[key], depth + 1);
    if (item === NOT_JSON) return NOT_JSON;
    defineOwn(copy, key, item);
  }
  return copy;
}

/**
 * Key under which deep-equal JSON values collide: strings map to themselves behind a prefix no
 * JSON text can start with; other values to JSON with object members sorted (member order never
 * matters, array order does, matching `deepEqual`).
 */
export function canonicalKey(value: unknown): string {
  return typeof value === 'string' ? `\u0000${value}` : canonicalJson(value);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(',')}}`;
  }
  // JSON.stringify(-0) is "0", which matches deepEqual's -0 === 0.
  return JSON.stringify(value) ?? 'undefined';
}

/** Set of canonical keys of a list's elements. */
export function keySet(values: readonly unknown[]): Set<string> {
  const keys = new Set<string>();
  for (const value of values) keys.add(canonicalKey(value));
  return keys;
}

/** Union preserving order: the elements of `a`, then those of `b` not already present. */
export function union(a: readonly unknown[], b: readonly unknown[]): unknown[] {
  const seen = new Set<string>();
  const result: unknown[] = [];
  for (const list of [a, b]) {
    for (const value of list) {
      const key = canonicalKey(value);
      if (!seen.has(key)) {
        seen.add(key);
        result.push(value);
      }
    }
  }
  return result;
}

/** Intersection in the order of `a`, without duplicates. */
export function intersection(a: readonly unknown[], b: readonly unknown[]): unknown[] {
  const inB = keySet(b);
  const seen = new Set<string>();
  const result: unknown[] = [];
  for (const value of a) {
    const key = canonicalKey(value);
    if (inB.has(key) && !seen.has(key)) {
      seen.add(key);
      result.push(value);
    }
  }
  return result;
}

/** True when every element of `a` is deep-equal to some element of `b`. */
export function isSubset(a: readonly unknown[], b: readonly unknown[]): boolean {
  const inB = keySet(b);
  return a.every((value) => inB.has(canonicalKey(value)));
}

/** True when `value` is deep-equal to some element of `list`. */
export function isMember(value: unknown, list: readonly unknown[]): boolean {
  const key = canonicalKey(value);
  return list.some((item) => canonicalKey(item) === key);
}

/** §6.1.3.1.8: the metadata parameter whose string value operators treat as a list. */
export const SCOPE_PARAMETER = 'scope';

/** §6.1.3.1.8: a `scope` string as its list of scope tokens (split on spaces, empties dropped). */
export function splitScope(scope: string): string[] {
  return scope.split(' ').filter((token) => token.length > 0);
}

/** True for an array whose every element is a string. */
export function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/**
 * §6.1.3.1.8: the list an array operator sees for a parameter value: the array itself, or for
 * `scope` the tokens of its string. Undefined when the value is not a list for that parameter.
 */
export function listView(parameter: string, value: unknown): readonly unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (parameter === SCOPE_PARAMETER && typeof value === 'string') return splitScope(value);
  return undefined;
}

/**
 * §6.1.3.1.8: the form in which `value`/`default` write `scope`: a list of strings is written
 * back as a space-separated string; anything else is written as given.
 */
export function scopeWriteForm(parameter: string, value: unknown): unknown {
  return parameter === SCOPE_PARAMETER && isStringList(value) ? value.join(' ') : value;
}

/** Short, escaped rendering of an untrusted name for error messages. */
export function quote(name: string): string {
  return JSON.stringify(name.length > 64 ? `${name.slice(0, 61)}...` : name);
}
