/**
 * Choice among several valid chains (§10.3, §17.1: local policy). The rule is deterministic:
 * 1. the shortest chain (fewest statements) first, as §10.3 suggests;
 * 2. then the Trust Anchor listed first in `anchorPreference` (the order the caller gave);
 * 3. then the lexically smallest path of Entity Identifiers (code point order, §16).
 * Expiry is deliberately not a criterion: the choice must not flip when statements are re-issued.
 */
import type { TrustChain } from './types.js';

function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders two chains by the rule above (negative when `a` is preferred). */
export function compareTrustChains(
  a: Pick<TrustChain, 'statements' | 'trustAnchor' | 'path'>,
  b: Pick<TrustChain, 'statements' | 'trustAnchor' | 'path'>,
  anchorPreference: readonly string[] = [],
): number {
  if (a.path.length !== b.path.length) return a.path.length - b.path.length;
  const rank = (anchor: string): number => {
    const index = anchorPreference.indexOf(anchor);
    return index === -1 ? anchorPreference.length : index;
  };
  const byAnchor = rank(a.trustAnchor) - rank(b.trustAnchor);
  if (byAnchor !== 0) return byAnchor;
  return compareCodePoints(a.path.join('\n'), b.path.join('\n'));
}

/** The preferred chain among `chains`, or `undefined` when there is none. */
export function selectTrustChain<T extends Pick<TrustChain, 'statements' | 'trustAnchor' | 'path'>>(
  chains: readonly T[],
  anchorPreference: readonly string[] = [],
): T | undefined {
  let best: T | undefined;
  for (const chain of chains) {
    if (best === undefined || compareTrustChains(chain, best, anchorPreference) < 0) best = chain;
  }
  return best;
}
