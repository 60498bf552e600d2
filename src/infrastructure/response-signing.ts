/**
 * Signed documents of the resolver itself: its Entity Configuration (§7.4 of the digest) and
 * resolve responses (§8.3.2). Signatures are reused while their content stays the same, so a warm
 * /resolve costs no signing.
 */
import { JWT_TYPES } from '../federation/constants.js';
import type { Clock, Signer } from '../federation/ports.js';
import { buildResolveResponseClaims } from '../federation/resolve-response.js';
import type { ResolvedTrustChain } from '../federation/types.js';
import type { TrustMarkReport } from './trust-mark-service.js';

/** A resolved subject as the endpoints answer it: the chain and its verified trust marks. */
export interface ResolvedSubject {
  readonly chain: ResolvedTrustChain;
  readonly trustMarks?: TrustMarkReport;
}

/** What the resolver publishes about itself. */
export interface ResolverIdentity {
  readonly entityId: string;
  readonly organizationName: string;
  readonly authorityHints: readonly string[];
}

/** Lifetime of the resolver's own Entity Configuration. */
const CONFIGURATION_LIFETIME_SECONDS = 86_400;
/** The configuration is re-signed when less than this remains. */
const CONFIGURATION_RESIGN_SECONDS = 3600;
/** Most signed responses kept per resolved chain (one per entity_type combination). */
const RESPONSES_PER_CHAIN = 32;

/** Signs and caches the resolver's Entity Configuration and its resolve responses. */
export class ResponseSigner {
  readonly #signer: Signer;
  readonly #clock: Clock;
  readonly #identity: ResolverIdentity;
  /** Keyed by the trust mark report when there is one (a new report means new content). */
  readonly #responses = new WeakMap<object, Map<string, Promise<string>>>();
  #configuration: { readonly jwt: string; readonly exp: number } | undefined;

  constructor(signer: Signer, clock: Clock, identity: ResolverIdentity) {
    this.#signer = signer;
    this.#clock = clock;
    this.#identity = identity;
  }

  /** The URL of the resolve endpoint published in the configuration. */
  get resolveEndpoint(): string {
    return `${this.#identity.entityId.replace(/\/$/, '')}/resolve`;
  }

  /** The resolver's Entity Configuration (`entity-statement+jwt`). */
  async entityConfiguration(): Promise<string> {
    const now = Math.floor(this.#clock.now());
    if (
      this.#configuration !== undefined &&
      this.#configuration.exp - now > CONFIGURATION_RESIGN_SECONDS
    ) {
      return this.#configuration.jwt;
    }
    const exp = now + CONFIGURATION_LIFETIME_SECONDS;
    const claims = {
      iss: this.#identity.entityId,
      sub: this.#identity.entityId,
      iat: now,
      exp,
      jwks: this.#signer.publicJwks(),
      metadata: {
        federation_entity: {
          federation_resolve_endpoint: this.resolveEndpoint,
          organization_name: this.#identity.organizationName,
        },
      },
      // §7.4: only when the resolver sits below a Trust Anchor.
      ...(this.#identity.authorityHints.length > 0
        ? { authority_hints: this.#identity.authorityHints }
        : {}),
    };
    const jwt = await this.#signer.sign(claims, JWT_TYPES.entityStatement);
    this.#configuration = { jwt, exp };
    return jwt;
  }

  /** The signed resolve response for a resolution limited to `entityTypes` (§8.3.2). */
  resolveResponse(resolution: ResolvedSubject, entityTypes: readonly string[]): Promise<string> {
    const { chain, trustMarks } = resolution;
    const owner: object = trustMarks ?? chain;
    const key = [...entityTypes].sort().join(' ');
    let signed = this.#responses.get(owner);
    const cached = signed?.get(key);
    if (cached !== undefined) return cached;
    const claims = buildResolveResponseClaims({
      issuer: this.#identity.entityId,
      chain,
      entityTypes,
      now: this.#clock.now(),
      ...(trustMarks === undefined ? {} : { trustMarks: trustMarks.verified }),
    });
    // The pending signature is shared, so concurrent requests sign once and answer alike.
    const jwt = this.#signer.sign({ ...claims }, JWT_TYPES.resolveResponse);
    if (signed === undefined) {
      signed = new Map();
      this.#responses.set(owner, signed);
    }
    if (signed.size < RESPONSES_PER_CHAIN) {
      const entries = signed;
      entries.set(key, jwt);
      jwt.catch(() => entries.delete(key));
    }
    return jwt;
  }
}
