/**
 * What cached resolutions keep of their chains (RetainedStatements): the statements of superiors
 * held once for every chain that shares them, within the pool's bounds, and nothing a later
 * reader needs lost when a statement is not pooled.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RetainedStatements } from '../../../src/engine/query.js';
import type { DecodedEntityStatement, ResolvedTrustChain } from '../../../src/federation/types.js';

const jwks = { keys: [{ kty: 'EC', kid: 'k', crv: 'P-256', x: 'x', y: 'y' }] };

function statement(iss: string, sub: string, jwt = `${iss}>${sub}`): DecodedEntityStatement {
  return {
    jwt,
    header: { alg: 'ES256', kid: 'k', typ: 'entity-statement+jwt' },
    kind: iss === sub ? 'entity_configuration' : 'subordinate_statement',
    source: `https://${iss}/${sub}`,
    claims: { iss, sub, iat: 1, exp: 2, jwks, metadata: { federation_entity: {} } },
  } as DecodedEntityStatement;
}

/** leaf ← ia ← ta: the leaf's configuration, ia → leaf, ta → ia, ta's configuration. */
function chain(leaf: string, ia: string, bigAnchor = ''): ResolvedTrustChain {
  return {
    statements: [
      statement(leaf, leaf),
      statement(ia, leaf),
      statement('ta', ia),
      statement('ta', 'ta', `ta>ta${bigAnchor}`),
    ],
    subject: leaf,
    trustAnchor: 'ta',
    path: [leaf, ia, 'ta'],
    exp: 2,
    metadata: {},
  };
}

describe('RetainedStatements', () => {
  it("keeps at most maxEntries of the superiors' statements, the oldest going first", () => {
    const pool = new RetainedStatements({ maxEntries: 2, maxChars: 1_000_000 });
    const first = pool.chain(chain('leaf-1', 'ia-1'));
    assert.equal(pool.size, 2); // ta → ia-1 and ta's configuration
    pool.chain(chain('leaf-2', 'ia-2'));
    assert.equal(pool.size, 2);
    // ta → ia-1, the oldest, is gone: a later chain through ia-1 gets a copy of its own.
    const again = pool.chain(chain('leaf-3', 'ia-1'));
    assert.notEqual(again.statements[2], first.statements[2]);
    assert.deepEqual(again.statements[2], first.statements[2]);
  });

  it('keeps at most maxChars of JWSs, and does not pool a statement larger than 1/64 of them', () => {
    const pool = new RetainedStatements({ maxEntries: 100, maxChars: 64 * 20 });
    pool.chain(chain('leaf-1', 'ia-1'));
    assert.equal(pool.size, 2);
    assert.equal(pool.chars, 'ta>ia-1'.length + 'ta>ta'.length);
    const large = 'x'.repeat(20);
    const kept = pool.chain(chain('leaf-2', 'ia-1', large));
    // The large anchor configuration is not pooled, and nothing was evicted for it.
    assert.equal(pool.size, 2);
    assert.equal(kept.statements[3]?.jwt, `ta>ta${large}`);
    assert.equal(kept.statements[3]?.claims.iss, 'ta');
    assert.notEqual(kept.statements[3], pool.chain(chain('leaf-3', 'ia-1', large)).statements[3]);
  });

  it("keeps each statement's JWS, source, identity, time and keys, and the subject's own apart", () => {
    const pool = new RetainedStatements();
    const original = chain('leaf-1', 'ia-1');
    const kept = pool.chain(original);
    kept.statements.forEach((s, index) => {
      const o = original.statements[index];
      assert.deepEqual(
        [
          s.jwt,
          s.source,
          s.kind,
          s.claims.iss,
          s.claims.sub,
          s.claims.iat,
          s.claims.exp,
          s.claims.jwks,
        ],
        [
          o?.jwt,
          o?.source,
          o?.kind,
          o?.claims.iss,
          o?.claims.sub,
          o?.claims.iat,
          o?.claims.exp,
          o?.claims.jwks,
        ],
      );
      // What the JWS already says is not kept twice.
      assert.equal(s.claims.metadata, undefined);
    });
    assert.equal(pool.size, 2);
  });
});
