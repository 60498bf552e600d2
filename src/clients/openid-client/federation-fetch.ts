/**
 * A `fetch` for OpenID Connect and OAuth clients that answers a provider's discovery request with
 * the metadata the resolver resolved through the federation (§8.3), and passes every other
 * request through unchanged.
 */
import type { JSONWebKeySet } from 'jose';
import { refused } from './errors.js';
import { getFromResolver, parseObject, type FetchFunction } from './resolver-http.js';
import {
  pinKeys,
  RESOLVE_RESPONSE_MEDIA_TYPE,
  verifiedMetadata,
  type PinnedKeys,
} from './resolve-response.js';
import { discoveryTarget, type DiscoveryEntityType } from './well-known.js';

/** Default bound of one answer of the resolver: 1 MiB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

/** Default leeway on the `exp` and `iat` of a resolve response, in seconds. */
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;

/** How the signed resolve response is verified. */
export interface FederationFetchVerifyOptions {
  /**
   * The resolver's public JWK Set, pinned out of band (for example copied from the `jwks` of the
   * resolver's Entity Configuration, checked with its operator, and shipped with the client):
   * the resolve response must verify with one of these keys (§8.3.2). Public asymmetric keys
   * only. During a key rollover of the resolver, pin both keys.
   */
  readonly resolverJwks: JSONWebKeySet;
  /**
   * The resolver's Entity Identifier, which its responses carry as `iss` (the resolver's
   * `RESOLVER_ENTITY_ID` setting). Default: the `resolver` URL without a trailing slash, which
   * is right when the resolver is published at its own Entity Identifier.
   */
  readonly resolverEntityId?: string;
}

/** Options of {@link createFederationFetch}. */
export interface FederationFetchOptions {
  /**
   * Base URL of the resolver service, e.g. `https://resolver.example.org` (a path is kept:
   * `https://example.org/resolver/` serves `…/resolver/resolve`).
   */
  readonly resolver: string | URL;
  /**
   * Entity Identifiers of the Trust Anchors to resolve under, in order of preference (sent as
   * repeated `trust_anchor` parameters, §8.3.1). At least one.
   */
  readonly trustAnchors: readonly string[];
  /**
   * The Entity Type whose metadata answers a discovery request. Default: `openid_provider` for
   * `/.well-known/openid-configuration`, `oauth_authorization_server` for
   * `/.well-known/oauth-authorization-server` (RFC 8414).
   */
  readonly entityType?: DiscoveryEntityType;
  /**
   * Verify the resolver's answer: ask for the signed resolve response (`/resolve`, §8.3) and
   * check it with pinned keys, so that the metadata is trusted because of a signature rather
   * than because of the channel. Without it the helper asks the resolver's JSON discovery
   * endpoints (`/discovery/openid-configuration`, `/discovery/oauth-authorization-server`) and
   * trusts the answer as TLS delivers it.
   */
  readonly verify?: FederationFetchVerifyOptions;
  /**
   * The `fetch` used for the resolver and for every request passed through. Default:
   * `globalThis.fetch`, looked up at each call.
   */
  readonly fetch?: FetchFunction;
  /** Largest answer of the resolver read, in bytes; a larger one is refused. Default 1 MiB. */
  readonly maxResponseBytes?: number;
  /** Seconds of leeway on the resolve response's `exp` and `iat` (verify only). Default 30. */
  readonly clockTolerance?: number;
}

/**
 * The `init` of a {@link FederationFetch} call: `RequestInit`, whose members may also be given as
 * `undefined` (as openid-client gives `body`), which `fetch` treats as absent.
 */
export type FederationFetchInit = { [K in keyof RequestInit]?: RequestInit[K] | undefined };

/**
 * The function {@link createFederationFetch} returns: the `fetch` signature, usable as
 * openid-client's `customFetch` or by any fetch-based client.
 */
export type FederationFetch = (
  input: string | URL | Request,
  init?: FederationFetchInit,
) => Promise<Response>;

/** An http(s) URL without query or fragment, or a TypeError naming the option. */
function parseIdentifier(value: unknown, name: string): URL {
  let url: URL;
  try {
    url = new URL(value instanceof URL ? value.href : String(value));
  } catch {
    throw new TypeError(`${name} must be an absolute URL, got ${JSON.stringify(String(value))}`);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || /[?#]/.test(url.href)) {
    throw new TypeError(`${name} must be an http(s) URL without query or fragment`);
  }
  return url;
}

/** The settings of one helper, checked once. */
interface Settings {
  readonly resolverBase: URL;
  readonly trustAnchors: readonly string[];
  readonly entityType: DiscoveryEntityType | undefined;
  readonly verify: { readonly keys: PinnedKeys; readonly resolverEntityId: string } | undefined;
  readonly fetch: FetchFunction;
  readonly maxResponseBytes: number;
  readonly clockTolerance: number;
}

function settingsOf(options: FederationFetchOptions): Settings {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createFederationFetch needs an options object');
  }
  const resolver = parseIdentifier(options.resolver, 'resolver');
  // A base that ends in `/`, so that relative endpoint paths keep the resolver's own path.
  const resolverBase = new URL(resolver.href.endsWith('/') ? resolver.href : `${resolver.href}/`);
  const { trustAnchors } = options;
  if (!Array.isArray(trustAnchors) || trustAnchors.length === 0) {
    throw new TypeError('trustAnchors must list at least one Trust Anchor Entity Identifier');
  }
  for (const anchor of trustAnchors) {
    if (typeof anchor !== 'string') throw new TypeError('trustAnchors must be strings');
    parseIdentifier(anchor, `trust anchor ${JSON.stringify(anchor)}`);
  }
  const { entityType } = options;
  if (
    entityType !== undefined &&
    entityType !== 'openid_provider' &&
    entityType !== 'oauth_authorization_server'
  ) {
    throw new TypeError('entityType must be openid_provider or oauth_authorization_server');
  }
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  if (!Number.isSafeInteger(maxResponseBytes) || maxResponseBytes <= 0) {
    throw new TypeError('maxResponseBytes must be a positive integer');
  }
  const clockTolerance = options.clockTolerance ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
  if (!Number.isFinite(clockTolerance) || clockTolerance < 0) {
    throw new TypeError('clockTolerance must be a number of seconds ≥ 0');
  }
  let verify: Settings['verify'];
  if (options.verify !== undefined) {
    const resolverEntityId = options.verify.resolverEntityId ?? resolver.href.replace(/\/$/, '');
    parseIdentifier(resolverEntityId, 'verify.resolverEntityId');
    verify = { keys: pinKeys(options.verify.resolverJwks), resolverEntityId };
  }
  const given = options.fetch;
  if (given !== undefined && typeof given !== 'function') {
    throw new TypeError('fetch must be a function');
  }
  return {
    resolverBase,
    trustAnchors: [...trustAnchors],
    entityType,
    verify,
    fetch: given ?? ((input, init) => globalThis.fetch(input, init)),
    maxResponseBytes,
    clockTolerance,
  };
}

/** The URL, method and signal of a fetch call, whichever form its arguments take. */
function requestOf(
  input: string | URL | Request,
  init: FederationFetchInit | undefined,
): { url: URL | undefined; method: string; signal: AbortSignal | undefined } {
  const request = typeof input === 'string' || input instanceof URL ? undefined : input;
  const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  let url: URL | undefined;
  try {
    url = new URL(href);
  } catch {
    // Not ours to judge: the underlying fetch reports it.
    url = undefined;
  }
  return {
    url,
    method: (init?.method ?? request?.method ?? 'GET').toUpperCase(),
    signal: init?.signal ?? request?.signal ?? undefined,
  };
}

/** The resolver endpoint for one discovery request, with its §8.3.1 parameters. */
function resolverUrl(settings: Settings, issuer: string, entityType: DiscoveryEntityType): URL {
  const path = settings.verify
    ? 'resolve'
    : entityType === 'openid_provider'
      ? 'discovery/openid-configuration'
      : 'discovery/oauth-authorization-server';
  const url = new URL(path, settings.resolverBase);
  url.searchParams.append('sub', issuer);
  for (const anchor of settings.trustAnchors) url.searchParams.append('trust_anchor', anchor);
  if (settings.verify) url.searchParams.append('entity_type', entityType);
  return url;
}

/** The discovery document of `issuer`, from the resolver, checked as the settings say. */
async function discoveryDocument(
  settings: Settings,
  issuer: string,
  entityType: DiscoveryEntityType,
  signal: AbortSignal | undefined,
): Promise<Record<string, unknown>> {
  const url = resolverUrl(settings, issuer, entityType);
  const { verify } = settings;
  const body = await getFromResolver({
    fetch: settings.fetch,
    url,
    accept: verify ? RESOLVE_RESPONSE_MEDIA_TYPE : 'application/json',
    maxBytes: settings.maxResponseBytes,
    signal,
  });
  if (verify === undefined) {
    const document = parseObject(body);
    if (document === undefined) {
      throw refused('body_malformed', 'the discovery document is not a JSON object', 200);
    }
    return document;
  }
  return verifiedMetadata(body.trim(), {
    keys: verify.keys,
    resolverEntityId: verify.resolverEntityId,
    subject: issuer,
    trustAnchors: settings.trustAnchors,
    entityType,
    now: Date.now() / 1000,
    clockTolerance: settings.clockTolerance,
    status: 200,
  });
}

/**
 * Creates a `fetch` that answers a provider's own discovery request from the resolver and passes
 * every other request to `options.fetch` unchanged:
 *
 * - `GET <issuer>/.well-known/openid-configuration` (OpenID Connect Discovery) and
 *   `GET <origin>/.well-known/oauth-authorization-server<issuer path>` (RFC 8414) are answered
 *   with a new `Response` (200, `application/json`) holding the issuer's resolved metadata of
 *   the Entity Type (`openid_provider`, `oauth_authorization_server`, or `entityType`); the
 *   issuer, derived from the URL, is the provider's Entity Identifier (§5.1.3);
 * - a refusal of the resolver, or an answer the helper cannot accept, rejects with a
 *   {@link FederationResolutionError};
 * - a network failure reaching the resolver rejects with the error `fetch` raised, unchanged
 *   (an `AbortSignal` given in `init` or in a `Request` aborts the resolver request too).
 *
 * Throws a TypeError at once for invalid options.
 *
 * @example
 * ```ts
 * const federationFetch = createFederationFetch({
 *   resolver: 'https://resolver.example.org',
 *   trustAnchors: ['https://ta.example.org'],
 * });
 * // openid-client (README.md has both recipes):
 * const config = await client.discovery(issuer, clientId, clientSecret, undefined, {
 *   [client.customFetch]: federationFetch,
 * });
 * ```
 */
export function createFederationFetch(options: FederationFetchOptions): FederationFetch {
  const settings = settingsOf(options);
  return async function federationFetch(input, init) {
    const { url, method, signal } = requestOf(input, init);
    const target = url === undefined || method !== 'GET' ? undefined : discoveryTarget(url);
    // Handed on as given: `fetch` reads an `undefined` member as an absent one.
    if (target === undefined) return settings.fetch(input, init as RequestInit | undefined);
    const entityType = settings.entityType ?? target.entityType;
    const document = await discoveryDocument(settings, target.issuer, entityType, signal);
    return new Response(JSON.stringify(document), {
      status: 200,
      headers: { 'content-type': 'application/json' },
    });
  };
}
