/**
 * The federation top-down (§8.2): from each configured Trust Anchor, the crawler walks the
 * Subordinate Listings recursively through intermediates and resolves every member under that
 * anchor through the normal resolution path (the same caches, slots and guards as any caller;
 * never charged to a budget). Cycle-safe and bounded — entities per anchor, depth, entries per
 * listing, concurrency, time per pass — with every bound reached reported. It crawls again on
 * an interval, and between passes keeps the members' resolutions fresh before they expire. With
 * a shared tier, one replica crawls an anchor at a time (a lease) and the others adopt its
 * result, resolving its members from the shared tier.
 */
import { setMaxListeners } from 'node:events';
import { FEDERATION_ENTITY } from '../federation/constants.js';
import { isEntityIdentifier } from '../federation/entity-id.js';
import {
  InvalidTrustChainError,
  readFailureDetail,
  toFederationError,
  type FailureDetail,
} from '../federation/errors.js';
import { getOwn, isPlainObject, parseJsonObject } from '../federation/json.js';
import type { Metadata } from '../federation/metadata-policy/types.js';
import type { Clock } from '../federation/ports.js';
import { CRAWLER_CALLER } from './admission.js';
import {
  anchorView,
  memberOf,
  type AnchorView,
  type CrawlBound,
  type MemberView,
} from './federation-view.js';
import type {
  EngineMetrics,
  Logger,
  SharedStore,
  SubordinateListingSource,
  TrustAnchorSource,
} from './ports.js';
import type { ResolutionService } from './resolution-service.js';

/** Settings of the crawler (CRAWL_* in the configuration). */
export interface CrawlSettings {
  /** Seconds between two passes over one anchor. */
  readonly intervalSeconds: number;
  /** Listings and resolutions in progress at once, per anchor. */
  readonly concurrency: number;
  /** Most members per anchor. */
  readonly maxEntities: number;
  /** Most levels of intermediates below the anchor. */
  readonly maxDepth: number;
  /** Most entries read from one listing. */
  readonly maxListEntries: number;
  /** Longest time of one pass over one anchor, seconds. */
  readonly passTimeoutSeconds: number;
  /** Members whose chain expires within this many seconds are refreshed between passes. */
  readonly refreshAheadSeconds: number;
  /** Accept `http` Entity Identifiers in listings (tests and demos). */
  readonly allowHttp: boolean;
}

/** Dependencies of {@link Crawler}. */
export interface CrawlerDependencies {
  readonly resolutions: ResolutionService;
  readonly listing: SubordinateListingSource;
  readonly anchors: TrustAnchorSource;
  readonly clock: Clock;
  readonly settings: CrawlSettings;
  readonly logger?: Logger;
  readonly metrics?: EngineMetrics;
  /** The tier shared by every replica: one replica crawls an anchor at a time. */
  readonly shared?: SharedStore;
}

/** Life of the crawl lease; the crawling replica renews it every third of it. */
const CRAWL_LEASE_MS = 30_000;

/** The `federation_list_endpoint` of verified metadata, when it has one (§8.2). */
function listEndpointOf(metadata: Metadata): string | undefined {
  const endpoint = getOwn(metadata[FEDERATION_ENTITY] ?? {}, 'federation_list_endpoint');
  return typeof endpoint === 'string' ? endpoint : undefined;
}

/** One piece of crawl work: list an entity's subordinates, or resolve one. */
type Task =
  | {
      readonly kind: 'list';
      readonly entity: string;
      readonly endpoint: string;
      readonly depth: number;
    }
  | { readonly kind: 'resolve'; readonly entity: string; readonly depth: number };

/** What a crawling replica shares with the others: the members and what the crawl met. */
interface SharedCrawl {
  readonly updatedAt: number;
  readonly durationSeconds: number;
  readonly members: ReadonlyArray<{ readonly entityId: string; readonly failure?: FailureDetail }>;
  readonly bounds: readonly CrawlBound[];
  readonly listFailures: AnchorView['listFailures'];
}

const BOUND_REASONS: ReadonlySet<string> = new Set([
  'crawl_entity_limit',
  'crawl_depth_limit',
  'crawl_list_limit',
  'crawl_time_limit',
  'list_entry_invalid',
]);

/** A {@link SharedCrawl} as read back: member identifiers checked, failures by member. */
interface SharedCrawlSummary {
  readonly updatedAt: number;
  readonly durationSeconds: number;
  readonly ids: readonly string[];
  readonly failures: ReadonlyMap<string, FailureDetail>;
  readonly bounds: readonly CrawlBound[];
  readonly listFailures: AnchorView['listFailures'];
}

/** A crawl summary read from the shared tier, checked member by member; undefined if unusable. */
function readSharedCrawl(raw: string, allowHttp: boolean): SharedCrawlSummary | undefined {
  const parsed = parseJsonObject(raw);
  if (parsed === undefined) return undefined;
  const members = getOwn(parsed, 'members');
  const updatedAt = getOwn(parsed, 'updatedAt');
  const duration = getOwn(parsed, 'durationSeconds');
  if (!Array.isArray(members) || typeof updatedAt !== 'number') return undefined;
  const ids: string[] = [];
  const failures = new Map<string, FailureDetail>();
  for (const member of members) {
    const id = isPlainObject(member) ? getOwn(member, 'entityId') : undefined;
    if (!isEntityIdentifier(id, { allowHttp }) || !isPlainObject(member)) continue;
    ids.push(id);
    const failure = readFailureDetail(getOwn(member, 'failure'));
    if (failure !== undefined) failures.set(id, failure);
  }
  const listed = (name: string): unknown[] => {
    const value = getOwn(parsed, name);
    return Array.isArray(value) ? value : [];
  };
  const bounds = listed('bounds').flatMap((bound): CrawlBound[] => {
    if (!isPlainObject(bound)) return [];
    const reason = getOwn(bound, 'reason');
    const message = getOwn(bound, 'message');
    const entity = getOwn(bound, 'entity');
    if (typeof reason !== 'string' || !BOUND_REASONS.has(reason) || typeof message !== 'string') {
      return [];
    }
    return [
      {
        reason: reason as CrawlBound['reason'],
        message,
        ...(typeof entity === 'string' ? { entity } : {}),
      },
    ];
  });
  const listFailures = listed('listFailures').flatMap((entry) => {
    const id = isPlainObject(entry) ? getOwn(entry, 'entityId') : undefined;
    const failure = isPlainObject(entry) ? readFailureDetail(getOwn(entry, 'failure')) : undefined;
    return typeof id === 'string' && failure !== undefined ? [{ entityId: id, failure }] : [];
  });
  return {
    updatedAt,
    durationSeconds: typeof duration === 'number' ? duration : 0,
    ids,
    failures,
    bounds,
    listFailures,
  };
}

/** How far a pass has come: members resolved (of which failed) and tasks still to run. */
export interface CrawlProgress {
  readonly resolved: number;
  readonly failed: number;
  readonly pending: number;
}

/** Crawls every configured anchor and keeps the resulting views. */
export class Crawler {
  readonly #deps: CrawlerDependencies;
  readonly #views = new Map<string, AnchorView>();
  readonly #running = new Map<string, Promise<AnchorView>>();
  readonly #timers: NodeJS.Timeout[] = [];
  #stopped = false;

  constructor(deps: CrawlerDependencies) {
    this.#deps = deps;
  }

  /** The view of `trustAnchor` from its last pass, if one has ended. */
  view(trustAnchor: string): AnchorView | undefined {
    return this.#views.get(trustAnchor);
  }

  /** Starts the first pass over every anchor now, then one every interval, and the refreshes. */
  start(): void {
    const passAll = () => {
      for (const anchor of this.#deps.anchors.all()) {
        void this.crawl(anchor.entity_id).catch((error: unknown) =>
          this.#deps.logger?.error(
            { trust_anchor: anchor.entity_id, err: toFederationError(error).toDetail() },
            'crawl pass failed',
          ),
        );
      }
    };
    // One replica crawls at a time: the first pass waits (a little) for the shared tier, so that
    // replicas starting together agree on who crawls.
    void (this.#deps.shared?.connected(10_000) ?? Promise.resolve()).then(() => {
      if (!this.#stopped) passAll();
    });
    const every = (seconds: number, work: () => void) => {
      const timer = setInterval(work, seconds * 1000);
      timer.unref();
      this.#timers.push(timer);
    };
    every(this.#deps.settings.intervalSeconds, passAll);
    every(Math.min(30, this.#deps.settings.intervalSeconds), () => void this.#refresh());
  }

  /** Stops the schedule; a pass in progress ends at its next step. */
  stop(): void {
    this.#stopped = true;
    for (const timer of this.#timers) clearInterval(timer);
  }

  /**
   * One pass over `trustAnchor` (shared by concurrent callers); resolves with its view.
   * `onProgress` hears of every step of a pass this call starts (not of one already running).
   */
  crawl(trustAnchor: string, onProgress?: (progress: CrawlProgress) => void): Promise<AnchorView> {
    const running = this.#running.get(trustAnchor);
    if (running !== undefined) return running;
    const pass = this.#leasedPass(trustAnchor, onProgress).finally(() =>
      this.#running.delete(trustAnchor),
    );
    this.#running.set(trustAnchor, pass);
    return pass;
  }

  /** With a shared tier: crawl under a lease, or adopt what the replica holding it found. */
  async #leasedPass(
    trustAnchor: string,
    onProgress: ((progress: CrawlProgress) => void) | undefined,
  ): Promise<AnchorView> {
    const { shared, settings } = this.#deps;
    const key = `c:${trustAnchor}`;
    // Short and renewed while the pass runs: a replica that dies mid-pass frees it in seconds.
    const leaseMs = CRAWL_LEASE_MS;
    const waitMs = settings.passTimeoutSeconds * 1000 + CRAWL_LEASE_MS;
    // Without the shared tier this replica crawls alone. With it, a pass another replica ended
    // lately is adopted (docs/decisions.md); otherwise this replica crawls only under the lease,
    // and one that did not get it adopts what the holder stores, or tries again.
    let leased = false;
    for (let attempt = 0; attempt < 3 && shared?.state === 'up'; attempt++) {
      const current = await this.#sharedSummary(key);
      if (current !== undefined && this.#isFresh(current)) {
        return this.#publish(await this.#adopt(trustAnchor, current));
      }
      leased = await shared.lease(key, leaseMs);
      if (leased) {
        // The holder before may have stored its pass between the read above and this lease.
        const stored = await this.#sharedSummary(key);
        if (stored === undefined || !this.#isFresh(stored)) break;
        await shared.release(key);
        return this.#publish(await this.#adopt(trustAnchor, stored));
      }
      await shared.awaitRelease(key, waitMs);
      const adopted = await this.#sharedSummary(key);
      if (adopted !== undefined && adopted.updatedAt !== current?.updatedAt) {
        return this.#publish(await this.#adopt(trustAnchor, adopted));
      }
    }
    if (shared === undefined || !leased)
      return this.#publish(await this.#pass(trustAnchor, onProgress));
    const renewal = setInterval(() => void shared.renew(key, leaseMs), leaseMs / 3);
    renewal.unref();
    try {
      const view = await this.#pass(trustAnchor, onProgress);
      const summary: SharedCrawl = {
        updatedAt: view.updatedAt,
        durationSeconds: view.durationSeconds,
        members: view.members.map((member) =>
          member.ok
            ? { entityId: member.entityId }
            : { entityId: member.entityId, failure: member.failure },
        ),
        bounds: view.bounds,
        listFailures: view.listFailures,
      };
      // The other replicas wait for this summary: a write that did not get through is tried
      // again before the lease is released.
      for (let attempt = 0; attempt < 3; attempt++) {
        const stored = await shared.set(
          key,
          JSON.stringify(summary),
          settings.intervalSeconds * 2000,
          [trustAnchor],
        );
        if (stored) break;
      }
      return this.#publish(view);
    } finally {
      clearInterval(renewal);
      await shared.release(key);
    }
  }

  /**
   * Whether a pass another replica stored is fresh enough to adopt instead of crawling: younger
   * than half the interval. Every replica's schedule has its own phase; the replica that crawled
   * last finds its own pass one interval old at its next tick and crawls again, so the fleet
   * crawls an anchor about once per interval, never more often than twice.
   */
  #isFresh(summary: SharedCrawlSummary): boolean {
    return this.#deps.clock.now() - summary.updatedAt < this.#deps.settings.intervalSeconds / 2;
  }

  /** The summary of the last pass a replica stored under `key`, if readable. */
  async #sharedSummary(key: string): Promise<SharedCrawlSummary | undefined> {
    const raw = await this.#deps.shared?.get(key);
    return raw === undefined ? undefined : readSharedCrawl(raw, this.#deps.settings.allowHttp);
  }

  /**
   * The view another replica's crawl describes: its members resolved here through the normal
   * path (from the shared tier, re-validated: nothing in the summary is taken on trust but which
   * identifiers to look at), its failures as reported (they can only leave a member out).
   */
  async #adopt(trustAnchor: string, summary: SharedCrawlSummary): Promise<AnchorView> {
    const ids = summary.ids.filter((id) => !summary.failures.has(id));
    const resolved = await this.#resolveAll(
      trustAnchor,
      ids.slice(0, this.#deps.settings.maxEntities),
    );
    const failed = [...summary.failures].map(([entityId, failure]): MemberView => ({
      entityId,
      ok: false,
      failure,
    }));
    return anchorView(trustAnchor, [...resolved, ...failed], {
      updatedAt: Math.min(summary.updatedAt, this.#deps.clock.now()),
      durationSeconds: summary.durationSeconds,
      bounds: summary.bounds,
      listFailures: summary.listFailures,
    });
  }

  /** Resolves `ids` under `trustAnchor`, `concurrency` at a time, into member views. */
  async #resolveAll(trustAnchor: string, ids: readonly string[]): Promise<MemberView[]> {
    const members: MemberView[] = [];
    let next = 0;
    const worker = async () => {
      while (next < ids.length && !this.#stopped) {
        const id = ids[next++];
        if (id !== undefined) members.push((await this.#resolveMember(trustAnchor, id)).member);
      }
    };
    await Promise.all(Array.from({ length: this.#deps.settings.concurrency }, worker));
    return members;
  }

  async #resolveMember(
    trustAnchor: string,
    entity: string,
  ): Promise<{ member: MemberView; listEndpoint?: string }> {
    try {
      const served = await this.#deps.resolutions.resolve(
        { subject: entity, trustAnchors: [trustAnchor] },
        CRAWLER_CALLER,
      );
      const endpoint = listEndpointOf(served.chain.metadata);
      if (endpoint !== undefined) this.#deps.resolutions.holdForSubordinates(served.chain);
      return {
        member: memberOf(served.chain, served.trustMarks?.verified ?? []),
        ...(endpoint === undefined ? {} : { listEndpoint: endpoint }),
      };
    } catch (error) {
      return {
        member: { entityId: entity, ok: false, failure: toFederationError(error).toDetail() },
      };
    }
  }

  /** One crawl of `trustAnchor` by this replica. */
  async #pass(
    trustAnchor: string,
    onProgress: ((progress: CrawlProgress) => void) | undefined,
  ): Promise<AnchorView> {
    const { clock, listing, settings } = this.#deps;
    const started = clock.now();
    const deadline = started + settings.passTimeoutSeconds;
    const signal = AbortSignal.timeout(settings.passTimeoutSeconds * 1000);
    // Every listing of the pass listens to this one signal.
    setMaxListeners(settings.concurrency * 4 + 10, signal);
    const members = new Map<string, MemberView>();
    let failed = 0;
    const bounds: CrawlBound[] = [];
    const boundOnce = (bound: CrawlBound) => {
      if (!bounds.some((b) => b.reason === bound.reason && b.entity === bound.entity))
        bounds.push(bound);
    };
    const listFailures: Array<{ entityId: string; failure: FailureDetail }> = [];
    const seen = new Set<string>([trustAnchor]);
    const queue: Task[] = [];

    // The anchor's own listing endpoint comes from its configuration, verified with its pinned keys.
    const anchor = await this.#resolveMember(trustAnchor, trustAnchor);
    if (anchor.listEndpoint !== undefined) {
      queue.push({ kind: 'list', entity: trustAnchor, endpoint: anchor.listEndpoint, depth: 0 });
    } else {
      listFailures.push({
        entityId: trustAnchor,
        failure: anchor.member.ok
          ? new InvalidTrustChainError(`${trustAnchor} publishes no federation_list_endpoint`, {
              reason: 'list_invalid',
              section: '§8.2',
            }).toDetail()
          : anchor.member.failure,
      });
    }

    const run = async (task: Task): Promise<void> => {
      if (clock.now() > deadline || signal.aborted) {
        boundOnce({
          reason: 'crawl_time_limit',
          message: `the pass stopped after ${settings.passTimeoutSeconds} s (CRAWL_PASS_TIMEOUT_SECONDS)`,
        });
        return;
      }
      if (task.kind === 'resolve') {
        const { member, listEndpoint } = await this.#resolveMember(trustAnchor, task.entity);
        members.set(task.entity, member);
        if (!member.ok) failed++;
        if (listEndpoint === undefined) return;
        if (task.depth >= settings.maxDepth) {
          boundOnce({
            reason: 'crawl_depth_limit',
            message: `the subordinates of ${task.entity} are more than ${settings.maxDepth} levels below the anchor (CRAWL_MAX_DEPTH)`,
            entity: task.entity,
          });
          return;
        }
        queue.push({
          kind: 'list',
          entity: task.entity,
          endpoint: listEndpoint,
          depth: task.depth,
        });
        return;
      }
      let listed: unknown;
      try {
        listed = await listing.list(task.endpoint, {}, { signal });
      } catch (error) {
        listFailures.push({ entityId: task.entity, failure: toFederationError(error).toDetail() });
        return;
      }
      if (!Array.isArray(listed)) {
        listFailures.push({
          entityId: task.entity,
          failure: new InvalidTrustChainError(`the list of ${task.entity} is not a JSON array`, {
            reason: 'list_invalid',
            section: '§8.2',
            url: task.endpoint,
          }).toDetail(),
        });
        return;
      }
      if (listed.length > settings.maxListEntries) {
        boundOnce({
          reason: 'crawl_list_limit',
          message: `${task.entity} lists ${listed.length} subordinates; only the first ${settings.maxListEntries} are read (CRAWL_MAX_LIST_ENTRIES)`,
          entity: task.entity,
        });
      }
      for (const entry of listed.slice(0, settings.maxListEntries)) {
        if (!isEntityIdentifier(entry, { allowHttp: settings.allowHttp })) {
          boundOnce({
            reason: 'list_entry_invalid',
            message: `the list of ${task.entity} has entries that are not Entity Identifiers; they are ignored`,
            entity: task.entity,
          });
          continue;
        }
        // §17.1 in spirit: a listing that names an entity already met (a loop back to a
        // superior, or an entity listed twice) adds nothing.
        if (seen.has(entry)) continue;
        if (seen.size - 1 >= settings.maxEntities) {
          boundOnce({
            reason: 'crawl_entity_limit',
            message: `the anchor has more than ${settings.maxEntities} members; the others are not crawled (CRAWL_MAX_ENTITIES)`,
          });
          break;
        }
        seen.add(entry);
        queue.push({ kind: 'resolve', entity: entry, depth: task.depth + 1 });
      }
    };

    // A small pool: workers take tasks until the queue is empty and nothing is running.
    let active = 0;
    await new Promise<void>((done) => {
      const pump = () => {
        if (this.#stopped) queue.length = 0;
        while (active < settings.concurrency && queue.length > 0) {
          const task = queue.shift();
          if (task === undefined) break;
          active++;
          void run(task)
            .catch(() => undefined)
            .finally(() => {
              active--;
              onProgress?.({
                resolved: members.size,
                failed,
                pending: queue.length + active,
              });
              pump();
            });
        }
        if (active === 0 && queue.length === 0) done();
      };
      pump();
    });

    const finished = clock.now();
    return anchorView(trustAnchor, [...members.values()], {
      updatedAt: finished,
      durationSeconds: finished - started,
      bounds,
      listFailures,
    });
  }

  /** Keeps the view, and reports the pass in the log and the metrics. */
  #publish(view: AnchorView): AnchorView {
    this.#views.set(view.trustAnchor, view);
    const resolved = view.members.filter((member) => member.ok).length;
    const failed = view.members.length - resolved;
    this.#deps.metrics?.crawlPass(view.trustAnchor, {
      found: view.members.length,
      resolved,
      failed,
      seconds: view.durationSeconds,
    });
    this.#deps.logger?.info(
      {
        trust_anchor: view.trustAnchor,
        members: view.members.length,
        resolved,
        failed,
        list_failures: view.listFailures.length,
        bounds: view.bounds.map((bound) => bound.reason),
        seconds: Math.round(view.durationSeconds * 1000) / 1000,
      },
      'crawl pass',
    );
    return view;
  }

  /** Between passes: members whose chain expires soon are resolved again before it does. */
  async #refresh(): Promise<void> {
    const { clock, settings } = this.#deps;
    const soon = clock.now() + settings.refreshAheadSeconds * 2;
    for (const view of this.#views.values()) {
      const due = view.members.filter(
        (member) =>
          member.ok &&
          Math.min(...member.expiries.filter((e) => e.kind === 'statement').map((e) => e.exp)) <=
            soon,
      );
      if (due.length === 0) continue;
      const refreshed = await this.#resolveAll(
        view.trustAnchor,
        due.map((member) => member.entityId),
      );
      const members = view.members.map(
        (member) => refreshed.find((fresh) => fresh.entityId === member.entityId) ?? member,
      );
      this.#views.set(view.trustAnchor, anchorView(view.trustAnchor, members, view));
    }
  }
}
