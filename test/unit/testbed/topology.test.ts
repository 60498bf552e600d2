import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startTestbed } from '../../../src/testbed/federation-server.js';
import type { Topology } from '../../../src/testbed/topology.js';
import { validateTopology } from '../../../src/testbed/topology-index.js';
import { NOW, decode, smallTopology } from './support.js';

describe('testbed topology validation', () => {
  const invalid: ReadonlyArray<readonly [string, Topology, RegExp]> = [
    ['no entities', { entities: [] }, /no entities/],
    [
      'a duplicate name',
      { entities: [{ name: 'ta' }, { name: 'ta' }] },
      /entity name "ta" is used twice/,
    ],
    [
      'a name that is not one path segment',
      { entities: [{ name: 'a/b' }] },
      /entity name "a\/b" must be/,
    ],
    ['an empty name', { entities: [{ name: '' }] }, /entity name "" must be/],
    [
      'an unknown authority hint',
      { entities: [{ name: 'ta' }, { name: 'op', authorityHints: ['tea'] }] },
      /entity "op": authority hint "tea" is not an entity/,
    ],
    [
      'an entity that is its own superior',
      { entities: [{ name: 'op', authorityHints: ['op'] }] },
      /entity "op": lists itself/,
    ],
    [
      'a repeated authority hint',
      { entities: [{ name: 'ta' }, { name: 'op', authorityHints: ['ta', 'ta'] }] },
      /authority hint "ta" is listed twice/,
    ],
    [
      'an unknown algorithm',
      { entities: [{ name: 'ta', alg: 'HS256' }] },
      /entity "ta": unsupported alg "HS256"/,
    ],
    [
      'a non-positive lifetime',
      { entities: [{ name: 'ta', lifetimeSeconds: 0 }] },
      /lifetimeSeconds must be a positive integer/,
    ],
    [
      'an unknown subordinate issuer',
      {
        entities: [{ name: 'ta' }, { name: 'op', authorityHints: ['ta'] }],
        subordinates: [{ issuer: 'x', subject: 'op' }],
      },
      /subordinate "x" → "op": issuer "x" is not an entity/,
    ],
    [
      'an unknown subordinate subject',
      { entities: [{ name: 'ta' }], subordinates: [{ issuer: 'ta', subject: 'y' }] },
      /subject "y" is not an entity/,
    ],
    [
      'a subordinate spec without the matching authority hint',
      {
        entities: [{ name: 'ta' }, { name: 'op' }],
        subordinates: [{ issuer: 'ta', subject: 'op' }],
      },
      /"ta" is not among the authority hints of "op"/,
    ],
    [
      'a subordinate described twice',
      {
        entities: [{ name: 'ta' }, { name: 'op', authorityHints: ['ta'] }],
        subordinates: [
          { issuer: 'ta', subject: 'op' },
          { issuer: 'ta', subject: 'op', faults: { expired: true } },
        ],
      },
      /described twice/,
    ],
    [
      'a placeholder naming no entity',
      { entities: [{ name: 'ta', metadata: { federation_entity: { x: '{{entity:nobody}}' } } }] },
      /placeholder \{\{entity:nobody\}\} names no entity/,
    ],
    [
      'an unservable status fault',
      { entities: [{ name: 'ta', faults: { status: 700 } }] },
      /entity "ta": faults\.status/,
    ],
    [
      'a content type fault that cannot be an HTTP header',
      { entities: [{ name: 'ta', faults: { contentType: 'text/plain\r\nx-injected: 1' } }] },
      /faults\.contentType holds a character not allowed in an HTTP header/,
    ],
  ];

  for (const [what, topology, message] of invalid) {
    it(`rejects ${what} with a clear Error`, () => {
      assert.throws(() => validateTopology(topology), message);
    });
  }

  it('rejects an invalid topology at start, before serving', async () => {
    await assert.rejects(
      startTestbed({ entities: [{ name: 'ta' }, { name: 'ta' }] }),
      /invalid testbed topology: entity name "ta" is used twice/,
    );
  });

  it('accepts the small topology and cycles between entities (§17.1: topologies may loop)', async (t) => {
    validateTopology(smallTopology());
    const cyclic: Topology = {
      entities: [
        { name: 'ta' },
        { name: 'a', authorityHints: ['ta', 'b'] },
        { name: 'b', authorityHints: ['a'] },
      ],
    };
    validateTopology(cyclic);
    const testbed = await startTestbed(cyclic, { now: () => NOW });
    t.after(() => testbed.close());
    const b = decode(await testbed.subordinateStatement('a', 'b'));
    const a = decode(await testbed.subordinateStatement('b', 'a'));
    assert.equal(b.claims.sub, testbed.entityId('b'));
    assert.equal(a.claims.sub, testbed.entityId('a'));
  });
});
