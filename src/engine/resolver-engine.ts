/**
 * The use cases every front door shares (the HTTP API today, the command line and scheduled work
 * next): resolve a query into a signed response, a JSON report or a discovery document, explain a
 * resolution, publish the resolver's own configuration, and say whether the service is ready.
 * Front doors parse their input into a {@link ResolutionQuery}, call one method, and serialise.
 */
import {
  EntityIdNotFoundError,
  InvalidClientError,
  InvalidTrustAnchorError,
  NotFoundError,
  TemporarilyUnavailableError,
} from '../federation/errors.js';
import { resolutionExpiry } from '../federation/resolve-response.js';
import type { EntityTypeMetadata } from '../federation/metadata-policy/types.js';
import type { JwkSet, ResolutionQuery, TrustAnchor } from '../federation/types.js';
import { INTERNAL_CALLER, type Caller } from './admission.js';
import type { ClientAuthenticator } from './client-authentication.js';
import type { Crawler, CrawlProgress } from './crawler.js';
import {
  collectionPage,
  crawlReport,
  type CrawlReport,
  healthReport,
  type AnchorView,
  type CollectionPage,
  type CollectionQuery,
  type HealthReport,
} from './federation-view.js';
import { explainReport, type ExplainReport } from './explain-report.js';
import type { SharedStore, TrustAnchorSource } from './ports.js';
import { resolutionReport, type ResolutionReport } from './resolution-report.js';
import { notInView, type ResolutionService } from './resolution-service.js';
import type { ResolverIdentity } from './resolver-identity.js';
import type { CachingStatementSource } from './statement-cache.js';

/** Dependencies of {@link ResolverEngine}. */
export interface ResolverEngineDependencies {
  readonly resolutions: ResolutionService;
  readonly identity: ResolverIdentity;
  readonly anchors: TrustAnchorSource;
  /** The statement cache, purged with the resolutions. */
  readonly statements?: Pick<CachingStatementSource, 'purgeLocal'>;
  /** The tier shared by every replica, when there is one. */
  readonly shared?: SharedStore;
  /** The crawl of the federations, when CRAWL is on. */
  readonly crawler?: Crawler;
  /**
   * §18.1: `always` resolves subjects not yet cached for every caller; `never` answers callers
   * only from cache (the crawl and the service's own work still resolve live); `authenticated`
   * resolves live only for callers that authenticated with a client assertion (§8.8).
   */
  readonly resolveLive?: 'always' | 'never' | 'authenticated';
  /** Checks `private_key_jwt` client assertions at the resolve endpoint (§8.8). */
  readonly authenticator?: ClientAuthenticator;
}

/** A document with the time it stops being valid (seconds), for caching headers. */
export interface Expiring<T> {
  readonly value: T;
  readonly exp: number;
}

/** The engine's front: one method per use case. */
export class ResolverEngine {
  readonly #deps: ResolverEngineDependencies;

  constructor(deps: ResolverEngineDependencies) {
    this.#deps = deps;
    // A purge announced by any replica (this one included) empties this replica's process tier.
    deps.shared?.onPurge((entity) => void this.#purgeLocal(entity).catch(() => undefined));
  }

  /**
   * Forgets what is cached about `entity` (everything when undefined): its statements, every
   * resolution whose chain contains it and its failures, in this replica's process tier, in the
   * shared tier and, through the shared tier's announcement, in every other replica's process
   * tier. Resolves with the number of entries removed here and in the shared tier.
   */
  async purge(entity: string | undefined): Promise<number> {
    const local = await this.#purgeLocal(entity);
    const shared = (await this.#deps.shared?.purge(entity)) ?? 0;
    return local + shared;
  }

  async #purgeLocal(entity: string | undefined): Promise<number> {
    const [resolutions, statements] = await Promise.all([
      this.#deps.resolutions.purgeLocal(entity),
      this.#deps.statements?.purgeLocal(entity) ?? 0,
    ]);
    return resolutions + statements;
  }

  /** The resolver's Entity Configuration (§9). */
  entityConfiguration(): Promise<string> {
    return this.#deps.identity.entityConfiguration();
  }

  /**
   * The signed resolve response (§8.3.2) for `query`, or the resolution's error thrown. With a
   * `clientAssertion` (§8.8, `private_key_jwt`), the caller is authenticated first: a bad
   * assertion is `invalid_client`, and an authenticated caller resolves live when
   * RESOLVE_LIVE=authenticated.
   */
  async resolveResponse(
    query: ResolutionQuery,
    caller: Caller = INTERNAL_CALLER,
    clientAssertion?: string,
  ): Promise<Expiring<string>> {
    let authenticated = false;
    if (clientAssertion !== undefined) {
      const authenticator = this.#deps.authenticator;
      if (authenticator === undefined) {
        throw new InvalidClientError('client authentication is not offered here', {
          reason: 'client_assertion_invalid',
          section: '§8.8',
        });
      }
      await authenticator.authenticate(clientAssertion, caller);
      authenticated = true;
    }
    const resolution = await this.#deps.resolutions.resolve(query, caller, {
      live: this.#live(caller, authenticated),
    });
    const jwt = await this.#deps.identity.resolveResponse(resolution, query.entityTypes ?? []);
    return {
      value: jwt,
      exp: resolutionExpiry(resolution.chain, resolution.trustMarks?.verified ?? []),
    };
  }

  /**
   * The JSON report of `query`. Each of `requiredTrustMarkTypes` must be held as a verified mark,
   * otherwise `not_found` (trust_mark_not_found).
   */
  async resolution(
    query: ResolutionQuery,
    requiredTrustMarkTypes: readonly string[] = [],
    caller: Caller = INTERNAL_CALLER,
  ): Promise<ResolutionReport> {
    const resolution = await this.#resolve(query, caller);
    const marks = resolution.trustMarks?.verified ?? [];
    const missing = requiredTrustMarkTypes.filter(
      (type) => !marks.some((mark) => mark.trust_mark_type === type),
    );
    if (missing.length > 0) {
      throw new NotFoundError(
        `${query.subject} holds no verified trust mark of type ${missing.join(', ')}`,
        { reason: 'trust_mark_not_found', section: '§8.3.2' },
      );
    }
    return resolutionReport(query, resolution);
  }

  /** The Resolved Metadata of one Entity Type, for discovery documents; `not_found` if absent. */
  async entityTypeMetadata(
    query: ResolutionQuery,
    entityType: string,
    caller: Caller = INTERNAL_CALLER,
  ): Promise<Expiring<EntityTypeMetadata>> {
    const { chain } = await this.#resolve(query, caller);
    const metadata = Object.hasOwn(chain.metadata, entityType)
      ? chain.metadata[entityType]
      : undefined;
    if (metadata === undefined) {
      throw new NotFoundError(
        `${chain.subject} has no ${entityType} metadata in its resolved trust chain`,
        { reason: 'entity_type_not_found', entityType },
      );
    }
    return { value: metadata, exp: chain.exp };
  }

  /** A fresh, exhaustive resolution of `query`, explained (diagnostics). */
  async explain(query: ResolutionQuery, caller: Caller = INTERNAL_CALLER): Promise<ExplainReport> {
    // An explanation always resolves afresh: in cache-only mode, only for subjects in the view.
    if (!this.#live(caller) && !(await this.#deps.resolutions.isKnown(query))) {
      throw notInView(query.subject);
    }
    return explainReport(query, await this.#deps.resolutions.explain(query, caller));
  }

  /**
   * A page of the Entity Collection (Entity Collection extension) of `trustAnchor`: from the
   * last crawl, in memory. `from_entity_id` that is not listed is `entity_id_not_found`.
   */
  collection(trustAnchor: string, query: CollectionQuery): CollectionPage {
    const page = collectionPage(this.#view(trustAnchor), query);
    if (page === undefined) {
      throw new EntityIdNotFoundError(
        `${query.fromEntityId ?? ''} is not an entity of the collection of ${trustAnchor}`,
        { reason: 'parameter_invalid', requestParameter: 'from_entity_id' },
      );
    }
    return page;
  }

  /** The health report of the federation under `trustAnchor`, from the last crawl. */
  federationHealth(trustAnchor: string, horizonSeconds: number, now: number): HealthReport {
    return healthReport(this.#view(trustAnchor), now, horizonSeconds);
  }

  /** The Entity Identifiers of the configured Trust Anchors, sorted. */
  trustAnchorIds(): string[] {
    return this.trustAnchors()
      .map((anchor) => anchor.entity_id)
      .sort();
  }

  /**
   * One crawl pass over the configured `trustAnchor` now (CRAWL must be on), reporting its
   * progress; resolves with the report of what it found, expiries within `horizonSeconds` of
   * `now` included.
   */
  async crawl(
    trustAnchor: string,
    options: {
      readonly now: () => number;
      readonly horizonSeconds: number;
      readonly onProgress?: (progress: CrawlProgress) => void;
    },
  ): Promise<CrawlReport> {
    const crawler = this.#deps.crawler;
    this.#configuredAnchor(trustAnchor);
    if (crawler === undefined) throw new Error('the crawl is not configured (CRAWL=on)');
    const view = await crawler.crawl(trustAnchor, options.onProgress);
    return crawlReport(view, options.now(), options.horizonSeconds);
  }

  /** The configured Trust Anchors with their pinned keys. */
  trustAnchors(): readonly TrustAnchor[] {
    return this.#deps.anchors.all();
  }

  /**
   * The Entity Configuration of `entityId` checked against its own keys (signature, typ, alg,
   * kid, claims, time window): what an operator compares out of band before pinning it (§11.3).
   */
  async selfSignedConfiguration(
    entityId: string,
  ): Promise<{ readonly entityId: string; readonly jwks: JwkSet; readonly exp: number }> {
    const chain = await this.#deps.resolutions.selfSignedConfiguration(entityId);
    const configuration = chain.statements[0];
    if (configuration === undefined) throw new Error('a one-element chain without its statement');
    return { entityId, jwks: configuration.claims.jwks, exp: configuration.claims.exp };
  }

  /** Whether the federation-wide endpoints exist (a crawl is configured). */
  get crawls(): boolean {
    return this.#deps.crawler !== undefined;
  }

  #configuredAnchor(trustAnchor: string): void {
    if (this.#deps.anchors.get(trustAnchor) === undefined) {
      throw new InvalidTrustAnchorError(`${trustAnchor} is not a configured Trust Anchor`, {
        reason: 'trust_anchor_unknown',
        section: '§8.3.1',
      });
    }
  }

  #view(trustAnchor: string): AnchorView {
    this.#configuredAnchor(trustAnchor);
    const view = this.#deps.crawler?.view(trustAnchor);
    if (view === undefined) {
      throw new TemporarilyUnavailableError(
        `the first crawl of ${trustAnchor} has not finished yet`,
        { reason: 'collection_not_ready', retryAfter: 10 },
      );
    }
    return view;
  }

  #live(caller: Caller, authenticated = false): boolean {
    const mode = this.#deps.resolveLive ?? 'always';
    return (
      mode === 'always' || caller.internal === true || (mode === 'authenticated' && authenticated)
    );
  }

  #resolve(query: ResolutionQuery, caller: Caller) {
    return this.#deps.resolutions.resolve(query, caller, { live: this.#live(caller) });
  }

  /**
   * Whether the service can resolve anything: at least one Trust Anchor is configured. The
   * shared tier's state is reported but never makes the service unready: it is a cache.
   */
  readiness(): {
    readonly ready: boolean;
    readonly trustAnchors: number;
    readonly redis: 'up' | 'down' | 'off';
  } {
    const count = this.#deps.anchors.all().length;
    return { ready: count > 0, trustAnchors: count, redis: this.#deps.shared?.state ?? 'off' };
  }
}
