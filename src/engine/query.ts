/**
 * The cache identity of a {@link ResolutionQuery}, what its cached result keeps and what that
 * costs. The query type itself is the core's (federation/types.ts), so every floor speaks of the
 * same thing.
 */
import type {
  DecodedEntityStatement,
  EntityStatementClaims,
  ResolvedTrustChain,
  TrustAnchor,
} from '../federation/types.js';
import type { ResolutionEntry } from './resolution-service.js';

/**
 * The claims a cached chain still needs, by position: every statement keeps its identity, time
 * and keys; the subject's configuration its trust marks; the anchor's configuration whom it
 * trusts for marks. Everything else (metadata already resolved, policies applied, extension
 * claims) is in the compact JWS, which every statement keeps.
 */
function retainedClaims(claims: EntityStatementClaims, position: 'subject' | 'anchor' | 'middle') {
  const { iss, sub, iat, exp, jwks } = claims;
  return {
    iss,
    sub,
    iat,
    exp,
    jwks,
    ...(position === 'subject' && claims.trust_marks !== undefined
      ? { trust_marks: claims.trust_marks }
      : {}),
    ...(position === 'anchor' && claims.trust_mark_issuers !== undefined
      ? { trust_mark_issuers: claims.trust_mark_issuers }
      : {}),
    ...(position === 'anchor' && claims.trust_mark_owners !== undefined
      ? { trust_mark_owners: claims.trust_mark_owners }
      : {}),
  };
}

/** Bounds of a {@link RetainedStatements} pool: statements, and characters of their JWSs. */
export interface RetainedStatementsBounds {
  readonly maxEntries: number;
  readonly maxChars: number;
}

const POOL_BOUNDS: RetainedStatementsBounds = { maxEntries: 4096, maxChars: 4 * 1024 * 1024 };

/** A statement larger than this share of the pool is not pooled: it would evict many others. */
const POOL_LARGEST_SHARE = 1 / 64;

/**
 * What cached resolutions keep of validated chains: the chain as it was, with each decoded
 * statement reduced to what is still read (the raw JWT suffices for the rest), so a large
 * statement is held once, as its JWS, not twice. The statements of superiors, which the chains
 * of many subjects share (an intermediate's statement from its anchor, the anchor's
 * configuration), are held once for all of them: a bounded pool (entries and JWS characters,
 * oldest first out) hands out one retained copy per JWS.
 */
export class RetainedStatements {
  readonly #pool = new Map<string, DecodedEntityStatement>();
  readonly #bounds: RetainedStatementsBounds;
  #chars = 0;

  constructor(bounds: RetainedStatementsBounds = POOL_BOUNDS) {
    this.#bounds = bounds;
  }

  /** Statements held in the pool. */
  get size(): number {
    return this.#pool.size;
  }

  /** Characters of the JWSs held in the pool. */
  get chars(): number {
    return this.#chars;
  }

  chain(chain: ResolvedTrustChain): ResolvedTrustChain {
    const last = chain.statements.length - 1;
    const statements = chain.statements.map((statement, index) => {
      if (index === 0) return retained(statement, 'subject');
      const position = index === last ? 'anchor' : 'middle';
      // The superior's statement about the subject is the subject's own; those above are shared.
      return index === 1 ? retained(statement, position) : this.#shared(statement, position);
    });
    return { ...chain, statements };
  }

  #shared(
    statement: DecodedEntityStatement,
    position: 'anchor' | 'middle',
  ): DecodedEntityStatement {
    const pooled = this.#pool.get(statement.jwt);
    if (
      pooled !== undefined &&
      pooled.source === statement.source &&
      pooled.kind === statement.kind
    ) {
      return pooled;
    }
    const copy = retained(statement, position);
    const { maxEntries, maxChars } = this.#bounds;
    if (pooled !== undefined || statement.jwt.length > maxChars * POOL_LARGEST_SHARE) return copy;
    while (this.#pool.size >= maxEntries || this.#chars + statement.jwt.length > maxChars) {
      const oldest = this.#pool.keys().next();
      if (oldest.done === true) break;
      this.#chars -= oldest.value.length;
      this.#pool.delete(oldest.value);
    }
    this.#pool.set(statement.jwt, copy);
    this.#chars += statement.jwt.length;
    return copy;
  }
}

function retained(
  statement: DecodedEntityStatement,
  position: 'subject' | 'anchor' | 'middle',
): DecodedEntityStatement {
  return {
    jwt: statement.jwt,
    header: statement.header,
    kind: statement.kind,
    // Where it came from, for reports of what expires (the health report).
    ...(statement.source === undefined ? {} : { source: statement.source }),
    claims: retainedClaims(statement.claims, position),
  };
}

/**
 * The resolution cache key of a subject under the configured anchors of a query. The anchors'
 * order matters (it breaks ties between chains, §10.3); Entity Types do not (a resolution holds
 * every type, and responses select from it); the anchors' version drops results computed with
 * trust anchors that have since been reloaded.
 */
export function resolutionKey(
  anchorsVersion: number,
  subject: string,
  anchors: readonly TrustAnchor[],
): string {
  return JSON.stringify([anchorsVersion, subject, anchors.map((anchor) => anchor.entity_id)]);
}

/**
 * Bytes a cached resolution is charged, an upper bound of what it retains: each statement's
 * compact JWS (shared with the statement cache, but charged here too) and its retained claims,
 * the Resolved Metadata as objects, and the trust mark report evaluated later; a failure holds its
 * reason only.
 */
export function resolvedEntrySize(key: string, entry: ResolutionEntry): number {
  const overhead = 512 + key.length * 2;
  if (!entry.result.ok) return overhead + JSON.stringify(entry.result.failure).length * 2;
  const { chain } = entry.result;
  let statements = 0;
  for (const statement of chain.statements) {
    statements += statement.jwt.length + JSON.stringify(statement.claims).length * 3;
  }
  return overhead + statements + JSON.stringify(chain.metadata).length * 3;
}
