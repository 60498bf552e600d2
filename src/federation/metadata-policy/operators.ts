/**
 * The seven standard metadata policy operators (§6.1.3.1) as one table: the operator value types
 * each accepts, how two levels' values merge, what applying it does to a parameter, and which
 * other operators may share its parameter policy (§6.1.3.1 per operator, and its combination table).
 */
import { POLICY_OPERATORS } from '../constants.js';
import type { PolicyOperatorName } from '../constants.js';
import { deepEqual, isPlainObject } from '../json.js';
import {
  intersection,
  isMember,
  isSubset,
  keySet,
  canonicalKey,
  listView,
  scopeWriteForm,
  union,
} from './values.js';

/** Marks a parameter that is absent from the metadata while operators run. */
export const ABSENT: unique symbol = Symbol('absent');

/** Result of merging two levels' values of one operator (§6.1.4.1). */
export type MergeOutcome =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly problem: string };

/**
 * Result of applying one operator to one parameter (§6.1.4.2). `type` failures are parameters of
 * a type the operator does not support (§6.1.3 item 2); `check` failures are violated checks.
 */
export type ApplyOutcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly kind: 'type' | 'check'; readonly problem: string };

/**
 * Whether two operators may share one parameter policy (§6.1.3 item 4): always, never, or when a
 * condition on both operator values holds. `first` is the operator earlier in the fixed order.
 */
export type CombinationRule =
  | boolean
  | {
      readonly condition: string;
      readonly holds: (first: unknown, second: unknown, parameter: string) => boolean;
    };

/** Everything the engine knows about one standard operator. */
export interface OperatorDefinition {
  /** Spec section that defines the operator. */
  readonly section: string;
  /** What the operator value must be, for error messages. */
  readonly valueDescription: string;
  /** Type check of an operator value already known to be JSON (§6.1.3 item 2). */
  readonly isValidValue: (value: unknown) => boolean;
  /** Merge of a superior's value with a subordinate's value (§6.1.4.1). */
  readonly merge: (superior: unknown, subordinate: unknown) => MergeOutcome;
  /** Apply step: the parameter's value (or ABSENT) before and after (§6.1.4.2). */
  readonly apply: (current: unknown, operand: unknown, parameter: string) => ApplyOutcome;
  /** Rules for the operators that come later in the fixed order (§6.1.3.1 combinations, upper triangle). */
  readonly combinations: Partial<Record<PolicyOperatorName, CombinationRule>>;
}

const ok = (value: unknown): ApplyOutcome => ({ ok: true, value });
const typeError = (problem: string): ApplyOutcome => ({ ok: false, kind: 'type', problem });
const checkFailed = (problem: string): ApplyOutcome => ({ ok: false, kind: 'check', problem });

/** §6.1.3.1.2, .4–.6: array operator values hold strings, numbers or objects (never null). */
function isListOperand(value: unknown): value is unknown[] {
  return (
    Array.isArray(value) &&
    value.every(
      (item) => typeof item === 'string' || typeof item === 'number' || isPlainObject(item),
    )
  );
}

/** The operand as a list; validation guarantees it, this only narrows the type. */
function asList(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

/** §6.1.3.1.8: a list result is written back as a string when the parameter was a scope string. */
function writeList(parameter: string, before: unknown, list: unknown[]): unknown {
  return typeof before === 'string' ? scopeWriteForm(parameter, list) : list;
}

/** Appends the additions not already present, keeping the existing elements untouched. */
function appendMissing(existing: readonly unknown[], additions: readonly unknown[]): unknown[] {
  const seen = keySet(existing);
  const result = [...existing];
  for (const value of additions) {
    const key = canonicalKey(value);
    if (!seen.has(key)) {
      seen.add(key);
      result.push(value);
    }
  }
  return result;
}

const equalOrFail =
  (name: string) =>
  (superior: unknown, subordinate: unknown): MergeOutcome =>
    // §6.1.4.1 leaves array order open; order-respecting equality is strict (docs/decisions.md).
    deepEqual(superior, subordinate)
      ? { ok: true, value: superior }
      : { ok: false, problem: `two levels give different ${name} values` };

const LIST_DESCRIPTION = 'an array of strings, numbers or objects';

/** The operator table, keyed by operator name. */
export const OPERATORS: Readonly<Record<PolicyOperatorName, OperatorDefinition>> = {
  value: {
    section: '§6.1.3.1.1',
    valueDescription: 'a string, number, boolean, array, object or null',
    // Any JSON value; objects are the optional type we support (§6.1.3.1.8), null removes.
    isValidValue: () => true,
    merge: equalOrFail('value'),
    // null removes the parameter; scope lists are written as strings (§6.1.3.1.8).
    apply: (_current, operand, parameter) =>
      ok(operand === null ? ABSENT : scopeWriteForm(parameter, operand)),
    combinations: {
      add: {
        condition: 'every add value is among the value values',
        holds: (value, add, parameter) => {
          const list = value === null ? undefined : listView(parameter, value);
          return list !== undefined && isSubset(asList(add), list);
        },
      },
      default: { condition: 'value is not null', holds: (value) => value !== null },
      one_of: {
        condition: 'value is one of the one_of values',
        holds: (value, oneOf, parameter) =>
          isMember(scopeWriteForm(parameter, value), asList(oneOf)),
      },
      subset_of: {
        condition: 'value is a subset of subset_of',
        holds: (value, subsetOf, parameter) => {
          const list = value === null ? undefined : listView(parameter, value);
          return list !== undefined && isSubset(list, asList(subsetOf));
        },
      },
      superset_of: {
        condition: 'value is a superset of superset_of',
        holds: (value, supersetOf, parameter) => {
          const list = value === null ? undefined : listView(parameter, value);
          return list !== undefined && isSubset(asList(supersetOf), list);
        },
      },
      essential: {
        condition: 'value is not null while essential is true',
        holds: (value, essential) => !(value === null && essential === true),
      },
    },
  },

  add: {
    section: '§6.1.3.1.2',
    valueDescription: LIST_DESCRIPTION,
    isValidValue: isListOperand,
    merge: (superior, subordinate) => ({
      ok: true,
      value: union(asList(superior), asList(subordinate)),
    }),
    apply: (current, operand, parameter) => {
      const additions = asList(operand);
      // Absent: created with the operator value (duplicates in the operand collapse).
      if (current === ABSENT) return ok(scopeWriteForm(parameter, appendMissing([], additions)));
      const list = listView(parameter, current);
      if (list === undefined) return typeError('add needs an array parameter');
      return ok(writeList(parameter, current, appendMissing(list, additions)));
    },
    combinations: {
      default: true,
      one_of: false,
      subset_of: {
        condition: 'every add value is in subset_of',
        holds: (add, subsetOf) => isSubset(asList(add), asList(subsetOf)),
      },
      superset_of: true,
      essential: true,
    },
  },

  default: {
    section: '§6.1.3.1.3',
    valueDescription: 'a string, number, boolean, array or object (not null)',
    isValidValue: (value) => value !== null,
    merge: equalOrFail('default'),
    apply: (current, operand, parameter) =>
      ok(current === ABSENT ? scopeWriteForm(parameter, operand) : current),
    // §6.1.3.1.3: since draft 42 default combines unconditionally.
    combinations: { one_of: true, subset_of: true, superset_of: true, essential: true },
  },

  one_of: {
    section: '§6.1.3.1.4',
    valueDescription: LIST_DESCRIPTION,
    isValidValue: isListOperand,
    merge: (superior, subordinate) => {
      const value = intersection(asList(superior), asList(subordinate));
      return value.length > 0
        ? { ok: true, value }
        : { ok: false, problem: 'the one_of values of two levels have no value in common' };
    },
    apply: (current, operand) => {
      if (current === ABSENT) return ok(ABSENT);
      // A single value: string, number or object (a scope string counts as one string).
      if (typeof current !== 'string' && typeof current !== 'number' && !isPlainObject(current)) {
        return typeError('one_of needs a string, number or object parameter');
      }
      return isMember(current, asList(operand))
        ? ok(current)
        : checkFailed('the parameter value is not one of the allowed values');
    },
    combinations: { subset_of: false, superset_of: false, essential: true },
  },

  subset_of: {
    section: '§6.1.3.1.5',
    valueDescription: LIST_DESCRIPTION,
    isValidValue: isListOperand,
    // §6.1.3.1.5: an empty intersection is allowed since draft 42.
    merge: (superior, subordinate) => ({
      ok: true,
      value: intersection(asList(superior), asList(subordinate)),
    }),
    apply: (current, operand, parameter) => {
      if (current === ABSENT) return ok(ABSENT);
      const list = listView(parameter, current);
      if (list === undefined) return typeError('subset_of needs an array parameter');
      // Keep the parameter's elements (order and multiplicity) that the operand allows; may be [].
      const allowed = keySet(asList(operand));
      const kept = list.filter((item) => allowed.has(canonicalKey(item)));
      return ok(writeList(parameter, current, kept));
    },
    combinations: {
      superset_of: {
        condition: 'subset_of is a superset of superset_of',
        holds: (subsetOf, supersetOf) => isSubset(asList(supersetOf), asList(subsetOf)),
      },
      essential: true,
    },
  },

  superset_of: {
    section: '§6.1.3.1.6',
    valueDescription: LIST_DESCRIPTION,
    isValidValue: isListOperand,
    merge: (superior, subordinate) => ({
      ok: true,
      value: union(asList(superior), asList(subordinate)),
    }),
    apply: (current, operand, parameter) => {
      if (current === ABSENT) return ok(ABSENT);
      const list = listView(parameter, current);
      if (list === undefined) return typeError('superset_of needs an array parameter');
      return isSubset(asList(operand), list)
        ? ok(current)
        : checkFailed('the parameter value lacks values that superset_of requires');
    },
    combinations: { essential: true },
  },

  essential: {
    section: '§6.1.3.1.7',
    valueDescription: 'a boolean',
    isValidValue: (value) => typeof value === 'boolean',
    merge: (superior, subordinate) => ({
      ok: true,
      value: superior === true || subordinate === true,
    }),
    apply: (current, operand) =>
      operand === true && current === ABSENT
        ? checkFailed('the parameter is essential but absent')
        : ok(current),
    combinations: {},
  },
};

/** Standard operator names, for membership tests on untrusted keys. */
export const STANDARD_OPERATORS: ReadonlySet<string> = new Set(POLICY_OPERATORS);

/** True when `name` is one of the seven standard operators. */
export function isStandardOperator(name: string): name is PolicyOperatorName {
  return STANDARD_OPERATORS.has(name);
}

/**
 * Non-standard operators this implementation understands (§6.1.3.2). None today: any name in
 * `metadata_policy_crit` therefore makes the chain invalid.
 */
export const UNDERSTOOD_NON_STANDARD_OPERATORS: ReadonlySet<string> = new Set<string>();

/**
 * The rule for a pair of distinct operators, looked up in the row of the one that comes first in
 * the fixed order. A pair missing from the table is treated as forbidden.
 */
export function combinationRule(a: PolicyOperatorName, b: PolicyOperatorName): CombinationRule {
  const [first, second] =
    POLICY_OPERATORS.indexOf(a) < POLICY_OPERATORS.indexOf(b) ? [a, b] : [b, a];
  return OPERATORS[first].combinations[second] ?? false;
}
