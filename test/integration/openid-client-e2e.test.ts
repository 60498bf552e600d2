/**
 * End to end with real OpenID software: an oidc-provider OpenID Provider published in a testbed
 * federation (its Entity Identifier is its issuer, its Entity Configuration wraps the discovery
 * document it really serves), a Trust Anchor whose metadata_policy changes what a relying party
 * sees, and an openid-client relying party that discovers the provider through
 * federation-resolver/openid-client, in both modes, and obtains a token from it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as client from 'openid-client';
import {
  createFederationFetch,
  type FederationFetchOptions,
} from '../../src/clients/openid-client/index.js';
import type { Topology } from '../../src/testbed/index.js';
import {
  publishProvider,
  TEST_CLIENT,
  type PublishedProvider,
} from '../support/openid-provider.js';
import { findResolutionError, resolutionRejection } from '../support/resolution-error.js';
import { resolverKeys, type ResolverKeys } from '../support/resolver-keys.js';
import { RESOLVER_ID, startHarness, type Harness } from '../support/service.js';

/** What the Trust Anchor imposes on every provider below it (§6.1.3.1: subset_of, add). */
const ALLOWED_AUTH_METHODS = ['client_secret_basic', 'private_key_jwt'];
const FEDERATION_CONTACT = 'federation-ops@ta.example';
const POLICY = {
  openid_provider: {
    token_endpoint_auth_methods_supported: { subset_of: ALLOWED_AUTH_METHODS },
    contacts: { add: [FEDERATION_CONTACT] },
  },
};

/**
 * ta ← op (a real provider), ta ← op-broken (a real provider whose statement from ta is signed
 * with a key nobody attests), ta ← op-misissued (a real provider whose configuration names
 * another issuer than its Entity Identifier).
 */
function topology(): Topology {
  const providers = ['op', 'op-broken', 'op-misissued'];
  return {
    entities: [{ name: 'ta' }, ...providers.map((name) => ({ name, authorityHints: ['ta'] }))],
    subordinates: providers.map((subject) => ({
      issuer: 'ta',
      subject,
      metadata_policy: POLICY,
      ...(subject === 'op-broken' ? { faults: { wrongKey: true } } : {}),
    })),
  };
}

const MODES = ['JSON discovery', 'verified /resolve'] as const;
type Mode = (typeof MODES)[number];

describe('openid-client discovers an oidc-provider through the resolver', () => {
  let h: Harness;
  let keys: ResolverKeys;
  const providers = new Map<string, PublishedProvider>();

  before(async () => {
    keys = await resolverKeys();
    h = await startHarness(topology(), ['ta'], { RESOLVER_KEYS_FILE: keys.file });
    for (const name of ['op', 'op-broken'])
      providers.set(name, await publishProvider(h.testbed, name));
    providers.set(
      'op-misissued',
      await publishProvider(h.testbed, 'op-misissued', {
        metadata: (discovery) => ({ ...discovery, issuer: `${h.testbed.url}/elsewhere` }),
      }),
    );
  });
  after(async () => {
    for (const provider of providers.values()) provider.stop();
    await h.close();
    keys.remove();
  });

  function federationFetch(mode: Mode, options: Partial<FederationFetchOptions> = {}) {
    return createFederationFetch({
      resolver: h.resolver.url,
      trustAnchors: [h.testbed.entityId('ta')],
      ...(mode === 'verified /resolve'
        ? { verify: { resolverJwks: keys.jwks, resolverEntityId: RESOLVER_ID } }
        : {}),
      ...options,
    });
  }

  /** openid-client's discovery of `name`, through the helper. */
  function discover(
    mode: Mode,
    name: string,
    options: Partial<FederationFetchOptions> = {},
    algorithm?: 'oidc' | 'oauth2',
  ): Promise<client.Configuration> {
    const issuer = providers.get(name)?.issuer ?? h.testbed.entityId(name);
    return client.discovery(
      new URL(issuer),
      TEST_CLIENT.client_id,
      TEST_CLIENT.client_secret,
      // A method the federation's policy leaves to the provider (subset_of).
      client.ClientSecretBasic(TEST_CLIENT.client_secret),
      {
        [client.customFetch]: federationFetch(mode, options),
        execute: [client.allowInsecureRequests],
        ...(algorithm === undefined ? {} : { algorithm }),
      },
    );
  }

  const provider = (name: string): PublishedProvider => {
    const found = providers.get(name);
    assert.ok(found !== undefined, name);
    return found;
  };

  for (const mode of MODES) {
    describe(mode, () => {
      it('discovers the provider with the Trust Anchor policy applied, and gets a token from it', async () => {
        const op = provider('op');
        const config = await discover(mode, 'op');
        const metadata = config.serverMetadata();
        assert.equal(metadata.issuer, op.issuer);
        assert.equal(metadata.token_endpoint, op.discovery['token_endpoint']);
        assert.equal(metadata.token_endpoint, `${op.issuer}/token`);
        // The provider offers more methods than the federation allows; the client sees only
        // those the policy leaves, and the federation's contact added.
        const offered = op.discovery['token_endpoint_auth_methods_supported'] as string[];
        assert.ok(offered.includes('client_secret_post'), offered.join());
        assert.deepEqual(
          [...(metadata.token_endpoint_auth_methods_supported ?? [])].sort(),
          [...ALLOWED_AUTH_METHODS].sort(),
        );
        assert.equal(op.discovery['contacts'], undefined);
        assert.deepEqual(metadata['contacts'], [FEDERATION_CONTACT]);

        h.testbed.requests.reset();
        const tokens = await client.clientCredentialsGrant(config, { scope: TEST_CLIENT.scope });
        assert.equal(typeof tokens.access_token, 'string');
        assert.ok(tokens.access_token.length > 20);
        assert.equal(tokens.token_type, 'bearer');
        assert.equal(tokens.scope, TEST_CLIENT.scope);
        assert.ok((tokens.expires_in ?? 0) > 0);
        // The token request went to the provider itself, through the helper unchanged.
        const [tokenRequest] = h.testbed.requests.entries();
        assert.deepEqual(
          [tokenRequest?.method, tokenRequest?.path, tokenRequest?.kind, tokenRequest?.status],
          ['POST', '/op/token', 'application', 200],
        );
      });

      it('discovers the provider by its RFC 8414 metadata URL too', async () => {
        const config = await discover(mode, 'op', { entityType: 'openid_provider' }, 'oauth2');
        assert.equal(config.serverMetadata().issuer, provider('op').issuer);
        assert.deepEqual(config.serverMetadata()['contacts'], [FEDERATION_CONTACT]);
      });

      it("fails discovery of a provider with a broken chain, with the resolver's reason", async () => {
        const error = await resolutionRejection(discover(mode, 'op-broken'));
        assert.equal(error.code, 'invalid_trust_chain');
        assert.equal(error.reason, 'signature_invalid');
        assert.equal(error.status, 400);
      });
    });
  }

  it('fails discovery of a provider whose configuration names another issuer than its Entity Identifier (§5.1.3)', async () => {
    // openid-client would refuse such a document too, but with an error of its own: the
    // federation's answer must be that the metadata is invalid, from the resolver.
    for (const mode of MODES) {
      let thrown: unknown;
      await discover(mode, 'op-misissued').catch((error: unknown) => {
        thrown = error;
      });
      assert.ok(thrown !== undefined, `${mode}: discovery succeeded`);
      const error = findResolutionError(thrown);
      assert.ok(error !== undefined, `${mode}: not a FederationResolutionError: ${String(thrown)}`);
      assert.equal(error.code, 'invalid_metadata', mode);
      assert.equal(error.reason, 'issuer_mismatch', mode);
      assert.equal(error.status, 400, mode);
    }
  });
});
