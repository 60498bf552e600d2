import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { entityConfigurationUrl } from '../../../src/federation/entity-id.js';
import { startTestbed, type Testbed } from '../../../src/testbed/federation-server.js';
import { MemoryRequestLog, type RequestLogEntry } from '../../../src/testbed/request-log.js';
import { NOW, collectChain, get, smallTopology } from './support.js';

describe('testbed request log over HTTP', () => {
  let testbed: Testbed;

  before(async () => {
    testbed = await startTestbed(smallTopology(), { now: () => NOW });
  });
  after(() => testbed.close());
  beforeEach(() => testbed.requests.reset());

  it('counts every request by entity, kind and subject', async () => {
    await collectChain(testbed, ['leaf', 'int', 'ta']);
    // leaf EC, int EC + int→leaf, ta EC + ta→int, ta EC again as the chain's end.
    assert.equal(testbed.requests.total(), 6);
    assert.equal(testbed.requests.count(), 6);
    assert.equal(testbed.requests.count({ kind: 'configuration' }), 4);
    assert.equal(testbed.requests.count({ entity: 'ta', kind: 'configuration' }), 2);
    assert.equal(testbed.requests.count({ kind: 'fetch' }), 2);
    assert.equal(testbed.requests.count({ entity: 'int', kind: 'fetch', subject: 'leaf' }), 1);
    assert.equal(testbed.requests.count({ subject: testbed.entityId('int') }), 1, 'by identifier');
    assert.equal(testbed.requests.count({ subject: 'rp' }), 0);
    assert.equal(testbed.requests.count({ kind: 'list' }), 0);
  });

  it('records method, path, kind, entity, subject, status and arrival time', async () => {
    const before = Date.now();
    const sub = encodeURIComponent(testbed.entityId('int'));
    await get(`${testbed.url}/ta/fetch?sub=${sub}`);
    await get(`${testbed.url}/ta/list`);
    await get(`${testbed.url}/nobody/x`);
    const entries = testbed.requests.entries();
    assert.equal(entries.length, 3);
    const [fetched, listed, unknown] = entries;
    assert.deepEqual(
      { ...fetched, at: 0 },
      {
        method: 'GET',
        path: `/ta/fetch?sub=${sub}`,
        kind: 'fetch',
        entity: 'ta',
        subject: testbed.entityId('int'),
        status: 200,
        at: 0,
      },
    );
    assert.ok((fetched?.at ?? 0) >= before && (fetched?.at ?? 0) <= Date.now());
    assert.equal(listed?.kind, 'list');
    assert.equal(listed?.subject, undefined);
    assert.equal(unknown?.kind, 'unknown');
    assert.equal(unknown?.status, 404);
  });

  it('records the status of error answers', async () => {
    await get(`${testbed.url}/ta/fetch`);
    assert.equal(testbed.requests.entries()[0]?.status, 400);
    testbed.setFaults({ entity: 'rp' }, { status: 503 });
    await get(entityConfigurationUrl(testbed.entityId('rp')));
    testbed.setFaults({ entity: 'rp' }, undefined);
    assert.equal(testbed.requests.entries()[1]?.status, 503);
  });

  it('forgets everything on reset()', async () => {
    await get(`${testbed.url}/ta/list`);
    assert.equal(testbed.requests.total(), 1);
    testbed.requests.reset();
    assert.equal(testbed.requests.total(), 0);
    assert.equal(testbed.requests.count({ kind: 'list' }), 0);
    assert.deepEqual(testbed.requests.entries(), []);
  });

  it('counts concurrent requests exactly', async () => {
    const url = entityConfigurationUrl(testbed.entityId('leaf'));
    await Promise.all(Array.from({ length: 25 }, () => get(url)));
    assert.equal(testbed.requests.count({ entity: 'leaf', kind: 'configuration' }), 25);
  });
});

describe('MemoryRequestLog', () => {
  const entry = (entity: string, status = 200): RequestLogEntry => ({
    method: 'GET',
    path: `/${entity}/.well-known/openid-federation`,
    kind: 'configuration',
    entity,
    status,
    at: 0,
  });

  it('keeps only the most recent entries but exact counters', () => {
    const log = new MemoryRequestLog((name) => name, 3);
    for (let i = 0; i < 10; i++) log.record(entry(`e${i}`));
    assert.equal(log.total(), 10);
    assert.equal(log.count({ kind: 'configuration' }), 10);
    assert.deepEqual(
      log.entries().map((e) => e.entity),
      ['e7', 'e8', 'e9'],
    );
  });

  it('maps a subject filter through the given name resolver', () => {
    const log = new MemoryRequestLog((value) => (value === 'leaf' ? 'http://x/leaf' : value));
    log.record({ ...entry('int'), kind: 'fetch', subject: 'http://x/leaf' });
    assert.equal(log.count({ subject: 'leaf' }), 1);
    assert.equal(log.count({ subject: 'http://x/leaf' }), 1);
    assert.equal(log.count({ subject: 'other' }), 0);
    assert.equal(log.count({ entity: 'int', kind: 'configuration' }), 0);
  });
});
