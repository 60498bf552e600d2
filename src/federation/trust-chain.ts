/**
 * Trust chain validation (§4, §10.2): linkage, keys from the statement above, the Trust Anchor's
 * pinned keys, time windows, authority hints and constraints; then the Resolved Metadata.
 */
import { locateToleranceUses } from './tolerances.js';
import { CORE_LIMITS } from './constants.js';
import { validateConstraints } from './constraints.js';
import {
  decodeEntityStatement,
  validateStatementTime,
  verifyEntityStatement,
  type DecodeOptions,
  type VerifyOptions,
} from './entity-statement.js';
import { FederationError, InvalidTrustChainError } from './errors.js';
import { resolveChainMetadata } from './resolved-metadata.js';
import type { TimeOptions } from './time-window.js';
import type {
  DecodedEntityStatement,
  Jwk,
  JwkSet,
  ResolvedTrustChain,
  TrustAnchor,
  TrustChain,
} from './types.js';
import { jwkIdentity } from './verification-key.js';

/** Options of chain validation. */
export interface TrustChainOptions extends DecodeOptions, TimeOptions, VerifyOptions {
  /** Longest chain accepted, in statements. */
  readonly maxChainLength?: number;
  /**
   * Entity Configurations of the chain's Intermediates, by Entity Identifier, when the caller has
   * them (path discovery does). Used to check that each Subordinate Statement's issuer is among
   * its subject's `authority_hints` above the first level (§3.2 step 6).
   */
  readonly intermediateConfigurations?: ReadonlyMap<string, DecodedEntityStatement>;
}

function at(statement: DecodedEntityStatement | undefined, index: number) {
  return statement === undefined
    ? { statementIndex: index }
    : { statementIndex: index, iss: statement.claims.iss, sub: statement.claims.sub };
}

function chainError(
  reason:
    | 'chain_empty'
    | 'chain_too_long'
    | 'iss_sub_mismatch'
    | 'issuer_not_in_authority_hints'
    | 'trust_anchor_unknown'
    | 'entity_configuration_expected'
    | 'subordinate_statement_expected',
  message: string,
  section: string,
  statement?: DecodedEntityStatement,
  index?: number,
): InvalidTrustChainError {
  return new InvalidTrustChainError(message, {
    reason,
    section,
    ...(index === undefined ? {} : at(statement, index)),
  });
}

/** Same public key material, so one verification stands for both sets. */
function sameKey(a: Jwk | undefined, b: Jwk | undefined): boolean {
  return a !== undefined && b !== undefined && jwkIdentity(a) === jwkIdentity(b);
}

function findKey(jwks: JwkSet, kid: string): Jwk | undefined {
  return jwks.keys.find((key) => key.kid === kid);
}

/** Shape checks: ES[0] and the anchor's configuration are ECs, everything between is an SS. */
function validateShape(statements: readonly DecodedEntityStatement[], maxLength: number): void {
  if (statements.length === 0) {
    throw chainError('chain_empty', 'the trust chain is empty', '§4');
  }
  if (statements.length > maxLength) {
    throw chainError(
      'chain_too_long',
      `the trust chain has ${statements.length} statements, more than the limit of ${maxLength}`,
      '§4',
    );
  }
  const first = statements[0];
  if (first?.kind !== 'entity_configuration') {
    throw chainError(
      'entity_configuration_expected',
      "the chain must start with the subject's Entity Configuration (iss == sub)",
      '§4',
      first,
      0,
    );
  }
  const last = statements.length - 1;
  statements.forEach((statement, index) => {
    if (index === 0) return;
    const isAnchorConfiguration = index === last && statement.kind === 'entity_configuration';
    // An anchor configuration right after the subject's would describe the same entity twice.
    if (statement.kind !== 'subordinate_statement' && !(isAnchorConfiguration && index >= 2)) {
      throw chainError(
        'subordinate_statement_expected',
        'only Subordinate Statements may stand between the subject and the Trust Anchor',
        '§4',
        statement,
        index,
      );
    }
  });
}

/** §4: ES[j].iss == ES[j+1].sub for every j. */
function validateLinkage(statements: readonly DecodedEntityStatement[]): void {
  for (let j = 0; j + 1 < statements.length; j++) {
    const lower = statements[j];
    const upper = statements[j + 1];
    if (lower !== undefined && upper !== undefined && lower.claims.iss !== upper.claims.sub) {
      throw chainError(
        'iss_sub_mismatch',
        `statement ${j + 1} is about ${upper.claims.sub}, but statement ${j} was issued by ${lower.claims.iss}`,
        '§4',
        upper,
        j + 1,
      );
    }
  }
}

/** §3.2 step 6: a Subordinate Statement's issuer must be in its subject's `authority_hints`. */
function validateAuthorityHints(
  statements: readonly DecodedEntityStatement[],
  intermediates: ReadonlyMap<string, DecodedEntityStatement> | undefined,
): void {
  statements.forEach((statement, index) => {
    if (index === 0 || statement.kind !== 'subordinate_statement') return;
    const subjectConfiguration =
      index === 1 ? statements[0] : intermediates?.get(statement.claims.sub);
    if (subjectConfiguration === undefined) return;
    const hints = subjectConfiguration.claims.authority_hints ?? [];
    if (!hints.includes(statement.claims.iss)) {
      throw chainError(
        'issuer_not_in_authority_hints',
        `${statement.claims.iss} is not among the authority_hints of ${statement.claims.sub}`,
        '§3.2',
        statement,
        index,
      );
    }
  });
}

/** Adds the statement's position to a failure of one statement. */
function locate(error: unknown, statement: DecodedEntityStatement, index: number): unknown {
  return error instanceof FederationError ? error.withLocation(at(statement, index)) : error;
}

/**
 * §10.2: ES[j] verifies with ES[j+1].jwks; ES[0] also with its own jwks; the anchor's
 * configuration (or, when omitted, the anchor's Subordinate Statement) with the pinned keys.
 */
async function verifySignatures(
  statements: readonly DecodedEntityStatement[],
  anchor: TrustAnchor,
  options: VerifyOptions,
): Promise<void> {
  const last = statements.length - 1;
  const jobs = statements.map(async (statement, index) => {
    const isTopmost = index === last;
    const keys = isTopmost ? anchor.jwks : statements[index + 1]?.claims.jwks;
    if (keys === undefined) return;
    try {
      await verifyEntityStatement(statement, keys, options);
    } catch (error) {
      if (isTopmost && error instanceof FederationError) {
        // §10, §11.3: what the anchor serves must verify with the keys configured out of band.
        throw new InvalidTrustChainError(
          `the Trust Anchor ${anchor.entity_id} signed with a key that is not pinned (${error.reason})`,
          {
            reason: 'anchor_keys_mismatch',
            section: '§10.2',
            ...at(statement, index),
            cause: error,
          },
        );
      }
      throw locate(error, statement, index);
    }
    // §4: ES[0] is also signed with a key in its own jwks. When that key is the one just used
    // (the usual case), a second verification would prove nothing new.
    if (index === 0 && statement.kind === 'entity_configuration') {
      const own = findKey(statement.claims.jwks, statement.header.kid);
      if (!sameKey(own, findKey(keys, statement.header.kid))) {
        await verifyEntityStatement(statement, statement.claims.jwks, options).catch(
          (error: unknown) => {
            throw locate(error, statement, index);
          },
        );
      }
    }
  });
  const results = await Promise.allSettled(jobs);
  // Report the failure closest to the subject, whatever order the verifications finished in.
  for (const result of results) {
    if (result.status === 'rejected') throw result.reason;
  }
}

function findAnchor(
  statements: readonly DecodedEntityStatement[],
  trustAnchors: readonly TrustAnchor[],
): TrustAnchor {
  const last = statements.length - 1;
  const top = statements[last];
  const anchorId = top?.claims.iss;
  const anchor = trustAnchors.find((candidate) => candidate.entity_id === anchorId);
  if (top === undefined || anchor === undefined) {
    throw chainError(
      'trust_anchor_unknown',
      `the chain ends at ${String(anchorId)}, which is not a configured Trust Anchor`,
      '§10.2',
      top,
      last,
    );
  }
  return anchor;
}

/**
 * Validates a trust chain ES[0..i] (§4, §10.2) against the configured Trust Anchors. The array
 * may end with the anchor's Entity Configuration or with the anchor's Subordinate Statement.
 * Does not apply metadata policy; see {@link resolveTrustChain}.
 */
export async function validateTrustChain(
  statements: readonly DecodedEntityStatement[],
  trustAnchors: TrustAnchor | readonly TrustAnchor[],
  options: TrustChainOptions,
): Promise<TrustChain> {
  const anchors = 'entity_id' in trustAnchors ? [trustAnchors] : trustAnchors;
  validateShape(statements, options.maxChainLength ?? CORE_LIMITS.maxChainLength);
  const anchor = findAnchor(statements, anchors);
  statements.forEach((statement, index) => {
    try {
      validateStatementTime(statement, options);
    } catch (error) {
      throw locate(error, statement, index);
    }
  });
  validateLinkage(statements);
  validateAuthorityHints(statements, options.intermediateConfigurations);
  validateConstraints(statements);
  // §3.3 step 5: signatures last, they are the most expensive checks.
  await verifySignatures(statements, anchor, options);

  const subject = statements[0]?.claims.sub ?? '';
  const path = [
    subject,
    ...statements
      .slice(1)
      .filter((s) => s.kind === 'subordinate_statement')
      .map((s) => s.claims.iss),
  ];
  const tolerated = locateToleranceUses(statements);
  return {
    statements,
    subject,
    trustAnchor: anchor.entity_id,
    path,
    // §10.4: a chain expires with its first-expiring statement.
    exp: Math.min(...statements.map((statement) => statement.claims.exp)),
    ...(tolerated.length === 0 ? {} : { tolerated }),
  };
}

/** Validates a chain and computes the subject's Resolved Metadata (§10.2, §6.1.4). */
export async function resolveTrustChain(
  statements: readonly DecodedEntityStatement[],
  trustAnchors: TrustAnchor | readonly TrustAnchor[],
  options: TrustChainOptions,
): Promise<ResolvedTrustChain> {
  const chain = await validateTrustChain(statements, trustAnchors, options);
  return { ...chain, metadata: resolveChainMetadata(chain.statements) };
}

/**
 * Decodes and validates a chain given as compact JWS strings, as in a `trust_chain` header
 * (§4.3), with or without the anchor's Entity Configuration at the end; returns it resolved.
 */
export async function resolveTrustChainJwts(
  jwts: unknown,
  trustAnchors: TrustAnchor | readonly TrustAnchor[],
  options: TrustChainOptions,
): Promise<ResolvedTrustChain> {
  const max = options.maxChainLength ?? CORE_LIMITS.maxChainLength;
  if (!Array.isArray(jwts) || jwts.length === 0) {
    throw chainError(
      'chain_empty',
      'a trust chain must be a non-empty array of compact JWS strings',
      '§4.3',
    );
  }
  if (jwts.length > max) {
    throw chainError(
      'chain_too_long',
      `the trust chain has ${jwts.length} statements, more than ${max}`,
      '§4.3',
    );
  }
  const statements = jwts.map((jwt: unknown, index) => {
    try {
      return decodeEntityStatement(jwt, options);
    } catch (error) {
      throw error instanceof FederationError
        ? error.withLocation({ statementIndex: index })
        : error;
    }
  });
  return resolveTrustChain(statements, trustAnchors, options);
}
