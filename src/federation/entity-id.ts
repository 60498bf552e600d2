import { WELL_KNOWN_FEDERATION_PATH } from './constants.js';

/** Options for Entity Identifier checks. */
export interface EntityIdOptions {
  /** Accept `http` identifiers too (tests and demos only; §1.2 requires `https`). */
  readonly allowHttp?: boolean;
}

/** Longest Entity Identifier accepted; a URL this long is hostile, not an identifier. */
const MAX_ENTITY_ID_LENGTH = 2048;

/**
 * True when `value` is a valid Entity Identifier (§1.2): an `https` URL with a host and no query
 * or fragment. Checked on the raw string, because comparison is code point by code point (§16)
 * and the URL parser would silently normalise what we later compare.
 */
export function isEntityIdentifier(value: unknown, options: EntityIdOptions = {}): value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ENTITY_ID_LENGTH) {
    return false;
  }
  const scheme = options.allowHttp === true ? /^https?:\/\//i : /^https:\/\//i;
  if (!scheme.test(value)) return false;
  if (value.includes('?') || value.includes('#')) return false;
  // Whitespace and control characters are never part of an identifier the URL parser would keep.
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(value)) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.hostname === '' || url.username !== '' || url.password !== '') return false;
  return url.protocol === 'https:' || (options.allowHttp === true && url.protocol === 'http:');
}

/**
 * The URL of an entity's Entity Configuration (§9): drop one trailing "/", then append
 * `/.well-known/openid-federation`, keeping any path (unlike RFC 8414).
 */
export function entityConfigurationUrl(entityId: string): string {
  const base = entityId.endsWith('/') ? entityId.slice(0, -1) : entityId;
  return `${base}${WELL_KNOWN_FEDERATION_PATH}`;
}

/**
 * The request URL of a fetch endpoint for `subject` (§8.1.1): `sub` is added to whatever query
 * the endpoint already has; any `iss` parameter of older drafts is never sent.
 */
export function fetchEndpointUrl(fetchEndpoint: string, subject: string): string {
  const url = new URL(fetchEndpoint);
  url.searchParams.set('sub', subject);
  return url.href;
}

/** The host of an Entity Identifier in lower case (for naming constraints, §6.2.2). */
export function entityIdHost(entityId: string): string {
  return new URL(entityId).hostname.toLowerCase();
}
