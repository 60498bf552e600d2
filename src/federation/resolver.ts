/**
 * TrustChainResolver: discovery (§10.1), validation (§10.2, §6), choice (§10.3) and a trace of
 * everything tried, through the StatementSource port. Never throws for a resolution that fails:
 * the outcome carries the error and the trace, so diagnostics can explain it.
 */
import { validateStatementTime, verifyEntityStatement } from './entity-statement.js';
import {
  FederationError,
  InvalidMetadataError,
  InvalidTrustChainError,
  NotFoundError,
  ServerError,
  TemporarilyUnavailableError,
  type FailureDetail,
} from './errors.js';
import {
  discoverTrustChains,
  type DeadBranch,
  type DiscoveryLimits,
  type FetchTrace,
} from './path-discovery.js';
import type { StatementSource } from './ports.js';
import { resolveTrustChain, type TrustChainOptions } from './trust-chain.js';
import type { DecodedEntityStatement, ResolvedTrustChain, TrustAnchor } from './types.js';

/** Validation settings shared by every resolution (everything but the time and the chain). */
export type ResolverValidationOptions = Omit<
  TrustChainOptions,
  'now' | 'intermediateConfigurations'
>;

/** Construction options of {@link TrustChainResolver}. */
export interface TrustChainResolverOptions {
  readonly source: StatementSource;
  readonly limits?: Partial<DiscoveryLimits>;
  readonly validation?: ResolverValidationOptions;
}

/** One resolution request. */
export interface ResolutionRequest {
  readonly subject: string;
  /** Requested Trust Anchors that are configured, in the caller's order of preference. */
  readonly trustAnchors: readonly TrustAnchor[];
  /** Current time, seconds. */
  readonly now: number;
  /** Aborted at the resolution deadline. */
  readonly signal?: AbortSignal;
  /** Validate every candidate chain, not only until the preferred valid one (diagnostics). */
  readonly exhaustive?: boolean;
  /** Fetch every statement anew (refresh before expiry). */
  readonly refresh?: boolean;
  /**
   * Called once the subject's configuration has passed its own checks, while its superiors are
   * still being discovered: lets the caller start work that depends only on it (trust marks).
   */
  readonly onSubjectConfiguration?: (configuration: DecodedEntityStatement) => void;
}

/** The fate of one path tried. */
export interface BranchReport {
  /** Entity Identifiers from the subject up to the anchor (or to where the branch ended). */
  readonly path: readonly string[];
  /** `valid`/`invalid`: a complete chain was validated; `incomplete`: discovery could not finish
   * it; `not_evaluated`: a preferred valid chain was found first. */
  readonly status: 'valid' | 'invalid' | 'incomplete' | 'not_evaluated';
  readonly failure?: FailureDetail;
  /** Chain expiry, for valid chains. */
  readonly exp?: number;
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
export type ResolutionOutcome =
  | { readonly ok: true; readonly chain: ResolvedTrustChain; readonly trace: ResolutionTrace }
  | { readonly ok: false; readonly error: FederationError; readonly trace: ResolutionTrace };

/** How the chosen chain won, in one sentence (documented rule of select-chain.ts). */
const CHOICE_RULE =
  'the shortest valid chain; among equally short ones the Trust Anchor listed first in the request, then the lexically smallest path';

function toFederationError(error: unknown): FederationError {
  if (error instanceof FederationError) return error;
  return new ServerError('an unexpected error occurred during resolution', {
    reason: 'statement_unavailable',
    cause: error,
  });
}

/** Resolves subjects to validated trust chains through a {@link StatementSource}. */
export class TrustChainResolver {
  readonly #options: TrustChainResolverOptions;

  constructor(options: TrustChainResolverOptions) {
    this.#options = options;
  }

  /** Discovers, validates and chooses a trust chain for `request.subject`. */
  async resolve(request: ResolutionRequest): Promise<ResolutionOutcome> {
    const fetches: FetchTrace[] = [];
    let finished = false;
    const anchorIds = request.trustAnchors.map((anchor) => anchor.entity_id);
    const trace = (
      branches: BranchReport[],
      chosen?: ResolutionTrace['chosen'],
    ): ResolutionTrace => {
      finished = true;
      return {
        subject: request.subject,
        trustAnchors: anchorIds,
        fetches: [...fetches],
        branches,
        ...(chosen === undefined ? {} : { chosen }),
      };
    };
    const validation: TrustChainOptions = { ...this.#options.validation, now: request.now };

    let discovered;
    try {
      discovered = await discoverTrustChains(
        {
          subject: request.subject,
          trustAnchors: anchorIds,
          ...(request.signal === undefined ? {} : { signal: request.signal }),
          ...(request.refresh === true ? { refresh: true } : {}),
        },
        {
          source: this.#options.source,
          ...(this.#options.limits === undefined ? {} : { limits: this.#options.limits }),
          ...(this.#options.validation === undefined ? {} : { decode: this.#options.validation }),
          // A prefetch still running when the resolution ends is not part of its trace.
          onFetch: (fetch) => {
            if (!finished) fetches.push(fetch);
          },
          // §3.2 steps 7, 8, 12 for every configuration used, including those of superiors.
          acceptConfiguration: async (configuration) => {
            validateStatementTime(configuration, validation);
            // A requested anchor's configuration is verified with its pinned keys when its chain
            // is validated (§10.2), which names a failure anchor_keys_mismatch.
            if (!anchorIds.includes(configuration.claims.sub)) {
              await verifyEntityStatement(configuration, configuration.claims.jwks, validation);
            }
            if (configuration.claims.sub === request.subject)
              request.onSubjectConfiguration?.(configuration);
          },
        },
      );
    } catch (error) {
      const failure = subjectFailure(error);
      return {
        ok: false,
        error: failure,
        trace: trace([
          { path: [request.subject], status: 'incomplete', failure: failure.toDetail() },
        ]),
      };
    }

    // Discovery returns the candidates most preferred first (select-chain.ts).
    const ordered = discovered.candidates;
    const reports: BranchReport[] = [];
    const failures: FederationError[] = [];
    let chosen: ResolvedTrustChain | undefined;
    for (const candidate of ordered) {
      if (chosen !== undefined && request.exhaustive !== true) {
        reports.push({ path: candidate.path, status: 'not_evaluated' });
        continue;
      }
      try {
        const chain = await resolveTrustChain(candidate.statements, request.trustAnchors, {
          ...validation,
          intermediateConfigurations: discovered.configurations,
        });
        reports.push({ path: candidate.path, status: 'valid', exp: chain.exp });
        chosen ??= chain;
      } catch (error) {
        const failure = toFederationError(error);
        const index = failure.location.statementIndex;
        const culprit = index === undefined ? undefined : candidate.statements[index];
        const url = culprit === undefined ? undefined : discovered.sourceUrls.get(culprit);
        if (url !== undefined) this.#options.source.discard?.(url);
        failures.push(failure);
        reports.push({ path: candidate.path, status: 'invalid', failure: failure.toDetail() });
      }
    }
    reports.push(...discovered.deadBranches.map(incomplete));

    if (chosen !== undefined) {
      return {
        ok: true,
        chain: chosen,
        trace: trace(reports, {
          path: chosen.path,
          trustAnchor: chosen.trustAnchor,
          reason: CHOICE_RULE,
        }),
      };
    }
    return {
      ok: false,
      error: this.#failure(request, failures, discovered.deadBranches),
      trace: trace(reports),
    };
  }

  /** The one error that stands for a failed resolution (architecture §5). */
  #failure(
    request: ResolutionRequest,
    failures: readonly FederationError[],
    dead: readonly DeadBranch[],
  ): FederationError {
    // invalid_metadata: an otherwise valid chain failed its policy; that is the actionable news.
    const metadata = failures.find((failure) => failure instanceof InvalidMetadataError);
    if (metadata !== undefined) return metadata;
    const first = failures[0];
    if (first !== undefined) return first;
    if (
      request.signal?.aborted === true ||
      dead.some((branch) => branch.failure.code === 'temporarily_unavailable')
    ) {
      const cause = dead.find(
        (branch) => branch.failure.code === 'temporarily_unavailable',
      )?.failure;
      return new TemporarilyUnavailableError(
        request.signal?.aborted === true
          ? 'the resolution did not finish before its deadline'
          : `a superior did not answer in time (${cause?.reason ?? 'upstream_timeout'})`,
        {
          reason:
            request.signal?.aborted === true
              ? 'deadline_exceeded'
              : (cause?.reason ?? 'upstream_timeout'),
          section: '§10.5',
        },
      );
    }
    // The first dead branch speaks for all; the diagnostics API lists every one of them.
    const main = dead[0]?.failure;
    const {
      code: _code,
      message,
      reason,
      section,
      ...location
    } = main ?? {
      code: 'invalid_trust_chain',
      message: 'nothing to follow',
      reason: 'no_path_to_trust_anchor',
    };
    return new InvalidTrustChainError(
      `no trust chain leads from ${request.subject} to a requested Trust Anchor: ${message}`,
      { reason, section: section ?? '§10.1', ...location },
    );
  }
}

/**
 * The error for a subject whose own configuration failed (§8.3.2 errors, architecture §5): one
 * that could not be retrieved is `not_found`, unless only time ran out (a retry may succeed);
 * one that was retrieved but is unusable keeps its own code (`invalid_trust_chain`, …).
 */
function subjectFailure(error: unknown): FederationError {
  const failure = toFederationError(error);
  const timedOut = failure.reason === 'upstream_timeout' || failure.reason === 'deadline_exceeded';
  if (failure instanceof TemporarilyUnavailableError && !timedOut) {
    return new NotFoundError(
      `the Entity Configuration of the subject cannot be retrieved (${failure.reason})`,
      {
        ...failure.location,
        reason: failure.reason,
        statementIndex: 0,
        ...(failure.section === undefined ? {} : { section: failure.section }),
        cause: failure,
      },
    );
  }
  return failure.withLocation({ statementIndex: 0 });
}

function incomplete(branch: DeadBranch): BranchReport {
  return { path: branch.path, status: 'incomplete', failure: branch.failure };
}
