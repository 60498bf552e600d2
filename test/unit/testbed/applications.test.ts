/**
 * Applications under an entity (`Testbed.mount`) and metadata set at run time (`setMetadata`):
 * how a real OpenID Provider is published in a test federation.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import { WELL_KNOWN_FEDERATION_PATH } from '../../../src/federation/constants.js';
import { startTestbed, type Testbed } from '../../../src/testbed/federation-server.js';
import { createMemoryFederation } from '../../../src/testbed/memory-source.js';
import { NOW, decode, get, smallTopology } from './support.js';

/** What the mounted application saw of each request. */
interface Seen {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly originalUrl: unknown;
}

describe('testbed applications (Testbed.mount)', () => {
  let testbed: Testbed;
  const seen: Seen[] = [];
  const echo = (request: IncomingMessage, response: ServerResponse): void => {
    seen.push({
      method: request.method,
      url: request.url,
      originalUrl: (request as IncomingMessage & { originalUrl?: unknown }).originalUrl,
    });
    response.writeHead(201, { 'content-type': 'text/plain' }).end(`app:${request.url ?? ''}`);
  };

  before(async () => {
    testbed = await startTestbed(smallTopology(), { now: () => NOW });
  });
  after(() => testbed.close());
  beforeEach(() => {
    seen.length = 0;
    testbed.mount('leaf', undefined);
    testbed.mount('int', undefined);
    testbed.requests.reset();
  });

  it('hands every path below the entity to the application, with the path below it as request.url', async () => {
    testbed.mount('leaf', echo);
    const answer = await get(`${testbed.url}/leaf/token?x=1`);
    assert.equal(answer.status, 201);
    assert.equal(answer.body, 'app:/token?x=1');
    assert.equal((await get(`${testbed.url}/leaf`)).body, 'app:/');
    const posted = await fetch(`${testbed.url}/leaf/.well-known/openid-configuration`, {
      method: 'POST',
      body: 'a=b',
    });
    assert.equal(posted.status, 201);
    await posted.text();
    assert.deepEqual(seen, [
      { method: 'GET', url: '/token?x=1', originalUrl: '/leaf/token?x=1' },
      { method: 'GET', url: '/', originalUrl: '/leaf' },
      {
        method: 'POST',
        url: '/.well-known/openid-configuration',
        originalUrl: '/leaf/.well-known/openid-configuration',
      },
    ]);
    assert.equal(testbed.requests.count({ entity: 'leaf', kind: 'application' }), 3);
    const [first] = testbed.requests.entries();
    assert.equal(first?.status, 201);
    assert.equal(first?.path, '/leaf/token?x=1');
  });

  it('keeps serving the federation endpoints of the entity itself', async () => {
    testbed.mount('leaf', echo);
    testbed.mount('int', echo);
    const configuration = await get(`${testbed.url}/leaf${WELL_KNOWN_FEDERATION_PATH}`);
    assert.equal(configuration.status, 200);
    assert.equal(decode(configuration.body).claims.sub, testbed.entityId('leaf'));
    // int has a subordinate, so its fetch endpoint is the testbed's; leaf has none, so its
    // /fetch path is the application's.
    const fetched = await get(`${testbed.url}/int/fetch?sub=${testbed.entityId('leaf')}`);
    assert.equal(fetched.status, 200);
    assert.equal(decode(fetched.body).claims.iss, testbed.entityId('int'));
    assert.equal((await get(`${testbed.url}/leaf/fetch`)).body, 'app:/fetch');
    assert.equal(seen.length, 1);
  });

  it('leaves other entities alone, and unmounting gives the path back to the testbed', async () => {
    testbed.mount('leaf', echo);
    assert.equal((await get(`${testbed.url}/rp/token`)).status, 404);
    assert.equal((await get(`${testbed.url}/leafy/token`)).status, 404);
    testbed.mount('leaf', undefined);
    assert.equal((await get(`${testbed.url}/leaf/token`)).status, 404);
    assert.equal(seen.length, 0);
    assert.throws(() => testbed.mount('nobody', echo), /no entity named "nobody"/);
  });

  it('answers 500 for a listener that fails without answering', async () => {
    testbed.mount('leaf', () => {
      throw new Error('application bug');
    });
    assert.equal((await get(`${testbed.url}/leaf/token`)).status, 500);
  });
});

describe('metadata set at run time (setMetadata)', () => {
  it('re-signs the Entity Configuration with the new metadata, placeholders filled, and can go back', async () => {
    const federation = await createMemoryFederation(smallTopology(), { now: () => NOW });
    const original = decode(await federation.entityConfiguration('leaf'));
    const document = { openid_provider: { issuer: '{{self}}', scopes_supported: ['openid'] } };
    federation.setMetadata('leaf', document);
    document.openid_provider.scopes_supported.push('changed afterwards');
    const changed = decode(await federation.entityConfiguration('leaf'));
    assert.deepEqual(changed.claims.metadata, {
      openid_provider: { issuer: federation.entityId('leaf'), scopes_supported: ['openid'] },
    });
    federation.setMetadata('leaf', undefined);
    const restored = decode(await federation.entityConfiguration('leaf'));
    assert.deepEqual(restored.claims.metadata, original.claims.metadata);
  });

  it('refuses metadata that is not an object of objects, or names no entity', async () => {
    const federation = await createMemoryFederation(smallTopology(), { now: () => NOW });
    for (const metadata of [[], { openid_provider: 'x' }, { openid_provider: [] }]) {
      assert.throws(
        () => federation.setMetadata('leaf', metadata as never),
        /metadata must be an object of Entity Types/,
      );
    }
    assert.throws(
      () => federation.setMetadata('leaf', { openid_provider: { a: '{{entity:nobody}}' } }),
      /names no entity/,
    );
    assert.throws(() => federation.setMetadata('nobody', {}), /no entity named "nobody"/);
  });
});
