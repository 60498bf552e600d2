/**
 * Client authentication at the resolve endpoint (§8.8, §8.8.1): `private_key_jwt` (OpenID
 * Connect Core §9), where the assertion is signed with a Federation Entity Key of the caller.
 * Trust in that key comes the federation's way: the caller's Entity Configuration must resolve
 * under one of the configured Trust Anchors, and the key must be in it. `aud` must be exactly the
 * resolver's Entity Identifier; `exp` bounds the assertion's life and `jti` is accepted once
 * (remembered until `exp`, on every replica when the shared tier is there).
 */
import { decodeJws } from '../federation/jws.js';
import { verifyJwsSignature, type VerifyOptions } from '../federation/entity-statement.js';
import { isEntityIdentifier } from '../federation/entity-id.js';
import { InvalidClientError, toFederationError } from '../federation/errors.js';
import { getOwn, isNonEmptyString } from '../federation/json.js';
import type { Clock } from '../federation/ports.js';
import type { Caller } from './admission.js';
import type { SharedStore, TrustAnchorSource } from './ports.js';
import type { ResolutionService } from './resolution-service.js';

/** The `client_assertion_type` of `private_key_jwt` (RFC 7523 §2.2). */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Settings of {@link ClientAuthenticator}. */
export interface ClientAuthenticationOptions {
  /** The resolver's Entity Identifier: the only `aud` accepted (§8.8). */
  readonly audience: string;
  /** Accepted `alg` values (`endpoint_auth_signing_alg_values_supported`); never `none`. */
  readonly allowedAlgorithms: readonly string[];
  /** Leeway on `exp`, `iat` and `nbf`, seconds. */
  readonly clockSkew: number;
  /** Longest life (`exp` from now) accepted, seconds: it bounds how long a `jti` is remembered. */
  readonly maxLifetimeSeconds: number;
  /** Accept `http` Entity Identifiers (tests and demos). */
  readonly allowHttp: boolean;
}

/** Dependencies of {@link ClientAuthenticator}. */
export interface ClientAuthenticatorDependencies {
  readonly resolutions: ResolutionService;
  readonly anchors: TrustAnchorSource;
  readonly clock: Clock;
  readonly options: ClientAuthenticationOptions;
  readonly verification?: VerifyOptions;
  /** Where used `jti` values are remembered across replicas. */
  readonly shared?: SharedStore;
}

/** Most `jti` values remembered by this replica. */
const MAX_REMEMBERED_JTIS = 100_000;

function refuse(
  message: string,
  reason: 'client_assertion_invalid' | 'client_assertion_replayed' = 'client_assertion_invalid',
) {
  return new InvalidClientError(message, { reason, section: '§8.8' });
}

/** Checks client assertions; resolves with the authenticated caller's Entity Identifier. */
export class ClientAuthenticator {
  readonly #deps: ClientAuthenticatorDependencies;
  /** `iss` + `jti` → `exp`, oldest first. */
  readonly #used = new Map<string, number>();

  constructor(deps: ClientAuthenticatorDependencies) {
    this.#deps = deps;
  }

  /**
   * Verifies `assertion` (cheap checks first, then the caller's chain, then the signature, and
   * the `jti` last, so a forged assertion cannot use up a real one's `jti`). The caller's chain is
   * a resolution charged to `caller`. Throws `invalid_client` (401) with the reason.
   */
  async authenticate(assertion: unknown, caller: Caller): Promise<string> {
    const { clock, options } = this.#deps;
    let parsed;
    try {
      parsed = decodeJws(assertion, {
        // OpenID Connect Core §9 sets no `typ` for client assertions: any, or none, is taken.
        typ: 'any',
        allowedAlgorithms: options.allowedAlgorithms,
        what: 'client assertion',
        section: '§8.8',
        error: InvalidClientError,
      });
    } catch (error) {
      throw refuse(`the client assertion is invalid: ${toFederationError(error).message}`);
    }
    const claims = parsed.payload;
    const iss = getOwn(claims, 'iss');
    if (
      !isEntityIdentifier(iss, { allowHttp: options.allowHttp }) ||
      getOwn(claims, 'sub') !== iss
    ) {
      throw refuse(
        'the client assertion must have iss and sub both set to the client’s Entity Identifier',
      );
    }
    const aud = getOwn(claims, 'aud');
    const audiences = Array.isArray(aud) ? aud : [aud];
    // §8.8: the audience is exactly this endpoint's owner, and nothing else.
    if (audiences.length !== 1 || audiences[0] !== options.audience) {
      throw refuse(`the client assertion's aud must be exactly ${options.audience}`);
    }
    const now = clock.now();
    const exp = getOwn(claims, 'exp');
    if (typeof exp !== 'number' || !Number.isFinite(exp))
      throw refuse('the client assertion has no exp');
    if (exp + options.clockSkew <= now) throw refuse('the client assertion has expired');
    if (exp - now > options.maxLifetimeSeconds + options.clockSkew) {
      throw refuse(`the client assertion lives longer than ${options.maxLifetimeSeconds} s`);
    }
    for (const claim of ['iat', 'nbf']) {
      const value = getOwn(claims, claim);
      if (value !== undefined && (typeof value !== 'number' || value - options.clockSkew > now)) {
        throw refuse(`the client assertion's ${claim} is in the future`);
      }
    }
    const jti = getOwn(claims, 'jti');
    if (!isNonEmptyString(jti) || jti.length > 256) {
      throw refuse('the client assertion needs a jti of at most 256 characters');
    }
    const key = `${iss}\n${jti}`;
    if ((this.#used.get(key) ?? 0) > now)
      throw refuse('the client assertion was used before', 'client_assertion_replayed');

    // The caller's keys are those of its Entity Configuration in a valid chain (§8.8).
    let keys;
    try {
      const served = await this.#deps.resolutions.resolve(
        { subject: iss, trustAnchors: this.#deps.anchors.all().map((a) => a.entity_id) },
        caller,
      );
      keys = served.chain.statements[0]?.claims.jwks ?? { keys: [] };
    } catch (error) {
      const cause = toFederationError(error);
      throw refuse(
        `the client ${iss} does not resolve under a configured Trust Anchor (${cause.reason}: ${cause.message})`,
      );
    }
    try {
      await verifyJwsSignature(
        parsed.jwt,
        parsed.header,
        keys,
        this.#deps.verification ?? {},
        InvalidClientError,
      );
    } catch (error) {
      throw refuse(
        `the client assertion is not signed with a key of ${iss}: ${toFederationError(error).message}`,
      );
    }
    await this.#remember(key, exp, now);
    return iss;
  }

  /** Marks `key` used until `exp`, here and (when there is one) in the shared tier. */
  async #remember(key: string, exp: number, now: number): Promise<void> {
    const ttlMs = Math.max(1, Math.ceil((exp - now + this.#deps.options.clockSkew) * 1000));
    const shared = this.#deps.shared;
    if (shared !== undefined && shared.state === 'up') {
      const first = await shared.lease(`j:${key}`, ttlMs);
      // A lease refused while the store still answers means another replica saw the jti first.
      if (!first && shared.state === 'up')
        throw refuse('the client assertion was used before', 'client_assertion_replayed');
    }
    for (const [old, until] of this.#used) {
      if (until > now && this.#used.size < MAX_REMEMBERED_JTIS) break;
      this.#used.delete(old);
    }
    this.#used.set(key, exp + this.#deps.options.clockSkew);
  }
}
