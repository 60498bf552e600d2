/**
 * federation-resolver/openid-client against the real resolver and a loopback federation, in both
 * modes: the JSON discovery endpoints, and the signed /resolve response (§8.3.2) verified with
 * the resolver's keys pinned out of band. Forgeries come from a man in the middle: the `fetch`
 * option, which carries the requests to the resolver, changes what the real resolver answered.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CompactSign, decodeJwt, decodeProtectedHeader, generateKeyPair, exportJWK } from 'jose';
import {
  createFederationFetch,
  type FederationFetchOptions,
  type FetchFunction,
} from '../../src/clients/openid-client/index.js';
import type { Topology } from '../../src/testbed/index.js';
import { resolutionRejection } from '../support/resolution-error.js';
import { resolverKeys, type ResolverKeys } from '../support/resolver-keys.js';
import { RESOLVER_ID, startHarness, type Harness } from '../support/service.js';
import { OP_METADATA, threeLevel } from '../support/topologies.js';

/**
 * threeLevel (ta ← inter ← op, ta ← rp) plus: a second anchor ta2; op2 under ta; broken under
 * ta, whose statement from ta is signed with a key nobody attests.
 */
function topology(): Topology {
  const base = threeLevel();
  return {
    entities: [
      ...base.entities,
      { name: 'ta2' },
      { name: 'op2', authorityHints: ['ta'], metadata: OP_METADATA },
      { name: 'broken', authorityHints: ['ta'], metadata: OP_METADATA },
    ],
    subordinates: [
      ...(base.subordinates ?? []),
      { issuer: 'ta', subject: 'broken', faults: { wrongKey: true } },
    ],
  };
}

const MODES = ['JSON discovery', 'verified /resolve'] as const;
type Mode = (typeof MODES)[number];

describe('federation-resolver/openid-client against the real resolver', () => {
  let h: Harness;
  let keys: ResolverKeys;

  before(async () => {
    keys = await resolverKeys();
    h = await startHarness(topology(), ['ta', 'ta2'], { RESOLVER_KEYS_FILE: keys.file });
  });
  after(async () => {
    await h.close();
    keys.remove();
  });

  const ta = () => h.testbed.entityId('ta');
  const openidConfiguration = (name: string) =>
    `${h.testbed.entityId(name)}/.well-known/openid-configuration`;

  function helper(mode: Mode, options: Partial<FederationFetchOptions> = {}): FetchFunction {
    return createFederationFetch({
      resolver: h.resolver.url,
      trustAnchors: [ta()],
      ...(mode === 'verified /resolve'
        ? { verify: { resolverJwks: keys.jwks, resolverEntityId: RESOLVER_ID } }
        : {}),
      ...options,
    });
  }

  /** What the resolver's own discovery endpoint says (the reference for both modes). */
  async function expectedDocument(name: string, path = '/discovery/openid-configuration') {
    const response = await h.get(path, h.query(name));
    assert.equal(response.status, 200);
    return (await response.json()) as Record<string, unknown>;
  }

  for (const mode of MODES) {
    describe(mode, () => {
      it("answers the provider's discovery request with its resolved metadata", async () => {
        h.testbed.requests.reset();
        const response = await helper(mode)(openidConfiguration('op'));
        assert.equal(response.status, 200);
        assert.equal(response.headers.get('content-type'), 'application/json');
        const document = (await response.json()) as Record<string, unknown>;
        assert.deepEqual(document, await expectedDocument('op'));
        // The superior's metadata and the merged policy of the chain (§6.1), not what op says.
        assert.equal(document['issuer'], h.testbed.entityId('op'));
        assert.equal(document['display_name'], 'OP as the intermediate says');
        assert.deepEqual(document['id_token_signing_alg_values_supported'], ['ES256']);
        assert.deepEqual(document['contacts'], ['ops@ta.example']);
        // The provider itself was never asked for a discovery document.
        assert.equal(h.testbed.requests.count({ entity: 'op', kind: 'unknown' }), 0);
      });

      it('answers the RFC 8414 form with oauth_authorization_server metadata', async () => {
        const url = `${h.testbed.url}/.well-known/oauth-authorization-server/op`;
        const document = (await (await helper(mode)(url)).json()) as Record<string, unknown>;
        assert.deepEqual(
          document,
          await expectedDocument('op', '/discovery/oauth-authorization-server'),
        );
        assert.deepEqual(document, {
          issuer: h.testbed.entityId('op'),
          token_endpoint: `${h.testbed.entityId('op')}/token`,
        });
        // entityType decides over the form of the request.
        const asProvider = await helper(mode, { entityType: 'openid_provider' })(url);
        assert.deepEqual(await asProvider.json(), await expectedDocument('op'));
      });

      it("rejects a broken chain with the resolver's error, reason and status", async () => {
        const error = await resolutionRejection(helper(mode)(openidConfiguration('broken')));
        assert.equal(error.code, 'invalid_trust_chain');
        assert.equal(error.reason, 'signature_invalid');
        assert.equal(error.status, 400);
        assert.match(error.message, /signature/);
      });

      it('rejects a subject without provider metadata with not_found', async () => {
        const error = await resolutionRejection(helper(mode)(openidConfiguration('rp')));
        // In verify mode the helper finds the type missing itself, and says so as the resolver does.
        assert.deepEqual([error.code, error.reason], ['not_found', 'entity_type_not_found']);
        assert.match(error.message, /has no openid_provider metadata/);
      });

      it('rejects an unconfigured trust anchor as the resolver does', async () => {
        const error = await resolutionRejection(
          helper(mode, { trustAnchors: ['https://unknown-anchor.example'] })(
            openidConfiguration('op'),
          ),
        );
        assert.deepEqual([error.code, error.status], ['invalid_trust_anchor', 404]);
      });

      it('passes every other request through to fetch, untouched', async () => {
        h.testbed.requests.reset();
        const configuration = h.testbed.entityId('op') + '/.well-known/openid-federation';
        const response = await helper(mode)(configuration);
        assert.equal(response.status, 200);
        assert.equal(response.headers.get('content-type'), 'application/entity-statement+jwt');
        assert.equal(decodeJwt(await response.text()).sub, h.testbed.entityId('op'));
        const missing = await helper(mode)(`${h.testbed.entityId('op')}/token`, {
          method: 'POST',
          body: 'grant_type=client_credentials',
        });
        assert.equal(missing.status, 405);
        await missing.text();
        assert.equal(h.testbed.requests.count({ entity: 'op', kind: 'configuration' }), 1);
        assert.equal(h.testbed.requests.count({ entity: 'op', kind: 'unknown' }), 1);
      });

      it('lets an abort and a resolver that cannot be reached reject as fetch rejects', async () => {
        const aborted = helper(mode)(openidConfiguration('op'), {
          signal: AbortSignal.abort(),
        });
        await assert.rejects(aborted, (error: unknown) => (error as Error).name === 'AbortError');
        // A port nothing listens on (the resolver's own, once closed, is not ours to close).
        const unreachable = helper(mode, { resolver: 'http://127.0.0.1:1' })(
          openidConfiguration('op'),
        );
        await assert.rejects(unreachable, (error: unknown) => error instanceof TypeError);
      });
    });
  }

  describe('verified /resolve: what it refuses', () => {
    /** A verifying helper whose resolver answers go through `change` (a man in the middle). */
    function intercepted(
      change: (url: URL, answer: Response) => Promise<Response> | Response,
      options: Partial<FederationFetchOptions> = {},
      rewrite: (url: URL) => URL = (url) => url,
    ): FetchFunction {
      return helper('verified /resolve', {
        fetch: async (input, init) => {
          const url = new URL(String(input));
          if (!url.href.startsWith(h.resolver.url)) return fetch(input, init);
          return change(url, await fetch(rewrite(url), init));
        },
        ...options,
      });
    }

    const asResolveResponse = (body: string) =>
      new Response(body, { headers: { 'content-type': 'application/resolve-response+jwt' } });

    /** The real signed response about `name`, decoded. */
    async function realResponse(name: string) {
      const response = await h.get(
        '/resolve',
        h.query(name, 'ta', { entity_type: 'openid_provider' }),
      );
      const jwt = await response.text();
      return { jwt, header: decodeProtectedHeader(jwt), claims: decodeJwt(jwt) };
    }

    /** Signs `claims` with the pinned resolver key, as a misconfigured resolver would. */
    async function signed(claims: Record<string, unknown>, header: Record<string, unknown> = {}) {
      return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
        .setProtectedHeader({
          alg: keys.alg,
          kid: keys.kid,
          typ: 'resolve-response+jwt',
          ...header,
        })
        .sign(keys.privateKey);
    }

    /** Code and reason of the rejection; a refused answer of the resolver was a 200. */
    const reasonOf = async (fetchFunction: FetchFunction) => {
      const error = await resolutionRejection(fetchFunction(openidConfiguration('op')));
      assert.equal(error.status, 200);
      return [error.code, error.reason];
    };

    it('refuses keys that are not the pinned ones', async () => {
      const { publicKey } = await generateKeyPair('ES256', { extractable: true });
      const stranger = { ...(await exportJWK(publicKey)), alg: 'ES256' };
      const otherKid = helper('verified /resolve', {
        verify: {
          resolverJwks: { keys: [{ ...stranger, kid: 'someone-else' }] },
          resolverEntityId: RESOLVER_ID,
        },
      });
      assert.deepEqual(await reasonOf(otherKid), ['invalid_resolve_response', 'kid_unknown']);
      // The resolver's kid on a key that is not the resolver's.
      const sameKid = helper('verified /resolve', {
        verify: {
          resolverJwks: { keys: [{ ...stranger, kid: keys.kid }] },
          resolverEntityId: RESOLVER_ID,
        },
      });
      assert.deepEqual(await reasonOf(sameKid), ['invalid_resolve_response', 'signature_invalid']);
    });

    it('refuses a response whose claims were changed on the way', async () => {
      const forged = intercepted(async (_url, answer) => {
        const jwt = await answer.text();
        const [header, , signature] = jwt.split('.');
        const claims = decodeJwt(jwt);
        const metadata = claims['metadata'] as Record<string, Record<string, unknown>>;
        const provider = {
          ...metadata['openid_provider'],
          token_endpoint: 'https://evil.example/token',
        };
        const payload = Buffer.from(
          JSON.stringify({ ...claims, metadata: { openid_provider: provider } }),
        ).toString('base64url');
        return asResolveResponse(`${header}.${payload}.${signature}`);
      });
      assert.deepEqual(await reasonOf(forged), ['invalid_resolve_response', 'signature_invalid']);
    });

    it('refuses a response the resolver signed about another subject (a replay)', async () => {
      const replayed = intercepted(
        (_url, answer) => answer,
        {},
        (url) => {
          const swapped = new URL(url);
          swapped.searchParams.set('sub', h.testbed.entityId('op2'));
          return swapped;
        },
      );
      assert.deepEqual(await reasonOf(replayed), ['invalid_resolve_response', 'sub_mismatch']);
    });

    it('refuses a chain that ends at a trust anchor that was not requested', async () => {
      // The helper asks under ta2 only; the man in the middle gets an answer under ta.
      const elsewhere = intercepted(
        (_url, answer) => answer,
        { trustAnchors: [h.testbed.entityId('ta2')] },
        (url) => {
          const swapped = new URL(url);
          swapped.searchParams.set('trust_anchor', ta());
          return swapped;
        },
      );
      assert.deepEqual(await reasonOf(elsewhere), [
        'invalid_resolve_response',
        'trust_anchor_not_requested',
      ]);
    });

    it('by default expects iss to be the resolver URL: a resolver with another RESOLVER_ENTITY_ID is refused', async () => {
      const byUrl = helper('verified /resolve', { verify: { resolverJwks: keys.jwks } });
      assert.deepEqual(await reasonOf(byUrl), ['invalid_resolve_response', 'iss_mismatch']);
    });

    it('refuses what a misconfigured resolver signs with its own key', async () => {
      const real = await realResponse('op');
      const now = Math.floor(Date.now() / 1000);
      const { trust_chain: _chain, ...withoutChain } = real.claims;
      const { iat: _iat, ...withoutIat } = real.claims;
      const cases: Array<[string, () => Promise<string>, string]> = [
        ['typ JWT', () => signed(real.claims, { typ: 'JWT' }), 'typ_invalid'],
        ['no kid', () => signed(real.claims, { kid: undefined }), 'kid_missing'],
        [
          'HS256',
          () =>
            new CompactSign(new TextEncoder().encode(JSON.stringify(real.claims)))
              .setProtectedHeader({ alg: 'HS256', kid: keys.kid, typ: 'resolve-response+jwt' })
              .sign(new TextEncoder().encode('a shared secret of thirty-two by')),
          'alg_not_allowed',
        ],
        ['expired', () => signed({ ...real.claims, exp: now - 3600 }), 'statement_expired'],
        [
          'issued in the future',
          () => signed({ ...real.claims, iat: now + 3600 }),
          'statement_not_yet_valid',
        ],
        ['no iat', () => signed(withoutIat), 'claim_missing'],
        ['no trust_chain', () => signed(withoutChain), 'trust_chain_invalid'],
        ['not JSON', () => Promise.resolve('not.a.jws'), 'body_malformed'],
      ];
      for (const [what, forge, reason] of cases) {
        const forged = intercepted(async () => asResolveResponse(await forge()));
        assert.deepEqual(await reasonOf(forged), ['invalid_resolve_response', reason], what);
      }
      // The same claims, signed the same way, pass: each case above fails for its one change.
      const honest = intercepted(async () => asResolveResponse(await signed(real.claims)));
      const document = (await (await honest(openidConfiguration('op'))).json()) as Record<
        string,
        unknown
      >;
      assert.equal(document['issuer'], h.testbed.entityId('op'));
      assert.equal(real.header['kid'], keys.kid);
    });

    it('refuses an answer of the wrong media type', async () => {
      const asJson = intercepted(
        async (_url, answer) =>
          new Response(await answer.text(), { headers: { 'content-type': 'application/json' } }),
      );
      assert.deepEqual(await reasonOf(asJson), [
        'invalid_resolve_response',
        'content_type_invalid',
      ]);
    });
  });
});
