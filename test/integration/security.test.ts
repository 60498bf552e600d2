/**
 * Secure defaults through the service: private addresses and http refused unless allowed, pinned
 * anchor keys enforced, unknown critical claims refused (§3.2, §10.2, §18).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startHarness } from '../support/service.js';
import { threeLevel } from '../support/topologies.js';

interface Explain {
  error?: { error: string; reason: string; statement_index?: number };
}

describe('secure defaults', () => {
  it('refuses to fetch from loopback unless ALLOW_PRIVATE_NETWORK is set', async () => {
    const h = await startHarness(threeLevel(), ['ta'], { ALLOW_PRIVATE_NETWORK: 'false' });
    try {
      const response = await h.get('/resolve', h.query('op'));
      assert.equal(response.status, 404);
      const explain = (await (await h.get('/api/v1/explain', h.query('op'))).json()) as Explain;
      assert.equal(explain.error?.reason, 'address_not_allowed');
      assert.equal(h.testbed.requests.total(), 0, 'nothing reached the loopback federation');
    } finally {
      await h.close();
    }
  });

  it('refuses http Entity Identifiers unless ALLOW_INSECURE_HTTP is set', async () => {
    const h = await startHarness(threeLevel(), [], { ALLOW_INSECURE_HTTP: 'false' });
    try {
      const response = await h.get('/resolve', {
        sub: h.testbed.entityId('op'),
        trust_anchor: 'https://ta.example.org',
      });
      assert.equal(response.status, 400);
      assert.equal(((await response.json()) as { error: string }).error, 'invalid_request');
      assert.equal(h.testbed.requests.total(), 0);
    } finally {
      await h.close();
    }
  });

  it('§10.2: refuses an anchor that signs with a key that is not pinned, until the new key is pinned', async () => {
    const h = await startHarness(threeLevel(), ['ta'], { NEGATIVE_CACHE_TTL_SECONDS: '0' });
    try {
      await h.testbed.rotateKey('ta');
      const response = await h.get('/resolve', h.query('op'));
      assert.equal(response.status, 400);
      const explain = (await (await h.get('/api/v1/explain', h.query('op'))).json()) as Explain;
      assert.equal(explain.error?.reason, 'anchor_keys_mismatch');
      assert.equal(explain.error?.statement_index, 3);
      // The operator pins the new key out of band and reloads.
      writeFileSync(join(h.anchorsDir, 'ta.json'), h.testbed.trustAnchorFile('ta'));
      h.resolver.reloadTrustAnchors();
      assert.equal((await h.get('/resolve', h.query('op'))).status, 200);
    } finally {
      await h.close();
    }
  });

  it('§13.4: a subject configuration with a critical claim that is not understood is 400 invalid_trust_chain', async () => {
    const h = await startHarness(threeLevel(), ['ta']);
    try {
      h.testbed.setFaults({ entity: 'op' }, { claims: { crit: ['jti'], jti: 'abc' } });
      const response = await h.get('/resolve', h.query('op'));
      assert.equal(response.status, 400);
      const explain = (await (await h.get('/api/v1/explain', h.query('op'))).json()) as Explain;
      assert.equal(explain.error?.reason, 'crit_not_understood');
      assert.equal(explain.error?.statement_index, 0);
    } finally {
      await h.close();
    }
  });
});
