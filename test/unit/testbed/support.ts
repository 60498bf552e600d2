/** Helpers of the testbed tests: a small topology, HTTP reads with `fetch`, chains over HTTP. */
import assert from 'node:assert/strict';
import { MEDIA_TYPES } from '../../../src/federation/constants.js';
import { decodeEntityStatement } from '../../../src/federation/entity-statement.js';
import { entityConfigurationUrl } from '../../../src/federation/entity-id.js';
import { getOwn, isPlainObject } from '../../../src/federation/json.js';
import type { DecodedEntityStatement } from '../../../src/federation/types.js';
import type { Testbed } from '../../../src/testbed/federation-server.js';
import type { Topology } from '../../../src/testbed/topology.js';

/** The fixed clock of these tests, in seconds. */
export const NOW = 1_800_000_000;

/** Options for the core: the fixed clock and `http` identifiers (loopback testbed). */
export const CORE_OPTIONS = { now: NOW, allowHttp: true } as const;

/**
 * ta ─┬─ int ── leaf     (leaf is an OpenID Provider, int an Intermediate)
 *     └─ rp              (a Relying Party directly under the anchor)
 */
export function smallTopology(): Topology {
  return {
    entities: [
      { name: 'ta', metadata: { federation_entity: { organization_name: 'TA' } } },
      { name: 'int', authorityHints: ['ta'], lifetimeSeconds: 3600 },
      {
        name: 'leaf',
        authorityHints: ['int'],
        metadata: {
          openid_provider: {
            issuer: '{{self}}',
            token_endpoint: '{{self}}/token',
            id_token_signing_alg_values_supported: ['ES256', 'RS256'],
          },
          federation_entity: { organization_name: 'Leaf', homepage: '{{entity:ta}}' },
        },
      },
      {
        name: 'rp',
        authorityHints: ['ta'],
        metadata: { openid_relying_party: { redirect_uris: ['{{url}}/rp/callback'] } },
      },
    ],
    subordinates: [
      {
        issuer: 'ta',
        subject: 'int',
        constraints: { max_path_length: 1 },
        metadata_policy: {
          openid_provider: { id_token_signing_alg_values_supported: { subset_of: ['ES256'] } },
        },
      },
    ],
  };
}

/** A response read completely. */
export interface ReadResponse {
  readonly status: number;
  readonly contentType: string | null;
  readonly headers: Headers;
  readonly body: string;
}

/** GETs `url` with the global `fetch` and reads the whole body; redirects are not followed. */
export async function get(url: string, init: RequestInit = {}): Promise<ReadResponse> {
  const response = await fetch(url, { redirect: 'manual', ...init });
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    headers: response.headers,
    body: await response.text(),
  };
}

/** GETs a statement and checks the §9/§8.1 success shape: 200 and the statement media type. */
export async function getStatement(url: string): Promise<string> {
  const response = await get(url);
  assert.equal(response.status, 200, `GET ${url}: ${response.body}`);
  assert.equal(response.contentType, MEDIA_TYPES.entityStatement);
  return response.body;
}

/** Decodes a statement served by the testbed (whose identifiers are `http`). */
export function decode(jwt: string): DecodedEntityStatement {
  return decodeEntityStatement(jwt, { allowHttp: true });
}

/** The JSON body of an error response, checked for the §8.9 shape. */
export function errorBody(response: ReadResponse): { error: unknown; error_description: unknown } {
  assert.equal(response.contentType, MEDIA_TYPES.json);
  const parsed: unknown = JSON.parse(response.body);
  assert.ok(isPlainObject(parsed), 'the error body is a JSON object');
  const error = getOwn(parsed, 'error');
  const description = getOwn(parsed, 'error_description');
  assert.equal(typeof description, 'string');
  return { error, error_description: description };
}

/** The fetch endpoint an entity advertises in its served Entity Configuration. */
export async function fetchEndpointOf(testbed: Testbed, name: string): Promise<string> {
  const configuration = decode(await getStatement(entityConfigurationUrl(testbed.entityId(name))));
  const endpoint =
    configuration.claims.metadata?.['federation_entity']?.['federation_fetch_endpoint'];
  assert.equal(typeof endpoint, 'string', `${name} advertises no fetch endpoint`);
  return String(endpoint);
}

/**
 * Builds the trust chain of `path[0]` up to `path[path.length - 1]` the way a resolver does:
 * the subject's configuration from its well-known URL, each superior's configuration for its
 * fetch endpoint, the Subordinate Statements from those endpoints, and the anchor's configuration.
 */
export async function collectChain(testbed: Testbed, path: readonly string[]): Promise<string[]> {
  const [subject] = path;
  assert.ok(subject !== undefined && path.length >= 2);
  const jwts = [await getStatement(entityConfigurationUrl(testbed.entityId(subject)))];
  for (let i = 1; i < path.length; i++) {
    const superior = path[i] ?? '';
    const below = path[i - 1] ?? '';
    const endpoint = await fetchEndpointOf(testbed, superior);
    jwts.push(await getStatement(`${endpoint}?sub=${encodeURIComponent(testbed.entityId(below))}`));
  }
  jwts.push(
    await getStatement(entityConfigurationUrl(testbed.entityId(path[path.length - 1] ?? ''))),
  );
  return jwts;
}
