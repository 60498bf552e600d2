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
import type {
  Clock,
  DecodedStatementCache,
  FetchContext,
  FetchedStatement,
  StatementSource,
} from './ports.js';
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
  /** The compact JWS as received, when one was received (diagnostics show it decoded). */
  readonly jwt?: string;
  readonly error?: FailureDetail;
}

/** A path that could not be completed into a candidate chain. */
export interface DeadBranch {
  /** Entity Identifiers from the subject up to where the branch ended. */
  readonly path: readonly string[];
  readonly failure: FailureDetail;
  /**
   * True when the branch ended at a statement that was received and found invalid (a verdict on
   * the federation), rather than at one that could not be obtained or a bound of this resolver.
   */
  readonly rejected?: boolean;
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
        /** True when it was received and found invalid, false when it could not be obtained. */
        readonly subjectRejected: boolean;
      }
  );

/** Checks of every configuration discovery uses: decoding, time window, self-signature. */
export interface StatementValidationOptions extends DecodeOptions, VerifyOptions {
  /** Clock-skew leeway in seconds (§3.2 steps 7, 8). */
  readonly clockSkew?: number;
  /** Statements decoded with these options before; without it every fetch is decoded anew. */
  readonly decoded?: DecodedStatementCache;
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

/** A fetch that has ended: its statement, or why there is none. */
type Settled =
  | { readonly ok: true; readonly statement: DecodedEntityStatement }
  | {
      readonly ok: false;
      readonly error: FederationError;
      /** The statement arrived and was found invalid (see DeadBranch.rejected). */
      readonly rejected?: boolean;
    };

/** The dead branch a failed fetch leaves, marked when the statement was received and rejected. */
function deadBranch(
  path: readonly string[],
  settled: Extract<Settled, { ok: false }>,
  failure: FederationError = settled.error,
): DeadBranch {
  return {
    path,
    failure: failure.toDetail(),
    ...(settled.rejected === true ? { rejected: true } : {}),
  };
}

/**
 * An entity reached on one path from the subject, with its checked configuration. It is linked
 * to the node below it (`parent`) by the statement `SS(entity → parent.entity)`.
 */
interface PathNode {
  readonly entity: string;
  readonly configuration: DecodedEntityStatement;
  /** Entity Identifiers from the subject up to this entity. */
  readonly path: readonly string[];
  /** Positions of the hints followed from the subject: the stable order of the work. */
  readonly order: readonly number[];
  readonly parent?: PathNode;
}

/** One fetch a wave may make, and what decides its place when the fetch budget runs short. */
interface Task {
  /** How many superiors above the subject the fetched statement's issuer is (0: the subject). */
  readonly depth: number;
  /** 0: a statement by a requested anchor (it completes a chain); 1: another Subordinate
   * Statement; 2: an Entity Configuration. */
  readonly rank: number;
  readonly order: readonly number[];
  readonly url: string;
  readonly memo: Map<string, Settled>;
  readonly key: string;
  readonly fetch: () => Promise<DecodedEntityStatement>;
}

/** A superior above a node whose configuration is known: the pair needs SS(superior → node). */
interface Link {
  readonly node: PathNode;
  readonly superior: string;
  readonly configuration: DecodedEntityStatement;
  readonly order: readonly number[];
}

function boundFailure(reason: FailureReason, message: string): FailureDetail {
  return new InvalidTrustChainError(message, { reason, section: '§10.1' }).toDetail();
}

function compareOrder(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return a.length - b.length;
}

/** Shallower first, then statements completing a chain, then the rest; then the hints' order. */
function compareTasks(a: Task, b: Task): number {
  return a.depth - b.depth || a.rank - b.rank || compareOrder(a.order, b.order);
}

function linkKey(issuer: string, subject: string): string {
  return `${issuer}\n${subject}`;
}

/**
 * One discovery run, breadth first in waves (§10.1). Each wave is computed from what earlier
 * waves returned: the configurations of the hints of every entity reached, and the statements
 * linking each superior whose configuration is known to the entity below it. Its fetches run
 * concurrently; the next wave starts when they have all ended. When the fetch budget cannot
 * cover a wave, it goes to the shallowest work first, and to statements that complete a chain
 * before configurations that only lead further, in the order of the hints: the outcome depends
 * on the federation, never on which upstream answered first (§18.1; docs/decisions.md).
 */
class Discovery {
  readonly #options: DiscoveryOptions;
  readonly #limits: DiscoveryLimits;
  readonly #anchors: readonly string[];
  readonly #configurations = new Map<string, Settled>();
  readonly #subordinates = new Map<string, Settled>();
  readonly #fetches: FetchTrace[] = [];
  readonly #rejected = new Set<string>();
  /** Failures of statements that arrived and were found invalid. */
  readonly #rejections = new WeakSet<FederationError>();
  #fetchCount = 0;
  #nodes = 0;
  #finished = false;

  constructor(query: ResolutionQuery, options: DiscoveryOptions) {
    this.#options = options;
    this.#limits = { ...DEFAULT_DISCOVERY_LIMITS, ...options.limits };
    this.#anchors = query.trustAnchors;
  }

  get limits(): DiscoveryLimits {
    return this.#limits;
  }

  /** Entity Configurations of every entity used whose checks passed. */
  configurations(): ReadonlyMap<string, DecodedEntityStatement> {
    const map = new Map<string, DecodedEntityStatement>();
    for (const [id, settled] of this.#configurations) {
      if (settled.ok) map.set(id, settled.statement);
    }
    return map;
  }

  /** Freezes the record: requests still running are not part of it. */
  finish(): DiscoveryRecord {
    this.#finished = true;
    return { fetches: [...this.#fetches], rejected: [...this.#rejected] };
  }

  #isAnchor(entityId: string): boolean {
    return this.#anchors.includes(entityId);
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

  /** Decodes a fetched statement, or takes it as decoded before (a statement cache hit). */
  #decode(jwt: string): DecodedEntityStatement {
    const { validation } = this.#options;
    const known = validation?.decoded?.get(jwt);
    if (known !== undefined) return known;
    const decoded = decodeEntityStatement(jwt, validation);
    validation?.decoded?.set(jwt, decoded);
    return decoded;
  }

  /** Fetches and decodes one statement, within the deadline, recording the request. */
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
        { reason: 'deadline_exceeded', url: fetchUrl, section: '§10.5' },
      );
    }
    const started = this.#options.clock?.now();
    let fetched: FetchedStatement | undefined;
    try {
      fetched = await run();
      const decoded = this.#decode(fetched.jwt);
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
        jwt: fetched.jwt,
      });
      return { ...decoded, source: fetched.url };
    } catch (error) {
      // A statement that arrived but cannot be used is reported, so no cache keeps it.
      if (fetched !== undefined) this.#reject(fetched.url);
      const failure = toFederationError(error).withLocation({ url: fetched?.url ?? fetchUrl });
      if (fetched !== undefined) this.#rejections.add(failure);
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
        ...(fetched === undefined ? {} : { jwt: fetched.jwt }),
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
    if (!this.#isAnchor(configuration.claims.sub)) {
      await verifyEntityStatement(configuration, configuration.claims.jwks, validation);
    }
  }

  /** The task fetching and checking the Entity Configuration of `entityId`. */
  configurationTask(entityId: string, depth: number, order: readonly number[]): Task {
    return {
      depth,
      rank: 2,
      order,
      url: entityId,
      memo: this.#configurations,
      key: entityId,
      fetch: async () => {
        const decoded = await this.#fetch(
          'entity_configuration',
          entityId,
          entityId,
          entityId,
          () => this.#options.source.fetchEntityConfiguration(entityId, this.#context()),
        );
        try {
          await this.#checkConfiguration(decoded);
        } catch (error) {
          if (decoded.source !== undefined) this.#reject(decoded.source);
          const failure = toFederationError(error).withLocation({ iss: entityId, sub: entityId });
          this.#rejections.add(failure);
          throw failure;
        }
        return decoded;
      },
    };
  }

  /** The task fetching the Subordinate Statement that links `link.node` to its superior. */
  #subordinateTask(link: Link): Task {
    const issuer = link.configuration.claims.iss;
    const subject = link.node.entity;
    const endpoint = getOwn(
      link.configuration.claims.metadata?.[FEDERATION_ENTITY] ?? {},
      'federation_fetch_endpoint',
    );
    return {
      depth: link.node.path.length,
      rank: this.#isAnchor(issuer) ? 0 : 1,
      order: link.order,
      url: typeof endpoint === 'string' ? endpoint : issuer,
      memo: this.#subordinates,
      key: linkKey(issuer, subject),
      fetch: async () => {
        if (typeof endpoint !== 'string') {
          throw new InvalidTrustChainError(`${issuer} publishes no federation_fetch_endpoint`, {
            reason: 'fetch_endpoint_missing',
            section: '§8.1',
            iss: issuer,
          });
        }
        return this.#fetch('subordinate_statement', issuer, subject, endpoint, () =>
          this.#options.source.fetchSubordinateStatement(endpoint, subject, this.#context()),
        );
      },
    };
  }

  #context(): FetchContext {
    return {
      ...(this.#options.signal === undefined ? {} : { signal: this.#options.signal }),
      ...(this.#options.refresh === true ? { refresh: true } : {}),
    };
  }

  /**
   * Runs one wave: the tasks not already done, the budget spent in task order, the rest refused
   * with `fetch_limit_exceeded`; resolves when every fetch has ended.
   */
  async wave(tasks: readonly Task[]): Promise<void> {
    const todo = [...tasks].sort(compareTasks);
    const running: Promise<void>[] = [];
    const started = new Set<string>();
    for (const task of todo) {
      const id = `${task.memo === this.#configurations ? 'ec' : 'ss'}\n${task.key}`;
      if (task.memo.has(task.key) || started.has(id)) continue;
      started.add(id);
      if (this.#fetchCount >= this.#limits.maxFetches) {
        task.memo.set(task.key, {
          ok: false,
          error: new InvalidTrustChainError(
            `the resolution needs more than ${this.#limits.maxFetches} statements`,
            { reason: 'fetch_limit_exceeded', section: '§18.1', url: task.url },
          ),
        });
        continue;
      }
      this.#fetchCount++;
      running.push(
        task.fetch().then(
          (statement) => void task.memo.set(task.key, { ok: true, statement }),
          (error: unknown) => {
            const failure = toFederationError(error);
            task.memo.set(task.key, {
              ok: false,
              error: failure,
              ...(this.#rejections.has(failure) ? { rejected: true } : {}),
            });
          },
        ),
      );
    }
    await Promise.all(running);
  }

  /** The ended fetch of a configuration (after the wave that requested it). */
  configuration(entityId: string): Settled | undefined {
    return this.#configurations.get(entityId);
  }

  /**
   * Every candidate chain from `subject` (whose configuration is checked) to a requested
   * anchor, and every branch that ended before one.
   */
  async explore(subject: DecodedEntityStatement): Promise<{
    candidates: CandidateChain[];
    dead: DeadBranch[];
  }> {
    const root: PathNode = {
      entity: subject.claims.sub,
      configuration: subject,
      path: [subject.claims.sub],
      order: [],
    };
    const reached: Array<{ node: PathNode; anchor: string; statement: DecodedEntityStatement }> =
      [];
    // A dead branch counts only when every statement linking its node down to the subject was
    // obtained: a failed link is reported once, by the branch that it broke.
    const dead: Array<{ node: PathNode; branch: DeadBranch }> = [];
    let frontier: PathNode[] = [root];
    let links: Link[] = [];
    while (frontier.length > 0 || links.length > 0) {
      const tasks: Task[] = links.map((link) => this.#subordinateTask(link));
      const expansions: Array<{ node: PathNode; hint: string; order: readonly number[] }> = [];
      const pending = [...frontier].sort((a, b) => compareOrder(a.order, b.order));
      const nextLinks: Link[] = [];
      const nextFrontier: PathNode[] = [];
      // Entities whose configuration is already known are expanded in this same wave.
      const follow = (node: PathNode, hint: string, order: readonly number[]): void => {
        const known = this.#configurations.get(hint);
        if (known === undefined) {
          expansions.push({ node, hint, order });
          tasks.push(this.configurationTask(hint, node.path.length, order));
          return;
        }
        this.#reach(node, hint, order, known, {
          links: (link) => tasks.push(this.#subordinateTask(link)) && nextLinks.push(link),
          frontier: (next) => pending.push(next),
          dead: (entry) => dead.push(entry),
        });
      };
      for (let i = 0; i < pending.length; i++) {
        const node = pending[i];
        if (node !== undefined) this.#expand(node, follow, (entry) => dead.push(entry));
      }
      await this.wave(tasks);
      for (const link of links.concat(nextLinks)) {
        const key = linkKey(link.configuration.claims.iss, link.node.entity);
        const settled = this.#subordinates.get(key);
        const branch = [...link.node.path, link.superior];
        if (settled === undefined) continue;
        if (!settled.ok) {
          const located = settled.error.withLocation({ statementIndex: link.node.path.length });
          dead.push({ node: link.node, branch: deadBranch(branch, settled, located) });
        } else if (this.#isAnchor(link.superior)) {
          reached.push({ node: link.node, anchor: link.superior, statement: settled.statement });
        }
      }
      links = [];
      for (const { node, hint, order } of expansions) {
        const settled = this.#configurations.get(hint);
        if (settled === undefined) continue;
        this.#reach(node, hint, order, settled, {
          links: (link) => links.push(link),
          frontier: (next) => nextFrontier.push(next),
          dead: (entry) => dead.push(entry),
        });
      }
      frontier = nextFrontier;
    }
    const intact = (node: PathNode | undefined): boolean => {
      for (let at = node; at?.parent !== undefined; at = at.parent) {
        if (this.#subordinates.get(linkKey(at.entity, at.parent.entity))?.ok !== true) return false;
      }
      return true;
    };
    const candidates: CandidateChain[] = [];
    for (const { node, anchor, statement } of reached) {
      if (!intact(node)) continue;
      const statements: DecodedEntityStatement[] = [];
      for (let at: PathNode | undefined = node; at?.parent !== undefined; at = at.parent) {
        const link = this.#subordinates.get(linkKey(at.entity, at.parent.entity));
        if (link?.ok === true) statements.unshift(link.statement);
      }
      const anchorConfiguration = this.#configurations.get(anchor);
      if (anchorConfiguration?.ok !== true) continue;
      candidates.push({
        path: [...node.path, anchor],
        statements: [subject, ...statements, statement, anchorConfiguration.statement],
      });
    }
    return {
      candidates,
      dead: dead.filter((entry) => intact(entry.node)).map((entry) => entry.branch),
    };
  }

  /** Follows the hints of `node`, reporting those its bounds cut. */
  #expand(
    node: PathNode,
    follow: (node: PathNode, hint: string, order: readonly number[]) => void,
    report: (entry: { node: PathNode; branch: DeadBranch }) => void,
  ): void {
    const hints = node.configuration.claims.authority_hints ?? [];
    const dead = (path: readonly string[], failure: FailureDetail) =>
      report({ node, branch: { path, failure } });
    if (hints.length === 0) {
      // §4: a subject that is itself a requested anchor has a one-element chain instead.
      if (node.parent !== undefined || !this.#isAnchor(node.entity)) {
        dead(
          node.path,
          boundFailure(
            'no_path_to_trust_anchor',
            `${node.entity} has no authority_hints and is not a requested Trust Anchor`,
          ),
        );
      }
      return;
    }
    if (node.path.length - 1 >= this.#limits.maxDepth) {
      dead(
        node.path,
        boundFailure(
          'max_depth_exceeded',
          `the path is deeper than ${this.#limits.maxDepth} superiors`,
        ),
      );
      return;
    }
    const max = this.#limits.maxAuthorityHints;
    const ignored = hints.slice(max);
    if (ignored.length > 0) {
      // One report for all of them: a configuration may list thousands (§18.1).
      dead(
        [...node.path, ignored[0] ?? ''],
        boundFailure(
          'authority_hints_exceeded',
          `only the first ${max} authority_hints of ${node.entity} are followed; ${ignored.length} more are not`,
        ),
      );
    }
    hints.slice(0, max).forEach((hint, index) => {
      const order = [...node.order, index];
      // §10.1, §17.1: a hint that would close a loop MUST NOT be used.
      if (node.path.includes(hint)) {
        dead(
          [...node.path, hint],
          boundFailure('loop_detected', `${hint} is already on this path`),
        );
        return;
      }
      follow(node, hint, order);
    });
  }

  /** What the ended fetch of `hint`'s configuration means for the path through `node`. */
  #reach(
    node: PathNode,
    hint: string,
    order: readonly number[],
    settled: Settled,
    out: {
      links: (link: Link) => void;
      frontier: (next: PathNode) => void;
      dead: (entry: { node: PathNode; branch: DeadBranch }) => void;
    },
  ): void {
    const branch = [...node.path, hint];
    if (!settled.ok) {
      // Chain positions: an anchor's configuration right above `node` is ES[path.length + 1].
      const failure = this.#isAnchor(hint)
        ? settled.error.withLocation({ statementIndex: node.path.length + 1 })
        : settled.error;
      out.dead({ node, branch: deadBranch(branch, settled, failure) });
      return;
    }
    if (++this.#nodes > this.#limits.maxFetches * 4) {
      out.dead({
        node,
        branch: {
          path: branch,
          failure: boundFailure(
            'fetch_limit_exceeded',
            'too many branches to explore in one resolution',
          ),
        },
      });
      return;
    }
    out.links({ node, superior: hint, configuration: settled.statement, order });
    // §10.1: a branch stops at a requested Trust Anchor; its configuration ends the chain.
    if (!this.#isAnchor(hint)) {
      out.frontier({
        entity: hint,
        configuration: settled.statement,
        path: branch,
        order,
        parent: node,
      });
    }
  }
}

/**
 * Starts discovering candidate trust chains for `query.subject` towards `query.trustAnchors`
 * (identifiers of configured anchors, in order of preference) (§10.1).
 */
export function startDiscovery(query: ResolutionQuery, options: DiscoveryOptions): DiscoveryRun {
  const discovery = new Discovery(query, options);
  // Every chain ends with a requested anchor's configuration, and its fetch endpoint is needed for
  // the last Subordinate Statement: fetching it alongside the subject's saves one sequential
  // round trip per resolution (d + 1 instead of d + 2 for d superiors).
  const first = discovery.wave([
    discovery.configurationTask(query.subject, 0, []),
    ...query.trustAnchors
      .filter((anchor) => anchor !== query.subject)
      .map((anchor, index) => discovery.configurationTask(anchor, 0, [index])),
  ]);
  const subject = first.then(() => {
    const settled = discovery.configuration(query.subject);
    if (settled === undefined || !settled.ok) throw settled?.error;
    return settled.statement;
  });
  subject.catch(() => undefined);
  return {
    subjectConfiguration: subject.then(
      (configuration) =>
        configuration.kind === 'entity_configuration' ? configuration : undefined,
      () => undefined,
    ),
    result: collect(discovery, query, subject),
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
    const settled = discovery.configuration(query.subject);
    return {
      ok: false,
      error: toFederationError(error).withLocation({ statementIndex: 0 }),
      // Received and found invalid, or an Entity Statement that is not a configuration.
      subjectRejected: settled === undefined || settled.ok || settled.rejected === true,
      ...discovery.finish(),
    };
  }
  const limits = discovery.limits;
  const candidates: CandidateChain[] = [];
  // §4: a subject that is itself a requested Trust Anchor has a one-element chain.
  if (query.trustAnchors.includes(query.subject)) {
    candidates.push({ path: [query.subject], statements: [subjectConfiguration] });
  }
  const explored = await discovery.explore(subjectConfiguration);
  candidates.push(...explored.candidates);
  // Hints that were not followed say less than why the followed ones failed: they go last.
  const deadBranches = [
    ...explored.dead.filter((branch) => branch.failure.reason !== 'authority_hints_exceeded'),
    ...explored.dead.filter((branch) => branch.failure.reason === 'authority_hints_exceeded'),
  ];
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
    configurations: discovery.configurations(),
    ...discovery.finish(),
  };
}
