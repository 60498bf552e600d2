/**
 * federation-resolver/openid-client without a network: which requests are discovery requests and
 * for which issuer, the options it refuses, what it asks the resolver, and how it reads what the
 * resolver answers. The transport is the `fetch` option, here a recorder; the real resolver is in
 * test/integration/openid-client-helper.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createFederationFetch,
  FederationResolutionError,
  type FederationFetchOptions,
  type FetchFunction,
} from '../../../src/clients/openid-client/index.js';
import { discoveryTarget } from '../../../src/clients/openid-client/well-known.js';

const RESOLVER = 'https://resolver.example.org';
const TA = 'https://ta.example.org';

/** A transport that records every call and answers with `answer`. */
function recorder(answer: () => Response = () => Response.json({ issuer: 'x' })) {
  const calls: Array<{ input: Parameters<FetchFunction>[0]; init: RequestInit | undefined }> = [];
  const fetch: FetchFunction = (input, init) => {
    calls.push({ input, init });
    return Promise.resolve(answer());
  };
  return { calls, fetch };
}

function helper(options: Partial<FederationFetchOptions> = {}, fetch?: FetchFunction) {
  return createFederationFetch({
    resolver: RESOLVER,
    trustAnchors: [TA],
    ...(fetch === undefined ? {} : { fetch }),
    ...options,
  });
}

async function rejection(promise: Promise<unknown>): Promise<FederationResolutionError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof FederationResolutionError, String(error));
    return error;
  }
  assert.fail('expected a rejection');
}

describe('discovery requests and their issuer', () => {
  const cases: Array<[string, string, string]> = [
    // OpenID Connect Discovery: the suffix appended to the issuer, path included.
    [
      'https://op.example/.well-known/openid-configuration',
      'https://op.example',
      'openid_provider',
    ],
    [
      'https://op.example/tenant/a/.well-known/openid-configuration',
      'https://op.example/tenant/a',
      'openid_provider',
    ],
    [
      'http://127.0.0.1:8443/op/.well-known/openid-configuration',
      'http://127.0.0.1:8443/op',
      'openid_provider',
    ],
    // RFC 8414: the well-known segment between the origin and the issuer's path.
    [
      'https://as.example/.well-known/oauth-authorization-server',
      'https://as.example',
      'oauth_authorization_server',
    ],
    [
      'https://as.example/.well-known/oauth-authorization-server/tenant',
      'https://as.example/tenant',
      'oauth_authorization_server',
    ],
  ];
  for (const [url, issuer, entityType] of cases) {
    it(`${url} → ${issuer} (${entityType})`, () => {
      assert.deepEqual(discoveryTarget(new URL(url)), { issuer, entityType });
    });
  }

  it('leaves every other URL alone', () => {
    for (const url of [
      'https://op.example/token',
      'https://op.example/.well-known/openid-federation',
      'https://op.example/.well-known/openid-configuration/more',
      'https://op.example/.well-known/oauth-authorization-server-x',
      'https://op.example/x/.well-known/oauth-authorization-server',
      'ftp://op.example/.well-known/openid-configuration',
    ]) {
      assert.equal(discoveryTarget(new URL(url)), undefined, url);
    }
  });

  it('refuses a well-known URL with a query or a fragment, even an empty one', () => {
    for (const url of [
      'https://op.example/.well-known/openid-configuration?x=1',
      'https://op.example/.well-known/openid-configuration?',
      'https://op.example/.well-known/openid-configuration#f',
      'https://as.example/.well-known/oauth-authorization-server/t?x',
    ]) {
      assert.throws(
        () => discoveryTarget(new URL(url)),
        (error: unknown) =>
          error instanceof FederationResolutionError &&
          error.code === 'invalid_request' &&
          error.reason === 'discovery_url_invalid',
        url,
      );
    }
  });
});

describe('createFederationFetch options', () => {
  it('refuses invalid options at once, naming them', () => {
    const cases: Array<[Partial<FederationFetchOptions>, RegExp]> = [
      [{ resolver: 'not a url' }, /resolver must be an absolute URL/],
      [{ resolver: 'ftp://resolver.example' }, /resolver must be an http\(s\) URL/],
      [{ resolver: 'https://resolver.example/?q' }, /without query or fragment/],
      [{ trustAnchors: [] }, /at least one Trust Anchor/],
      [{ trustAnchors: 'https://ta.example' as never }, /at least one Trust Anchor/],
      [{ trustAnchors: [42 as never] }, /must be strings/],
      [{ trustAnchors: ['https://ta.example#f'] }, /trust anchor "https:\/\/ta.example#f"/],
      [{ entityType: 'openid_relying_party' as never }, /entityType must be/],
      [{ maxResponseBytes: 0 }, /maxResponseBytes/],
      [{ clockTolerance: -1 }, /clockTolerance/],
      [{ fetch: 'fetch' as never }, /fetch must be a function/],
      [{ verify: { resolverJwks: { keys: [] } } }, /at least one key/],
      [
        { verify: { resolverJwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } } },
        /public asymmetric keys only/,
      ],
      [
        {
          verify: { resolverJwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b', d: 'c' }] } },
        },
        /public asymmetric keys only/,
      ],
      [
        {
          verify: {
            resolverJwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b' }] },
            resolverEntityId: 'resolver',
          },
        },
        /verify.resolverEntityId/,
      ],
    ];
    for (const [options, message] of cases) {
      assert.throws(() => helper(options), message, JSON.stringify(options));
    }
  });
});

describe('createFederationFetch without verify', () => {
  it('passes every other request through with its arguments untouched', async () => {
    const { calls, fetch } = recorder(() => new Response('from the provider', { status: 201 }));
    // The helper has the type of fetch itself: wherever fetch goes, it goes.
    const federationFetch: typeof globalThis.fetch = helper({}, fetch);
    const init: RequestInit = { method: 'POST', body: 'grant_type=client_credentials' };
    const token = await federationFetch('https://op.example/token', init);
    assert.equal(await token.text(), 'from the provider');
    const url = new URL('https://op.example/jwks');
    await federationFetch(url);
    // A POST to a well-known URL is not a discovery request.
    const posted = 'https://op.example/.well-known/openid-configuration';
    await federationFetch(posted, init);
    const request = new Request('https://op.example/userinfo');
    await federationFetch(request);
    assert.equal(calls.length, 4);
    assert.deepEqual(
      calls.map((call) => [call.input, call.init]),
      [
        ['https://op.example/token', init],
        [url, undefined],
        [posted, init],
        [request, undefined],
      ],
    );
    assert.equal(calls[0]?.init, init, 'the very same init object');
    assert.equal(calls[1]?.input, url, 'the very same URL object');
    assert.equal(calls[3]?.input, request, 'the very same Request');
  });

  it('asks the JSON discovery endpoint with sub and every trust anchor in order, keeping the resolver path', async () => {
    const { calls, fetch } = recorder(() =>
      Response.json({ issuer: 'https://op.example/t', token_endpoint: 'https://op.example/t/tk' }),
    );
    const federationFetch = helper(
      {
        resolver: 'https://example.org/resolver',
        trustAnchors: ['https://ta-b.example', 'https://ta-a.example'],
      },
      fetch,
    );
    const response = await federationFetch('https://op.example/t/.well-known/openid-configuration');
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/json');
    assert.deepEqual(await response.json(), {
      issuer: 'https://op.example/t',
      token_endpoint: 'https://op.example/t/tk',
    });
    await federationFetch(
      new Request('https://op.example/.well-known/oauth-authorization-server/t'),
    );
    const asked = calls.map((call) => String(call.input));
    assert.deepEqual(asked, [
      'https://example.org/resolver/discovery/openid-configuration?sub=https%3A%2F%2Fop.example%2Ft&trust_anchor=https%3A%2F%2Fta-b.example&trust_anchor=https%3A%2F%2Fta-a.example',
      'https://example.org/resolver/discovery/oauth-authorization-server?sub=https%3A%2F%2Fop.example%2Ft&trust_anchor=https%3A%2F%2Fta-b.example&trust_anchor=https%3A%2F%2Fta-a.example',
    ]);
    assert.equal(calls[0]?.init?.method, 'GET');
    assert.equal(calls[0]?.init?.redirect, 'manual');
  });

  it('asks for the Entity Type given in entityType, whatever the form of the request', async () => {
    const { calls, fetch } = recorder();
    await helper(
      { entityType: 'oauth_authorization_server' },
      fetch,
    )('https://op.example/.well-known/openid-configuration');
    assert.match(String(calls[0]?.input), /\/discovery\/oauth-authorization-server\?/);
  });

  it('hands the AbortSignal of init or of a Request to the resolver request', async () => {
    const { calls, fetch } = recorder();
    const federationFetch = helper({}, fetch);
    const fromInit = new AbortController().signal;
    await federationFetch('https://op.example/.well-known/openid-configuration', {
      signal: fromInit,
    });
    const fromRequest = new AbortController();
    await federationFetch(
      new Request('https://op.example/.well-known/openid-configuration', {
        signal: fromRequest.signal,
      }),
    );
    assert.equal(calls[0]?.init?.signal, fromInit);
    // A Request's signal follows the caller's controller.
    const forwarded = calls[1]?.init?.signal;
    assert.ok(forwarded instanceof AbortSignal);
    fromRequest.abort();
    assert.equal(forwarded.aborted, true);
  });

  it("turns the resolver's §8.9 error into a FederationResolutionError with its code, reason, status and description", async () => {
    const { fetch } = recorder(() =>
      Response.json(
        {
          error: 'invalid_trust_chain',
          error_description: 'the chain is broken',
          reason: 'signature_invalid',
        },
        { status: 400 },
      ),
    );
    const error = await rejection(
      helper({}, fetch)('https://op.example/.well-known/openid-configuration'),
    );
    assert.deepEqual(
      [error.code, error.reason, error.status, error.message],
      ['invalid_trust_chain', 'signature_invalid', 400, 'the chain is broken'],
    );
  });

  it('refuses what is not a discovery document or a §8.9 error', async () => {
    const cases: Array<[() => Response, string, number]> = [
      [() => new Response('<html>bad gateway</html>', { status: 502 }), 'status_unexpected', 502],
      [() => Response.json({ no: 'error member' }, { status: 400 }), 'status_unexpected', 400],
      [
        () => new Response(null, { status: 302, headers: { location: 'https://x/' } }),
        'status_unexpected',
        302,
      ],
      [() => new Response('{"issuer":"x"}', { status: 200 }), 'content_type_invalid', 200],
      [() => Response.json(['not', 'an', 'object']), 'body_malformed', 200],
      [
        () =>
          new Response('{"issuer":', {
            status: 200,
            headers: { 'content-type': 'application/json' },
          }),
        'body_malformed',
        200,
      ],
      [
        () =>
          new Response(new Uint8Array([0x7b, 0xff, 0x7d]), {
            headers: { 'content-type': 'application/json' },
          }),
        'body_malformed',
        200,
      ],
    ];
    for (const [answer, reason, status] of cases) {
      const { fetch } = recorder(answer);
      const error = await rejection(
        helper({}, fetch)('https://op.example/.well-known/openid-configuration'),
      );
      assert.deepEqual(
        [error.code, error.reason, error.status],
        ['invalid_resolve_response', reason, status],
      );
    }
  });

  it('reads at most maxResponseBytes, whether the size is declared or streamed', async () => {
    const big = JSON.stringify({ issuer: 'x', padding: 'p'.repeat(2048) });
    const declared = () => new Response(big, { headers: { 'content-type': 'application/json' } });
    let pulled = 0;
    const streamed = () =>
      new Response(
        new ReadableStream<Uint8Array>({
          pull(controller) {
            pulled++;
            // An endless body: only the bound stops the reading.
            controller.enqueue(new TextEncoder().encode('p'.repeat(512)));
          },
        }),
        { headers: { 'content-type': 'application/json' } },
      );
    for (const answer of [declared, streamed]) {
      const { fetch } = recorder(answer);
      const error = await rejection(
        helper(
          { maxResponseBytes: 1024 },
          fetch,
        )('https://op.example/.well-known/openid-configuration'),
      );
      assert.equal(error.reason, 'response_too_large');
    }
    assert.ok(pulled <= 4, `read ${pulled} chunks of an endless body`);
    const { fetch } = recorder(declared);
    const fits = await helper(
      { maxResponseBytes: 4096 },
      fetch,
    )('https://op.example/.well-known/openid-configuration');
    assert.equal(((await fits.json()) as { issuer: string }).issuer, 'x');
  });

  it('lets a network failure reaching the resolver through unchanged', async () => {
    const failure = new TypeError('fetch failed');
    const federationFetch = helper({}, () => Promise.reject(failure));
    await assert.rejects(
      federationFetch('https://op.example/.well-known/openid-configuration'),
      (error: unknown) => error === failure,
    );
  });
});
