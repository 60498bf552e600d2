/**
 * Which requests are a provider's own discovery request, and for which issuer: the OpenID Connect
 * Discovery form (the suffix appended to the issuer, path included) and the RFC 8414 form (the
 * well-known segment inserted between the origin and the issuer's path).
 */
import { FederationResolutionError } from './errors.js';

/** The Entity Types whose metadata is a discovery document (§5.1.3, §5.1.4). */
export type DiscoveryEntityType = 'openid_provider' | 'oauth_authorization_server';

/** OpenID Connect Discovery 1.0 §4: appended to the issuer. */
export const OPENID_CONFIGURATION_SUFFIX = '/.well-known/openid-configuration';

/** RFC 8414 §3: inserted between the host and the issuer's path. */
export const OAUTH_AUTHORIZATION_SERVER_PREFIX = '/.well-known/oauth-authorization-server';

/** A discovery request: whose metadata, as which Entity Type. */
export interface DiscoveryTarget {
  /** The issuer, which is the provider's Entity Identifier (§5.1.3: `issuer` equals it). */
  readonly issuer: string;
  /** The Entity Type the form of the request stands for. */
  readonly entityType: DiscoveryEntityType;
}

/**
 * The discovery target of `url`, or `undefined` for any other request. The issuer is the URL
 * with the well-known part taken out, nothing else changed (as the URL parser normalises it:
 * scheme and host in lower case, no default port). A well-known URL with a query or a fragment
 * names no issuer (an issuer has neither) and is refused with `invalid_request`.
 */
export function discoveryTarget(url: URL): DiscoveryTarget | undefined {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  const path = url.pathname;
  let target: DiscoveryTarget | undefined;
  if (path.endsWith(OPENID_CONFIGURATION_SUFFIX)) {
    const issuerPath = path.slice(0, -OPENID_CONFIGURATION_SUFFIX.length);
    target = { issuer: `${url.origin}${issuerPath}`, entityType: 'openid_provider' };
  } else if (
    path === OAUTH_AUTHORIZATION_SERVER_PREFIX ||
    path.startsWith(`${OAUTH_AUTHORIZATION_SERVER_PREFIX}/`)
  ) {
    const issuerPath = path.slice(OAUTH_AUTHORIZATION_SERVER_PREFIX.length);
    target = { issuer: `${url.origin}${issuerPath}`, entityType: 'oauth_authorization_server' };
  }
  // In the serialised URL a `?` or `#` can only start a query or a fragment (in the path they
  // are percent-encoded), so this also catches an empty one.
  if (target !== undefined && /[?#]/.test(url.href)) {
    throw new FederationResolutionError(
      `${url.href} is a discovery request with a query or a fragment, which no issuer has`,
      { code: 'invalid_request', reason: 'discovery_url_invalid' },
    );
  }
  return target;
}
