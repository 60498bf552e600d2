/**
 * Where each testbed entity lives. Every entity is served by one server under a path prefix, so
 * its Entity Identifier is `<base>/<name>` and its endpoints hang below that (§9: the well-known
 * path is appended to the identifier, path included).
 */
import { WELL_KNOWN_FEDERATION_PATH } from '../federation/constants.js';
import { entityConfigurationUrl } from '../federation/entity-id.js';

/** Path of the fetch endpoint below an entity's identifier (§8.1). */
export const FETCH_PATH = '/fetch';

/** Path of the list endpoint below an entity's identifier (§8.2). */
export const LIST_PATH = '/list';

/** Path of the Trust Mark Status endpoint below a trust mark issuer's identifier (§8.4). */
export const STATUS_PATH = '/status';

/** Kinds of endpoint the testbed serves, by path below the entity's identifier. */
export const ENDPOINT_PATHS = {
  configuration: WELL_KNOWN_FEDERATION_PATH,
  fetch: FETCH_PATH,
  list: LIST_PATH,
  status: STATUS_PATH,
} as const;

/** URLs of the entities of one running testbed. */
export interface EntityUrls {
  /** The server's base URL, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Entity Identifier of `name`. */
  entityId(name: string): string;
  /** URL of the Entity Configuration of `name` (§9). */
  configurationUrl(name: string): string;
  /** `federation_fetch_endpoint` of `name`. */
  fetchEndpoint(name: string): string;
  /** `federation_list_endpoint` of `name`. */
  listEndpoint(name: string): string;
  /** `federation_trust_mark_status_endpoint` of `name`. */
  trustMarkStatusEndpoint(name: string): string;
}

/** The base URL of a server listening on `host:port` (IPv6 literals in brackets). */
export function baseUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The URL builder of a testbed whose base URL is `url`. */
export function createEntityUrls(url: string): EntityUrls {
  const entityId = (name: string): string => `${url}/${name}`;
  return {
    url,
    entityId,
    configurationUrl: (name) => entityConfigurationUrl(entityId(name)),
    fetchEndpoint: (name) => `${entityId(name)}${FETCH_PATH}`,
    listEndpoint: (name) => `${entityId(name)}${LIST_PATH}`,
    trustMarkStatusEndpoint: (name) => `${entityId(name)}${STATUS_PATH}`,
  };
}
