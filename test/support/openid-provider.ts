/**
 * A real OpenID Provider (oidc-provider) published in a testbed federation: mounted under a
 * testbed entity, so that its issuer is the entity's Entity Identifier (§5.1.3), with the
 * discovery document it really serves, fetched once it runs, as the `openid_provider` metadata
 * of the entity's Entity Configuration.
 */
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import type { Testbed } from '../../src/testbed/index.js';

/** The static client registered at every test provider (client credentials only). */
export const TEST_CLIENT = {
  client_id: 'federated-rp',
  client_secret: 'a client secret long enough for HS256 and more',
  scope: 'api:read',
} as const;

/** A provider running under a testbed entity. */
export interface PublishedProvider {
  /** Its issuer: the entity's Entity Identifier. */
  readonly issuer: string;
  /** The discovery document it serves, as it served it. */
  readonly discovery: Readonly<Record<string, unknown>>;
  /** Unmounts it from the testbed (the testbed's close ends its connections). */
  stop(): void;
}

/** Options of {@link publishProvider}. */
export interface PublishOptions {
  /**
   * Changes the document before it is published as `openid_provider` metadata (for a provider
   * whose configuration says something else than it serves).
   */
  readonly metadata?: (discovery: Record<string, unknown>) => Record<string, unknown>;
}

/**
 * Starts an oidc-provider whose issuer is `testbed.entityId(name)`, mounted under that entity,
 * with the client credentials grant and {@link TEST_CLIENT}, and publishes its discovery
 * document in the entity's Entity Configuration.
 */
export async function publishProvider(
  testbed: Testbed,
  name: string,
  options: PublishOptions = {},
): Promise<PublishedProvider> {
  const issuer = testbed.entityId(name);
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const provider = new Provider(issuer, {
    clients: [
      {
        ...TEST_CLIENT,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    scopes: ['openid', 'api:read'],
    features: { clientCredentials: { enabled: true }, devInteractions: { enabled: false } },
    ttl: { ClientCredentials: 600 },
    jwks: {
      keys: [{ ...(await exportJWK(privateKey)), kid: `${name}-key`, alg: 'RS256', use: 'sig' }],
    },
    cookies: { keys: ['a cookie signing key of the test provider'] },
  });
  testbed.mount(name, provider.callback());
  try {
    const response = await fetch(`${issuer}/.well-known/openid-configuration`);
    if (response.status !== 200) throw new Error(`the provider answered ${response.status}`);
    const discovery = (await response.json()) as Record<string, unknown>;
    if (discovery['issuer'] !== issuer)
      throw new Error(`the provider's issuer is ${String(discovery['issuer'])}`);
    const published = options.metadata?.(structuredClone(discovery)) ?? discovery;
    testbed.setMetadata(name, { openid_provider: published });
    return { issuer, discovery, stop: () => testbed.mount(name, undefined) };
  } catch (error) {
    testbed.mount(name, undefined);
    throw error;
  }
}
