/**
 * Bottom-up path discovery (§10.1): from the subject's Entity Configuration through
 * `authority_hints` up to the requested Trust Anchors. Independent fetches run concurrently, no
 * statement is fetched twice in one discovery, hints that close a loop are never used (§17.1),
 * every configuration used is checked before its hints or fetch endpoint are (§3.2), and every
 * bound (depth, hints per entity, fetches, candidate chains, deadline) ends a branch with a reason.
 * Discovery reports as data what it fetched and which received statements it found unusable; it
 * never tells a cache what to do.
 */
import { FEDERATION_ENTITY } from './constants.js';
import {
  decodeEntityStatement,
  validateStatementTime,
  verifyEntityStatement,
  type DecodeOptions,
  type VerifyOptions,
} from './entity-statement.js';
import {
  FederationError,
  InvalidTrustChainError,
  TemporarilyUnavailableError,
  toFederationError,
  type FailureDetail,
  type FailureReason,
} from './errors.js';
import { getOwn } from './json.js';
import type { Clock, FetchContext, FetchedStatement, StatementSource } from './ports.js';
import { compareTrustChains } from './select-chain.js';
import type { DecodedEntityStatement, ResolutionQuery } from './types.js';

/** Bounds of one discovery (§18.1: HTTP amplification; docs/decisions.md). */
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

/** What discovery did, whatever its outcome. */
export interface DiscoveryRecord {
  /** Every statement request that completed during the discovery, in completion order. */
  readonly fetches: readonly FetchTrace[];
  /** URLs of statements that were received but found unusable (a cache should forget them). */
  readonly rejected: readonly string[];
}

/** What discovery found. */
export type DiscoveryResult = DiscoveryRecord &
  (
    | {
        readonly ok: true;
        readonly subjectConfiguration: DecodedEntityStatement;
        /** Complete chains, most preferred first (select-chain.ts). */
        readonly candidates: readonly CandidateChain[];
        readonly deadBranches: readonly DeadBranch[];
        /** Entity Configurations of every superior used, for the authority_hints check (§3.2). */
        readonly configurations: ReadonlyMap<string, DecodedEntityStatement>;
      }
    | {
        readonly ok: false;
        /** Why the subject's own Entity Configuration cannot be used (statementIndex 0). */
        readonly error: FederationError;
      }
  );

/** Checks of every configuration discovery uses: decoding, time window, self-signature. */
export interface StatementValidationOptions extends DecodeOptions, VerifyOptions {
  /** Clock-skew leeway in seconds (§3.2 steps 7, 8). */
  readonly clockSkew?: number;
}

/** Options of one discovery. */
export interface DiscoveryOptions {
  readonly source: StatementSource;
  /** Current time, seconds: configurations are checked against it. */
  readonly now: number;
  /** Measures fetch durations; without it failed fetches report 0 ms. */
  readonly clock?: Clock;
  /** Aborted at the resolution deadline. */
  readonly signal?: AbortSignal;
  /** Fetch every statement anew instead of from caches (see FetchContext.refresh). */
  readonly refresh?: boolean;
  readonly limits?: Partial<DiscoveryLimits>;
  readonly validation?: StatementValidationOptions;
}

/** A discovery in progress: the subject's checked configuration arrives before the result. */
export interface DiscoveryRun {
  /**
   * The subject's Entity Configuration once it has passed its own checks, or `undefined` when it
   * cannot be used: lets the caller start work that needs only it, such as its trust marks.
   */
  readonly subjectConfiguration: Promise<DecodedEntityStatement | undefined>;
  readonly result: Promise<DiscoveryResult>;
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

function boundFailure(reason: FailureReason, message: string): FailureDetail {
  return new InvalidTrustChainError(message, { reason, section: '§10.1' }).toDetail();
}

/**
 * One discovery run: memoises every fetch (so nothing is requested twice) and records every
 * request and every rejected statement.
 */
class Discovery {
  readonly #options: DiscoveryOptions;
  readonly #limits: DiscoveryLimits;
  readonly #anchors: ReadonlySet<string>;
  readonly #configurations = new Map<string, Promise<DecodedEntityStatement>>();
  readonly #subordinates = new Map<string, Promise<DecodedEntityStatement>>();
  readonly decodedConfigurations = new Map<string, DecodedEntityStatement>();
  readonly #fetches: FetchTrace[] = [];
  readonly #rejected = new Set<string>();
  #fetchCount = 0;
  #branches = 0;
  #finished = false;

  constructor(query: ResolutionQuery, options: DiscoveryOptions) {
    this.#options = options;
    this.#limits = { ...DEFAULT_DISCOVERY_LIMITS, ...options.limits };
    this.#anchors = new Set(query.trustAnchors);
  }

  get limits(): DiscoveryLimits {
    return this.#limits;
  }

  /** Freezes the record: requests still running (anchor prefetches) are not part of it. */
  finish(): DiscoveryRecord {
    this.#finished = true;
    return { fetches: [...this.#fetches], rejected: [...this.#rejected] };
  }

  #elapsedMs(started: number | undefined): number {
    const clock = this.#options.clock;
    return clock === undefined || started === undefined ? 0 : (clock.now() - started) * 1000;
  }

  #trace(trace: FetchTrace): void {
    if (!this.#finished) this.#fetches.push(trace);
  }

  #reject(url: string): void {
    if (!this.#finished) this.#rejected.add(url);
  }

  /** Fetches and decodes with the shared bounds: fetch budget and deadline. */
  async #fetch(
    kind: FetchTrace['kind'],
    issuer: string,
    subject: string,
    fetchUrl: string,
    run: () => Promise<FetchedStatement>,
  ): Promise<DecodedEntityStatement> {
    if (this.#options.signal?.aborted === true) {
      throw new TemporarilyUnavailableError(
        'the resolution deadline passed before this statement was fetched',
        { reason: 'deadline_exceeded', url: fetchUrl },
      );
    }
    if (++this.#fetchCount > this.#limits.maxFetches) {
      throw new InvalidTrustChainError(
        `the resolution needs more than ${this.#limits.maxFetches} statements`,
        { reason: 'fetch_limit_exceeded', section: '§18.1', url: fetchUrl },
      );
    }
    const started = this.#options.clock?.now();
    let fetched: FetchedStatement | undefined;
    try {
      fetched = await run();
      const decoded = decodeEntityStatement(fetched.jwt, this.#options.validation);
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
      this.#trace({
        kind,
        subject,
        issuer,
        url: fetched.url,
        status: 200,
        cacheHit: fetched.cacheHit,
        durationMs: fetched.durationMs,
      });
      return { ...decoded, source: fetched.url };
    } catch (error) {
      // A statement that arrived but cannot be used is reported, so no cache keeps it.
      if (fetched !== undefined) this.#reject(fetched.url);
      const failure = toFederationError(error).withLocation({ url: fetched?.url ?? fetchUrl });
      const detail = failure.toDetail();
      this.#trace({
        kind,
        subject,
        issuer,
        url: fetched?.url ?? fetchUrl,
        ...(detail.status !== undefined
          ? { status: detail.status }
          : fetched === undefined
            ? {}
            : { status: 200 }),
        cacheHit: fetched?.cacheHit ?? false,
        durationMs: fetched?.durationMs ?? this.#elapsedMs(started),
        error: detail,
      });
      throw failure;
    }
  }

  /**
   * §3.2 steps 7, 8, 12 for every configuration used, superiors' included: time window and
   * self-signature. A requested anchor's configuration is verified with its pinned keys when its
   * chain is validated (§10.2), which names a failure anchor_keys_mismatch.
   */
  async #checkConfiguration(configuration: DecodedEntityStatement): Promise<void> {
    const validation = this.#options.validation ?? {};
    validateStatementTime(configuration, { ...validation, now: this.#options.now });
    if (!this.#anchors.has(configuration.claims.sub)) {
      await verifyEntityStatement(configuration, configuration.claims.jwks, validation);
    }
  }

  /** The checked Entity Configuration of `entityId`, fetched at most once per discovery. */
  configuration(entityId: string): Promise<DecodedEntityStatement> {
    let pending = this.#configurations.get(entityId);
    if (pending === undefined) {
      pending = this.#fetch('entity_configuration', entityId, entityId, entityId, () =>
        this.#options.source.fetchEntityConfiguration(entityId, this.#context()),
      ).then(async (decoded) => {
        try {
          await this.#checkConfiguration(decoded);
        } catch (error) {
          if (decoded.source !== undefined) this.#reject(decoded.source);
          throw toFederationError(error).withLocation({ iss: entityId, sub: entityId });
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
            { reason: 'fetch_endpoint_missing', section: '§8.1', iss: issuer.claims.iss },
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
      ...(this.#options.signal === undefined ? {} : { signal: this.#options.signal }),
      ...(this.#options.refresh === true ? { refresh: true } : {}),
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
      const failure = toFederationError(error);
      const located = this.#anchors.has(hint)
        ? failure.withLocation({ statementIndex: statementIndex + 1 })
        : failure;
      return { suffixes: [], dead: [{ path: branch, failure: located.toDetail() }] };
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
      const located = toFederationError(error).withLocation({ statementIndex });
      return { suffixes: [], dead: [{ path: branch, failure: located.toDetail() }] };
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
 * Starts discovering candidate trust chains for `query.subject` towards `query.trustAnchors`
 * (identifiers of configured anchors, in order of preference) (§10.1).
 */
export function startDiscovery(query: ResolutionQuery, options: DiscoveryOptions): DiscoveryRun {
  const discovery = new Discovery(query, options);
  const subject = discovery.configuration(query.subject);
  // Every chain ends with a requested anchor's configuration, and its fetch endpoint is needed for
  // the last Subordinate Statement: fetching it alongside the subject's saves one sequential
  // round trip per resolution (d + 1 instead of d + 2 for d superiors). Failures surface, and are
  // traced, when a branch reaches the anchor.
  for (const anchor of query.trustAnchors) {
    if (anchor !== query.subject) discovery.configuration(anchor).catch(() => undefined);
  }
  const result = collect(discovery, query, subject);
  return {
    subjectConfiguration: subject.then(
      (configuration) =>
        configuration.kind === 'entity_configuration' ? configuration : undefined,
      () => undefined,
    ),
    result,
  };
}

/** Discovers candidate trust chains (§10.1); see {@link startDiscovery}. */
export function discoverTrustChains(
  query: ResolutionQuery,
  options: DiscoveryOptions,
): Promise<DiscoveryResult> {
  return startDiscovery(query, options).result;
}

async function collect(
  discovery: Discovery,
  query: ResolutionQuery,
  subject: Promise<DecodedEntityStatement>,
): Promise<DiscoveryResult> {
  let subjectConfiguration: DecodedEntityStatement;
  try {
    subjectConfiguration = await subject;
    if (subjectConfiguration.kind !== 'entity_configuration') {
      throw new InvalidTrustChainError('the subject did not publish an Entity Configuration', {
        reason: 'entity_configuration_expected',
        section: '§9',
      });
    }
  } catch (error) {
    return {
      ok: false,
      error: toFederationError(error).withLocation({ statementIndex: 0 }),
      ...discovery.finish(),
    };
  }
  const limits = discovery.limits;
  const candidates: CandidateChain[] = [];
  const deadBranches: DeadBranch[] = [];
  // §4: a subject that is itself a requested Trust Anchor has a one-element chain.
  if (query.trustAnchors.includes(query.subject)) {
    candidates.push({ path: [query.subject], statements: [subjectConfiguration] });
  }
  if ((subjectConfiguration.claims.authority_hints ?? []).length > 0) {
    const result = await discovery.suffixesAbove(subjectConfiguration, []);
    for (const suffix of result.suffixes) {
      candidates.push({
        path: [query.subject, ...suffix.path],
        statements: [subjectConfiguration, ...suffix.statements],
      });
    }
    deadBranches.push(...result.dead);
  } else if (candidates.length === 0) {
    deadBranches.push({
      path: [query.subject],
      failure: boundFailure(
        'no_path_to_trust_anchor',
        `${query.subject} has no authority_hints and is not a requested Trust Anchor`,
      ),
    });
  }
  // Candidates come in the order of preference of select-chain.ts (the requested anchors' order
  // breaks ties), so a cap drops the least preferred ones, never the chain that would be chosen.
  candidates.sort((a, b) =>
    compareTrustChains(
      { ...a, trustAnchor: a.path[a.path.length - 1] ?? '' },
      { ...b, trustAnchor: b.path[b.path.length - 1] ?? '' },
      query.trustAnchors,
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
    ok: true,
    subjectConfiguration,
    candidates,
    deadBranches,
    configurations: discovery.decodedConfigurations,
    ...discovery.finish(),
  };
}
