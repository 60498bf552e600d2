/** Who the client is: the peer, or what a trusted proxy says, never what anyone else says. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientAddress } from '../../../src/http/client-address.js';

const PROXY = new Set(['10.0.0.1', '10.0.0.2']);

describe('client address', () => {
  it('is the peer when the peer is not a trusted proxy, whatever X-Forwarded-For says', () => {
    assert.equal(clientAddress('203.0.113.9', '198.51.100.1', PROXY), '203.0.113.9');
    assert.equal(clientAddress('::ffff:203.0.113.9', undefined, PROXY), '203.0.113.9');
  });

  it('behind trusted proxies, is the right-most address that is not one of them', () => {
    assert.equal(clientAddress('10.0.0.1', '198.51.100.7', PROXY), '198.51.100.7');
    assert.equal(
      clientAddress('10.0.0.1', 'spoofed, 198.51.100.7, 10.0.0.2', PROXY),
      '198.51.100.7',
    );
    assert.equal(clientAddress('10.0.0.1', ['1.2.3.4', '198.51.100.8'], PROXY), '198.51.100.8');
  });

  it('is the proxy itself when it forwards nothing', () => {
    assert.equal(clientAddress('10.0.0.1', undefined, PROXY), '10.0.0.1');
    assert.equal(clientAddress('10.0.0.1', '10.0.0.2', PROXY), '10.0.0.2');
  });
});
