/**
 * Named tolerances: each accepts one known deviation of deployed federation software from the
 * Final specification, and nothing else (docs/tolerances.md). None is on by default. A tolerance
 * only ever ignores a misplaced claim or reads a draft claim name; none touches a signature, a
 * time window, the key a statement is verified with, or the pinned Trust Anchor keys.
 */

/** The tolerances, with the rule each one bends (wire names in docs/tolerances.md). */
export const TOLERANCES = {
  /** §3.1.3, §3.2: `constraints` in an Entity Configuration is ignored, never applied. */
  'constraints-in-entity-configuration': { section: '§3.2', claim: 'constraints' },
  /** §3.1.2, §3.2: `trust_marks` in a Subordinate Statement is ignored, never read. */
  'trust-marks-in-subordinate-statement': { section: '§3.2', claim: 'trust_marks' },
  /**
   * §3.1.2, §7.1: the draft names of the trust mark type (`trust_mark_id`, `id`) in `trust_marks`
   * entries and trust mark JWTs, and `trust_marks_issuers` / `trust_marks_owners` for
   * `trust_mark_issuers` / `trust_mark_owners` in an Entity Configuration.
   */
  'legacy-trust-mark-claims': { section: '§7.1', claim: 'trust_marks' },
} as const satisfies Record<string, { readonly section: string; readonly claim: string }>;

/** The name of one tolerance. */
export type ToleranceName = keyof typeof TOLERANCES;

/** Every tolerance name, in documentation order. */
export const TOLERANCE_NAMES = Object.keys(TOLERANCES) as readonly ToleranceName[];

/** Whether `name` is a tolerance this resolver knows. */
export function isToleranceName(name: string): name is ToleranceName {
  return Object.hasOwn(TOLERANCES, name);
}

/** One deviation a statement needed to be accepted. */
export interface ToleranceUse {
  readonly tolerance: ToleranceName;
  /** The spec section whose rule was bent. */
  readonly section: string;
  /** The claim concerned. */
  readonly claim: string;
  /** What was tolerated, in one sentence. */
  readonly message: string;
}

/** A tolerance use located in a trust chain, as reports show it. */
export interface LocatedToleranceUse extends ToleranceUse {
  /** Index of the statement in the chain (ES[0] is the subject's configuration). */
  readonly statementIndex: number;
  /** Where the statement was fetched from, when it was fetched. */
  readonly url?: string;
}

/** Uses of the statements of a chain (or a candidate chain), located by chain index. */
export function locateToleranceUses(
  statements: ReadonlyArray<{
    readonly tolerated?: readonly ToleranceUse[];
    readonly source?: string;
  }>,
): LocatedToleranceUse[] {
  return statements.flatMap((statement, statementIndex) =>
    (statement.tolerated ?? []).map((use) => ({
      ...use,
      statementIndex,
      ...(statement.source === undefined ? {} : { url: statement.source }),
    })),
  );
}
