/**
 * TrustChainResolver: discovery (§10.1), validation (§10.2, §6), choice (§10.3) and a trace of
 * everything tried, through the StatementSource port. Never throws for a resolution that fails:
 * the outcome carries the error and the trace, so diagnostics can explain it, and the URLs of
 * the statements it found unusable, so the caller's caches can forget them.
 */
import {
  FederationError,
  InvalidMetadataError,
  InvalidTrustChainError,
  TemporarilyUnavailableError,
  federationError,
  toFederationError,
  type FailureDetail,
} from './errors.js';
import {
  startDiscovery,
  type DeadBranch,
  type DiscoveryLimits,
  type FetchTrace,
  type StatementValidationOptions,
} from './path-discovery.js';
import { decodeEntityStatement } from './entity-statement.js';
import type { Clock, StatementSource } from './ports.js';
import { locateToleranceUses, type LocatedToleranceUse } from './tolerances.js';
import { resolveTrustChain, resolveTrustChainJwts, type TrustChainOptions } from './trust-chain.js';
import type {
  DecodedEntityStatement,
  ResolutionQuery,
  ResolvedTrustChain,
  TrustAnchor,
} from './types.js';

/** Validation settings shared by every resolution (everything but the time and the chain). */
export type ResolverValidationOptions = StatementValidationOptions &
  Omit<TrustChainOptions, 'now' | 'intermediateConfigurations'>;

/** Construction options of {@link TrustChainResolver}. */
export interface TrustChainResolverOptions {
  readonly source: StatementSource;
  readonly limits?: Partial<DiscoveryLimits>;
  readonly validation?: ResolverValidationOptions;
  /** Measures fetch durations for the trace. */
  readonly clock?: Clock;
}

/** How one resolution runs. */
export interface ResolutionContext {
  /** The configured Trust Anchors among those requested, in the caller's order of preference. */
  readonly trustAnchors: readonly TrustAnchor[];
  /** Current time, seconds. */
  readonly now: number;
  /** Aborted at the resolution deadline. */
  readonly signal?: AbortSignal;
  /** Validate every candidate chain, not only until the preferred valid one (diagnostics). */
  readonly exhaustive?: boolean;
  /** Fetch every statement anew (refresh before expiry). */
  readonly refresh?: boolean;
}

/** The fate of one path tried. */
export interface BranchReport {
  /** Entity Identifiers from the subject up to the anchor (or to where the branch ended). */
  readonly path: readonly string[];
  /**
   * `valid`: a complete chain was validated. `invalid`: a complete chain failed validation, or
   * the branch ended at a statement that was received and found invalid. `incomplete`: discovery
   * could not finish it (a statement could not be obtained, or a bound of this resolver was
   * reached). `not_evaluated`: a preferred valid chain was found first.
   */
  readonly status: 'valid' | 'invalid' | 'incomplete' | 'not_evaluated';
  readonly failure?: FailureDetail;
  /** Chain expiry, for valid chains. */
  readonly exp?: number;
  /** Deviations its statements were accepted with (tolerances.ts), for complete chains. */
  readonly tolerated?: readonly LocatedToleranceUse[];
}

/** Everything a resolution did, as data (for the diagnostics API). */
export interface ResolutionTrace {
  readonly subject: string;
  readonly trustAnchors: readonly string[];
  readonly fetches: readonly FetchTrace[];
  readonly branches: readonly BranchReport[];
  readonly chosen?: {
    readonly path: readonly string[];
    readonly trustAnchor: string;
    readonly reason: string;
  };
}

/** Result of a resolution: the chosen chain, or the error, with the trace either way. */
export type ResolutionOutcome = (
  | { readonly ok: true; readonly chain: ResolvedTrustChain }
  | { readonly ok: false; readonly error: FederationError }
) & {
  readonly trace: ResolutionTrace;
  /** URLs of statements that were received but found unusable. */
  readonly rejected: readonly string[];
};

/**
 * The outcome of a resolution that ended with `error` before discovery could report anything
 * (its runner failed or did not answer): an empty trace, nothing rejected.
 */
export function failedOutcome(query: ResolutionQuery, error: FederationError): ResolutionOutcome {
  const trace = {
    subject: query.subject,
    trustAnchors: query.trustAnchors,
    fetches: [],
    branches: [],
  };
  return { ok: false, error, trace, rejected: [] };
}

/** A resolution in progress (see {@link TrustChainResolver.start}). */
export interface ResolutionRun {
  /**
   * The subject's Entity Configuration once it has passed its own checks (or `undefined`), before
   * the outcome: work that needs only it (its trust marks) can start while superiors are fetched.
   */
  readonly subjectConfiguration: Promise<DecodedEntityStatement | undefined>;
  readonly outcome: Promise<ResolutionOutcome>;
}

/** How the chosen chain won, in one sentence (documented rule of select-chain.ts). */
const CHOICE_RULE =
  'the shortest valid chain; among equally short ones the Trust Anchor listed first in the request, then the lexically smallest path';

/** Resolves subjects to validated trust chains through a {@link StatementSource}. */
export class TrustChainResolver {
  readonly #options: TrustChainResolverOptions;

  constructor(options: TrustChainResolverOptions) {
    this.#options = options;
  }

  /**
   * Validates a chain given as compact JWS strings against the pinned `trustAnchors`, with the
   * same checks as a discovered chain and without any network request (§10.2): how a chain that
   * another replica resolved is taken from a shared cache without trusting the cache.
   */
  revalidate(
    jwts: readonly string[],
    trustAnchors: readonly TrustAnchor[],
    now: number,
  ): Promise<ResolvedTrustChain> {
    return resolveTrustChainJwts(jwts, trustAnchors, { ...this.#options.validation, now });
  }

  /**
   * Validates an Entity Configuration as a one-element chain whose Trust Anchor keys are the
   * statement's own `jwks`: every check of a pinned anchor's configuration (§3.2, §10.2) except
   * that the keys are pinned, so it proves the statement is self-consistent, never that the keys
   * are the right ones (§11.3: those are compared out of band).
   */
  async selfSigned(jwt: string, now: number): Promise<ResolvedTrustChain> {
    const { claims } = decodeEntityStatement(jwt, this.#options.validation);
    try {
      return await this.revalidate([jwt], [{ entity_id: claims.iss, jwks: claims.jwks }], now);
    } catch (error) {
      // Nothing is pinned yet: the signature's own failure says what is wrong, not the pin's.
      if (
        error instanceof FederationError &&
        error.reason === 'anchor_keys_mismatch' &&
        error.cause instanceof FederationError
      ) {
        throw error.cause;
      }
      throw error;
    }
  }

  /** Discovers, validates and chooses a trust chain for `query.subject`. */
  resolve(query: ResolutionQuery, context: ResolutionContext): Promise<ResolutionOutcome> {
    return this.start(query, context).outcome;
  }

  /** Starts a resolution; see {@link ResolutionRun}. */
  start(query: ResolutionQuery, context: ResolutionContext): ResolutionRun {
    const anchorIds = context.trustAnchors.map((anchor) => anchor.entity_id);
    const discovery = startDiscovery(
      { subject: query.subject, trustAnchors: anchorIds },
      {
        source: this.#options.source,
        now: context.now,
        ...(this.#options.clock === undefined ? {} : { clock: this.#options.clock }),
        ...(context.signal === undefined ? {} : { signal: context.signal }),
        ...(context.refresh === true ? { refresh: true } : {}),
        ...(this.#options.limits === undefined ? {} : { limits: this.#options.limits }),
        ...(this.#options.validation === undefined ? {} : { validation: this.#options.validation }),
      },
    );
    return {
      subjectConfiguration: discovery.subjectConfiguration,
      outcome: discovery.result.then((discovered) =>
        this.#conclude(query.subject, anchorIds, context, discovered),
      ),
    };
  }

  async #conclude(
    subject: string,
    anchorIds: readonly string[],
    context: ResolutionContext,
    discovered: Awaited<ReturnType<typeof startDiscovery>['result']>,
  ): Promise<ResolutionOutcome> {
    const rejected = [...discovered.rejected];
    const trace = (branches: BranchReport[], chosen?: ResolutionTrace['chosen']) => ({
      subject,
      trustAnchors: anchorIds,
      fetches: discovered.fetches,
      branches,
      ...(chosen === undefined ? {} : { chosen }),
    });
    if (!discovered.ok) {
      // §8.3.2 errors: the subject's own failure keeps the code it was given where it happened
      // (not_found, temporarily_unavailable, invalid_trust_chain, invalid_metadata).
      const failure = discovered.error;
      return {
        ok: false,
        error: failure,
        trace: trace([
          {
            path: [subject],
            status: discovered.subjectRejected ? 'invalid' : 'incomplete',
            failure: failure.toDetail(),
          },
        ]),
        rejected,
      };
    }

    // Discovery returns the candidates most preferred first (select-chain.ts).
    const reports: BranchReport[] = [];
    const failures: FederationError[] = [];
    let chosen: ResolvedTrustChain | undefined;
    for (const candidate of discovered.candidates) {
      if (chosen !== undefined && context.exhaustive !== true) {
        reports.push({ path: candidate.path, status: 'not_evaluated' });
        continue;
      }
      try {
        const chain = await resolveTrustChain(candidate.statements, context.trustAnchors, {
          ...this.#options.validation,
          now: context.now,
          intermediateConfigurations: discovered.configurations,
        });
        reports.push({
          path: candidate.path,
          status: 'valid',
          exp: chain.exp,
          ...(chain.tolerated === undefined ? {} : { tolerated: chain.tolerated }),
        });
        chosen ??= chain;
      } catch (error) {
        const failure = toFederationError(error);
        const index = failure.location.statementIndex;
        const culprit = index === undefined ? undefined : candidate.statements[index];
        if (culprit?.source !== undefined) rejected.push(culprit.source);
        failures.push(failure);
        const tolerated = locateToleranceUses(candidate.statements);
        reports.push({
          path: candidate.path,
          status: 'invalid',
          failure: failure.toDetail(),
          ...(tolerated.length === 0 ? {} : { tolerated }),
        });
      }
    }
    reports.push(...discovered.deadBranches.map(deadBranchReport));

    if (chosen !== undefined) {
      return {
        ok: true,
        chain: chosen,
        trace: trace(reports, {
          path: chosen.path,
          trustAnchor: chosen.trustAnchor,
          reason: CHOICE_RULE,
        }),
        rejected,
      };
    }
    return {
      ok: false,
      error: failureOf(subject, context, failures, discovered.deadBranches),
      trace: trace(reports),
      rejected,
    };
  }
}

/**
 * The one error that stands for a resolution without a valid chain (§8.3.2 errors, §8.9; the
 * table in docs/decisions.md): the news a caller can act on comes first.
 */
function failureOf(
  subject: string,
  context: ResolutionContext,
  failures: readonly FederationError[],
  dead: readonly DeadBranch[],
): FederationError {
  // invalid_metadata: an otherwise valid chain failed its policy; that is the actionable news.
  const metadata = failures.find((failure) => failure instanceof InvalidMetadataError);
  if (metadata !== undefined) return metadata;
  const first = failures[0];
  if (first !== undefined) return first;
  // No chain was seen whole because the fetch budget ran out (§18.1): that is a limit of this
  // resolver, not a verdict on the federation, so it is not reported as an invalid chain.
  const cut = dead.find((branch) => branch.failure.reason === 'fetch_limit_exceeded');
  if (cut !== undefined) {
    return new TemporarilyUnavailableError(
      `no trust chain from ${subject} was complete when the resolution reached its fetch limit (${cut.failure.message})`,
      { reason: 'fetch_limit_exceeded', section: '§18.1' },
    );
  }
  // §10.5: when time ran out or a superior could not be reached, a retry may succeed.
  const transient = dead.find((branch) => branch.failure.code === 'temporarily_unavailable');
  if (context.signal?.aborted === true || transient !== undefined) {
    const aborted = context.signal?.aborted === true;
    return new TemporarilyUnavailableError(
      aborted
        ? 'the resolution did not finish before its deadline'
        : `a superior could not be reached (${transient?.failure.message ?? 'no answer'})`,
      {
        reason: aborted ? 'deadline_exceeded' : (transient?.failure.reason ?? 'upstream_timeout'),
        section: '§10.5',
        ...(transient?.failure.url === undefined ? {} : { url: transient.failure.url }),
        ...(transient?.failure.retryAfter === undefined
          ? {}
          : { retryAfter: transient.failure.retryAfter }),
      },
    );
  }
  // The first dead branch speaks for all; the diagnostics API lists every one of them. Its code
  // is kept when it is invalid_metadata (§8.9: null or invalid metadata, in any statement);
  // anything else that stops every branch means no chain validates.
  const main = dead[0]?.failure;
  const { code, message, reason, section, ...location } = main ?? {
    code: 'invalid_trust_chain',
    message: 'nothing to follow',
    reason: 'no_path_to_trust_anchor',
  };
  const text = `no trust chain leads from ${subject} to a requested Trust Anchor: ${message}`;
  const options = { reason, section: section ?? '§10.1', ...location };
  return code === 'invalid_metadata'
    ? federationError(code, text, options)
    : new InvalidTrustChainError(text, options);
}

function deadBranchReport(branch: DeadBranch): BranchReport {
  return {
    path: branch.path,
    status: branch.rejected === true ? 'invalid' : 'incomplete',
    failure: branch.failure,
  };
}
