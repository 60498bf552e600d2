/**
 * Bottom-up path discovery (§10.1, digest §3.2): from the subject's Entity Configuration through
 * `authority_hints` up to the requested Trust Anchors. Independent fetches run concurrently, no
 * statement is fetched twice in one discovery, hints that close a loop are never used, and every
 * bound (depth, hints per entity, fetches, candidate chains, deadline) ends a branch with a reason.
 */
import { FEDERATION_ENTITY } from './constants.js';
import { decodeEntityStatement, type DecodeOptions } from './entity-statement.js';
import {
  FederationError,
  InvalidTrustChainError,
  TemporarilyUnavailableError,
  type FailureDetail,
  type FailureReason,
} from './errors.js';
import { getOwn } from './json.js';
import { compareTrustChains } from './select-chain.js';
import type { FetchContext, FetchedStatement, StatementSource } from './ports.js';
import type { DecodedEntityStatement } from './types.js';

/** Bounds of one discovery (architecture rule 9). */
export interface DiscoveryLimits {
  /** Most superiors above the subject on one path (Intermediates + Trust Anchor). */
  readonly maxDepth: number;
  /** Most `authority_hints` followed per entity (§18.1: HTTP amplification). */
  readonly maxAuthorityHints: number;
  /** Most statements requested from the source in one discovery. */
  readonly maxFetches: number;
  /** Most candidate chains collected. */
  readonly maxCandidateChains: number;
}

/** Defaults of {@link DiscoveryLimits}. */
export const DEFAULT_DISCOVERY_LIMITS: DiscoveryLimits = {
  maxDepth: 6,
  maxAuthorityHints: 10,
  maxFetches: 64,
  maxCandidateChains: 16,
};

/** One statement request made during discovery, for diagnostics. */
export interface FetchTrace {
  readonly kind: 'entity_configuration' | 'subordinate_statement';
  /** The entity described (`sub`). */
  readonly subject: string;
  /** The issuer (the subject itself for an Entity Configuration). */
  readonly issuer: string;
  readonly url: string;
  /** 200 on success, the upstream status when one was received, else undefined. */
  readonly status?: number;
  readonly cacheHit: boolean;
  readonly durationMs: number;
  readonly error?: FailureDetail;
}

/** A path that could not be completed into a candidate chain. */
export interface DeadBranch {
  /** Entity Identifiers from the subject up to where the branch ended. */
  readonly path: readonly string[];
  readonly failure: FailureDetail;
}

/** A candidate chain: ES[0..i] ending with the Trust Anchor's Entity Configuration. */
export interface CandidateChain {
  readonly path: readonly string[];
  readonly statements: readonly DecodedEntityStatement[];
}

/** What discovery found. */
export interface DiscoveryResult {
  readonly subjectConfiguration: DecodedEntityStatement;
  /** Complete chains, most preferred first (select-chain.ts). */
  readonly candidates: readonly CandidateChain[];
  readonly deadBranches: readonly DeadBranch[];
  /** Entity Configurations of every superior fetched, for the authority_hints check (§3.2 step 6). */
  readonly configurations: ReadonlyMap<string, DecodedEntityStatement>;
  /** The URL each statement was obtained from. */
  readonly sourceUrls: ReadonlyMap<DecodedEntityStatement, string>;
}

/** Inputs of one discovery. */
export interface DiscoveryRequest {
  readonly subject: string;
  /** Entity Identifiers of the Trust Anchors to stop at (already filtered to configured ones). */
  readonly trustAnchors: readonly string[];
  readonly signal?: AbortSignal;
  /** Fetch every statement anew instead of from caches (see FetchContext.refresh). */
  readonly refresh?: boolean;
}

/** Options of {@link discoverTrustChains}. */
export interface DiscoveryOptions {
  readonly source: StatementSource;
  readonly limits?: Partial<DiscoveryLimits>;
  readonly decode?: DecodeOptions;
  /** Receives every statement request as it completes (diagnostics). */
  readonly onFetch?: (trace: FetchTrace) => void;
  /**
   * Checks every Entity Configuration as it arrives (throw to reject it): the subject's before
   * any superior is contacted, so an unusable subject costs one fetch, not a fan-out (§18.1), and
   * each superior's before its fetch endpoint or hints are used.
   */
  readonly acceptConfiguration?: (configuration: DecodedEntityStatement) => Promise<void>;
}

/**
 * The way up from some entity E to an anchor: the ids above E (immediate superior first, anchor
 * last) and the statements [SS(superior → E), …, SS(anchor → …), anchor EC].
 */
interface Suffix {
  readonly path: readonly string[];
  readonly statements: readonly DecodedEntityStatement[];
}

interface SuffixResult {
  readonly suffixes: readonly Suffix[];
  readonly dead: readonly DeadBranch[];
}

function detail(error: unknown): FailureDetail {
  if (error instanceof FederationError) return error.toDetail();
  return {
    code: 'server_error',
    reason: 'statement_unavailable',
    message: 'an unexpected error occurred while fetching a statement',
  };
}

function boundFailure(reason: FailureReason, message: string): FailureDetail {
  return new InvalidTrustChainError(message, { reason, section: '§10.1' }).toDetail();
}

/**
 * One discovery run: memoises every fetch (so nothing is requested twice) and every suffix
 * computation (so a shared superior is explored once).
 */
class Discovery {
  readonly #request: DiscoveryRequest;
  readonly #options: DiscoveryOptions;
  readonly #limits: DiscoveryLimits;
  readonly #anchors: ReadonlySet<string>;
  readonly #configurations = new Map<string, Promise<DecodedEntityStatement>>();
  readonly #subordinates = new Map<string, Promise<DecodedEntityStatement>>();
  readonly decodedConfigurations = new Map<string, DecodedEntityStatement>();
  readonly sourceUrls = new Map<DecodedEntityStatement, string>();
  #fetches = 0;
  #branches = 0;

  constructor(request: DiscoveryRequest, options: DiscoveryOptions) {
    this.#request = request;
    this.#options = options;
    this.#limits = { ...DEFAULT_DISCOVERY_LIMITS, ...options.limits };
    this.#anchors = new Set(request.trustAnchors);
  }

  /** Fetches with the shared bounds: fetch budget and deadline. */
  async #fetch(
    kind: FetchTrace['kind'],
    issuer: string,
    subject: string,
    fetchUrl: string,
    run: () => Promise<FetchedStatement>,
  ): Promise<DecodedEntityStatement> {
    if (this.#request.signal?.aborted === true) {
      throw new TemporarilyUnavailableError(
        'the resolution deadline passed before this statement was fetched',
        {
          reason: 'deadline_exceeded',
          url: fetchUrl,
        },
      );
    }
    if (++this.#fetches > this.#limits.maxFetches) {
      throw new InvalidTrustChainError(
        `the resolution needs more than ${this.#limits.maxFetches} statements`,
        { reason: 'fetch_limit_exceeded', section: '§18.1', url: fetchUrl },
      );
    }
    const started = Date.now();
    let fetched: FetchedStatement | undefined;
    try {
      fetched = await run();
      const decoded = decodeEntityStatement(fetched.jwt, this.#options.decode);
      if (decoded.claims.sub !== subject || decoded.claims.iss !== issuer) {
        // §3.2 step 4: the statement must describe the entity it was fetched for.
        throw new InvalidTrustChainError(
          `${fetched.url} returned a statement by ${decoded.claims.iss} about ${decoded.claims.sub}`,
          {
            reason: 'subject_mismatch',
            section: '§3.2',
            iss: decoded.claims.iss,
            sub: decoded.claims.sub,
          },
        );
      }
      this.sourceUrls.set(decoded, fetched.url);
      this.#options.onFetch?.({
        kind,
        subject,
        issuer,
        url: fetched.url,
        status: 200,
        cacheHit: fetched.cacheHit,
        durationMs: fetched.durationMs,
      });
      return decoded;
    } catch (error) {
      // A statement that arrived but cannot be used must not stay in any cache.
      if (fetched !== undefined) this.#options.source.discard?.(fetched.url);
      const failure =
        error instanceof FederationError
          ? error.withLocation({ url: fetched?.url ?? fetchUrl })
          : error;
      const failureDetail = detail(failure);
      this.#options.onFetch?.({
        kind,
        subject,
        issuer,
        url: fetched?.url ?? fetchUrl,
        ...(failureDetail.status === undefined
          ? fetched === undefined
            ? {}
            : { status: 200 }
          : { status: failureDetail.status }),
        cacheHit: fetched?.cacheHit ?? false,
        durationMs: fetched?.durationMs ?? Date.now() - started,
        error: failureDetail,
      });
      throw failure;
    }
  }

  /** The Entity Configuration of `entityId`, fetched at most once per discovery. */
  configuration(entityId: string): Promise<DecodedEntityStatement> {
    let pending = this.#configurations.get(entityId);
    if (pending === undefined) {
      pending = this.#fetch('entity_configuration', entityId, entityId, entityId, () =>
        this.#options.source.fetchEntityConfiguration(entityId, this.#context()),
      ).then(async (decoded) => {
        try {
          await this.#options.acceptConfiguration?.(decoded);
        } catch (error) {
          const url = this.sourceUrls.get(decoded);
          if (url !== undefined) this.#options.source.discard?.(url);
          throw error instanceof FederationError
            ? error.withLocation({ iss: entityId, sub: entityId })
            : error;
        }
        this.decodedConfigurations.set(entityId, decoded);
        return decoded;
      });
      pending.catch(() => undefined);
      this.#configurations.set(entityId, pending);
    }
    return pending;
  }

  /** The Subordinate Statement of `issuer` about `subject`, fetched at most once. */
  #subordinate(issuer: DecodedEntityStatement, subject: string): Promise<DecodedEntityStatement> {
    const key = `${issuer.claims.iss}\n${subject}`;
    let pending = this.#subordinates.get(key);
    if (pending === undefined) {
      const endpoint = getOwn(
        issuer.claims.metadata?.[FEDERATION_ENTITY] ?? {},
        'federation_fetch_endpoint',
      );
      if (typeof endpoint !== 'string') {
        pending = Promise.reject(
          new InvalidTrustChainError(
            `${issuer.claims.iss} publishes no federation_fetch_endpoint`,
            {
              reason: 'fetch_endpoint_missing',
              section: '§8.1',
              iss: issuer.claims.iss,
            },
          ),
        );
      } else {
        pending = this.#fetch('subordinate_statement', issuer.claims.iss, subject, endpoint, () =>
          this.#options.source.fetchSubordinateStatement(endpoint, subject, this.#context()),
        );
      }
      // Rejections are observed by whoever awaits; avoid unhandled-rejection noise meanwhile.
      pending.catch(() => undefined);
      this.#subordinates.set(key, pending);
    }
    return pending;
  }

  #context(): FetchContext {
    return {
      ...(this.#request.signal === undefined ? {} : { signal: this.#request.signal }),
      ...(this.#request.refresh === true ? { refresh: true } : {}),
    };
  }

  /**
   * Every way up from `entity` (whose configuration is known) to a requested anchor. `ancestors`
   * are the entities below it on the current path, used to refuse hints that close a loop.
   */
  async suffixesAbove(
    entity: DecodedEntityStatement,
    ancestors: readonly string[],
  ): Promise<SuffixResult> {
    const entityId = entity.claims.sub;
    const path = [...ancestors, entityId];
    const hints = entity.claims.authority_hints ?? [];
    const dead: DeadBranch[] = [];
    if (hints.length === 0) {
      dead.push({
        path,
        failure: boundFailure(
          'no_path_to_trust_anchor',
          `${entityId} has no authority_hints and is not a requested Trust Anchor`,
        ),
      });
      return { suffixes: [], dead };
    }
    if (ancestors.length >= this.#limits.maxDepth) {
      dead.push({
        path,
        failure: boundFailure(
          'max_depth_exceeded',
          `the path is deeper than ${this.#limits.maxDepth} superiors`,
        ),
      });
      return { suffixes: [], dead };
    }
    const followed = hints.slice(0, this.#limits.maxAuthorityHints);
    for (const ignored of hints.slice(this.#limits.maxAuthorityHints)) {
      dead.push({
        path: [...path, ignored],
        failure: boundFailure(
          'authority_hints_exceeded',
          `only the first ${this.#limits.maxAuthorityHints} authority_hints of ${entityId} are followed`,
        ),
      });
    }
    const results = await Promise.all(
      followed.map((hint) => this.#viaSuperior(entity, hint, path)),
    );
    const suffixes: Suffix[] = [];
    for (const result of results) {
      suffixes.push(...result.suffixes);
      dead.push(...result.dead);
    }
    return { suffixes, dead };
  }

  /**
   * Paths from `entity` through the superior `hint`. The statement about `entity` and the
   * superior's own superiors are fetched concurrently once the superior's configuration is known.
   * Suffix computations are not shared between paths (only fetches are): a shared computation
   * would depend on which path asked first and could wait on itself in a cyclic topology.
   */
  async #viaSuperior(
    entity: DecodedEntityStatement,
    hint: string,
    path: readonly string[],
  ): Promise<SuffixResult> {
    const branch = [...path, hint];
    // §10.1, §17.1: a hint that would close a loop MUST NOT be used.
    if (path.includes(hint)) {
      return {
        suffixes: [],
        dead: [
          {
            path: branch,
            failure: boundFailure('loop_detected', `${hint} is already on this path`),
          },
        ],
      };
    }
    if (++this.#branches > this.#limits.maxFetches * 4) {
      return {
        suffixes: [],
        dead: [
          {
            path: branch,
            failure: boundFailure(
              'fetch_limit_exceeded',
              'too many branches to explore in one resolution',
            ),
          },
        ],
      };
    }
    // Chain positions: the statement about `entity` is ES[path.length]; an anchor's
    // configuration right above it is ES[path.length + 1].
    const statementIndex = path.length;
    let superior: DecodedEntityStatement;
    try {
      superior = await this.configuration(hint);
    } catch (error) {
      const located =
        this.#anchors.has(hint) && error instanceof FederationError
          ? error.withLocation({ statementIndex: statementIndex + 1 })
          : error;
      return { suffixes: [], dead: [{ path: branch, failure: detail(located) }] };
    }
    const statement = this.#subordinate(superior, entity.claims.sub);
    // §10.1: a branch stops at a requested Trust Anchor; its configuration ends the chain.
    const above: Promise<SuffixResult> = this.#anchors.has(hint)
      ? Promise.resolve({ suffixes: [{ path: [], statements: [superior] }], dead: [] })
      : this.suffixesAbove(superior, path);
    let subordinate: DecodedEntityStatement;
    try {
      subordinate = await statement;
    } catch (error) {
      await above;
      const located =
        error instanceof FederationError ? error.withLocation({ statementIndex }) : error;
      return { suffixes: [], dead: [{ path: branch, failure: detail(located) }] };
    }
    const result = await above;
    return {
      suffixes: result.suffixes.map((suffix) => ({
        path: [hint, ...suffix.path],
        statements: [subordinate, ...suffix.statements],
      })),
      dead: result.dead,
    };
  }
}

/**
 * Discovers candidate trust chains for `request.subject` (§10.1). Throws when the subject's own
 * Entity Configuration cannot be fetched or decoded; everything else is reported per branch.
 */
export async function discoverTrustChains(
  request: DiscoveryRequest,
  options: DiscoveryOptions,
): Promise<DiscoveryResult> {
  const discovery = new Discovery(request, options);
  const subject = discovery.configuration(request.subject);
  // Every chain ends with a requested anchor's configuration, and its fetch endpoint is needed for
  // the last Subordinate Statement: fetching it alongside the subject's saves one sequential
  // round trip per resolution (d + 1 instead of d + 2 for d superiors). Failures surface, and are
  // traced, when a branch reaches the anchor.
  for (const anchor of request.trustAnchors) {
    if (anchor !== request.subject) discovery.configuration(anchor).catch(() => undefined);
  }
  const subjectConfiguration = await subject;
  if (subjectConfiguration.kind !== 'entity_configuration') {
    throw new InvalidTrustChainError('the subject did not publish an Entity Configuration', {
      reason: 'entity_configuration_expected',
      section: '§9',
    });
  }
  const limits = { ...DEFAULT_DISCOVERY_LIMITS, ...options.limits };
  const candidates: CandidateChain[] = [];
  const deadBranches: DeadBranch[] = [];
  // §4: a subject that is itself a requested Trust Anchor has a one-element chain.
  if (request.trustAnchors.includes(request.subject)) {
    candidates.push({ path: [request.subject], statements: [subjectConfiguration] });
  }
  if ((subjectConfiguration.claims.authority_hints ?? []).length > 0) {
    const result = await discovery.suffixesAbove(subjectConfiguration, []);
    for (const suffix of result.suffixes) {
      candidates.push({
        path: [request.subject, ...suffix.path],
        statements: [subjectConfiguration, ...suffix.statements],
      });
    }
    deadBranches.push(...result.dead);
  } else if (candidates.length === 0) {
    deadBranches.push({
      path: [request.subject],
      failure: boundFailure(
        'no_path_to_trust_anchor',
        `${request.subject} has no authority_hints and is not a requested Trust Anchor`,
      ),
    });
  }
  // Candidates come in the order of preference of select-chain.ts (the requested anchors' order
  // breaks ties), so a cap drops the least preferred ones, never the chain that would be chosen.
  candidates.sort((a, b) =>
    compareTrustChains(
      { ...a, trustAnchor: a.path[a.path.length - 1] ?? '' },
      { ...b, trustAnchor: b.path[b.path.length - 1] ?? '' },
      request.trustAnchors,
    ),
  );
  for (const chain of candidates.splice(limits.maxCandidateChains)) {
    deadBranches.push({
      path: chain.path,
      failure: boundFailure(
        'candidate_limit_exceeded',
        `only the ${limits.maxCandidateChains} preferred candidate chains are validated`,
      ),
    });
  }
  return {
    subjectConfiguration,
    candidates,
    deadBranches,
    configurations: discovery.decodedConfigurations,
    sourceUrls: discovery.sourceUrls,
  };
}
