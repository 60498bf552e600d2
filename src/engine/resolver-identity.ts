/**
 * The resolver's own statements: its Entity Configuration (§9, §8.3: it publishes
 * `federation_resolve_endpoint` and the keys that sign its responses) and its resolve responses
 * (§8.3.2). A signed document is reused while its content stays the same, so a warm /resolve
 * costs no signing.
 */
import { JWT_TYPES } from '../federation/constants.js';
import type { Clock, Signer } from '../federation/ports.js';
import { buildResolveResponseClaims } from '../federation/resolve-response.js';
import { Coalescer } from './coalescer.js';
import type { CacheTier, EngineMetrics } from './ports.js';
import type { ServedResolution } from './resolution-service.js';

/** What the resolver publishes about itself. */
export interface ResolverIdentityOptions {
  readonly entityId: string;
  readonly organizationName: string;
  readonly authorityHints: readonly string[];
  /** Publish `federation_collection_endpoint` (the service crawls, so it serves /collection). */
  readonly collection?: boolean;
  /**
   * §8.8.1: the algorithms accepted for `private_key_jwt` at the resolve endpoint, published with
   * `federation_resolve_endpoint_auth_methods` (`none` and `private_key_jwt`).
   */
  readonly endpointAuthAlgorithms?: readonly string[];
}

/** Dependencies of {@link ResolverIdentity}. */
export interface ResolverIdentityDependencies {
  readonly signer: Signer;
  readonly clock: Clock;
  /** Signed resolve responses, by resolved content and Entity Types, until they expire. */
  readonly responses: CacheTier<string>;
  readonly identity: ResolverIdentityOptions;
  readonly metrics?: EngineMetrics;
}

/** Lifetime of the resolver's own Entity Configuration. */
const CONFIGURATION_LIFETIME_SECONDS = 86_400;
/** The configuration is re-signed when less than this remains. */
const CONFIGURATION_RESIGN_SECONDS = 3600;

/** Signs and reuses the resolver's Entity Configuration and its resolve responses. */
export class ResolverIdentity {
  readonly #deps: ResolverIdentityDependencies;
  readonly #signing = new Coalescer<string>();
  #configuration: { readonly jwt: string; readonly exp: number } | undefined;

  constructor(deps: ResolverIdentityDependencies) {
    this.#deps = deps;
  }

  /** The resolver's Entity Identifier. */
  get entityId(): string {
    return this.#deps.identity.entityId;
  }

  /** The URL of the resolve endpoint published in the configuration. */
  get resolveEndpoint(): string {
    return `${this.#deps.identity.entityId.replace(/\/$/, '')}/resolve`;
  }

  /** The resolver's Entity Configuration (`entity-statement+jwt`). */
  async entityConfiguration(): Promise<string> {
    const now = Math.floor(this.#deps.clock.now());
    const current = this.#configuration;
    if (current !== undefined && current.exp - now > CONFIGURATION_RESIGN_SECONDS) {
      return current.jwt;
    }
    return this.#signing.run('entity-configuration', async () => {
      const { identity, signer } = this.#deps;
      const exp = now + CONFIGURATION_LIFETIME_SECONDS;
      const claims = {
        iss: identity.entityId,
        sub: identity.entityId,
        iat: now,
        exp,
        jwks: signer.publicJwks(),
        metadata: {
          federation_entity: {
            federation_resolve_endpoint: this.resolveEndpoint,
            // Entity Collection extension: an entity publishing it SHOULD publish the resolve
            // endpoint too, which this one does.
            ...(identity.collection === true
              ? {
                  federation_collection_endpoint: `${identity.entityId.replace(/\/$/, '')}/collection`,
                }
              : {}),
            ...(identity.endpointAuthAlgorithms === undefined
              ? {}
              : {
                  federation_resolve_endpoint_auth_methods: ['none', 'private_key_jwt'],
                  endpoint_auth_signing_alg_values_supported: identity.endpointAuthAlgorithms,
                }),
            organization_name: identity.organizationName,
          },
        },
        // §3.1.1: only when the resolver sits below a Trust Anchor.
        ...(identity.authorityHints.length > 0 ? { authority_hints: identity.authorityHints } : {}),
      };
      const jwt = await signer.sign(claims, JWT_TYPES.entityStatement);
      this.#configuration = { jwt, exp };
      return jwt;
    });
  }

  /** The signed resolve response for a resolution limited to `entityTypes` (§8.3.2). */
  async resolveResponse(
    resolution: ServedResolution,
    entityTypes: readonly string[],
  ): Promise<string> {
    const { clock, metrics, responses, signer } = this.#deps;
    const key = `${resolution.contentId}\n${[...entityTypes].sort().join(' ')}`;
    const cached = await responses.get(key);
    metrics?.cacheLookup('responses', cached !== undefined);
    if (cached !== undefined) return cached;
    // The pending signature is shared, so concurrent requests sign once and answer alike.
    return this.#signing.run(key, async () => {
      const now = clock.now();
      const claims = buildResolveResponseClaims({
        issuer: this.#deps.identity.entityId,
        chain: resolution.chain,
        entityTypes,
        now,
        ...(resolution.trustMarks === undefined
          ? {}
          : { trustMarks: resolution.trustMarks.verified }),
      });
      const jwt = await signer.sign({ ...claims }, JWT_TYPES.resolveResponse);
      const ttlMs = Math.floor((claims.exp - now) * 1000);
      if (ttlMs > 0) await responses.set(key, jwt, { ttlMs, sizeBytes: jwt.length + key.length });
      return jwt;
    });
  }
}
