/**
 * The signed four-element chain of the spec's §4.3 `trust_chain` header example (test/fixtures
 * TV-5), validated at a time inside its window, and its negative variants.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeEntityStatement } from '../../../src/federation/entity-statement.js';
import { resolveTrustChainJwts } from '../../../src/federation/trust-chain.js';
import type { TrustAnchor } from '../../../src/federation/types.js';
import { assertRejects } from '../../support/assertions.js';
import { readFixture } from '../../support/paths.js';
import { generateTestKey } from '../../support/statements.js';

const fixture = readFixture('tv5-trust-chain.json');
assert.ok(
  typeof fixture === 'object' &&
    fixture !== null &&
    'trust_chain' in fixture &&
    Array.isArray(fixture.trust_chain),
);
const JWTS: string[] = fixture.trust_chain.map((jwt: unknown) => String(jwt));

const NOW = 1767800000;
const EXP = 1768010984;
const TA_ID = 'https://trust-anchor.example.org';
// The pinned key is the Trust Anchor's own key, as distributed out of band.
const taConfiguration = decodeEntityStatement(JWTS[3]);
const ANCHOR: TrustAnchor = { entity_id: TA_ID, jwks: taConfiguration.claims.jwks };
const options = { now: NOW };

describe("§4.3 TV-5: the spec's signed trust chain", () => {
  it('validates inside its window and expires at the smallest exp', async () => {
    const result = await resolveTrustChainJwts(JWTS, ANCHOR, options);
    assert.equal(result.subject, 'https://credential_issuer.example.org');
    assert.equal(result.trustAnchor, TA_ID);
    assert.deepEqual(result.path, [
      'https://credential_issuer.example.org',
      'https://intermediate.eidas.example.org',
      TA_ID,
    ]);
    assert.equal(result.exp, EXP);
  });

  it('resolves to ES[0] metadata, since no statement carries metadata or policy', async () => {
    const result = await resolveTrustChainJwts(JWTS, ANCHOR, options);
    assert.deepEqual(result.metadata, decodeEntityStatement(JWTS[0]).claims.metadata);
    assert.deepEqual(Object.keys(result.metadata).sort(), [
      'federation_entity',
      'openid_credential_issuer',
    ]);
  });

  it('decodes the facts of the example', () => {
    const [leaf, intermediate, top] = JWTS.map((jwt) => decodeEntityStatement(jwt));
    assert.deepEqual(leaf?.claims.authority_hints, ['https://intermediate.eidas.example.org']);
    assert.equal(leaf?.header.kid, 'Z0VEWmQ4UTRVdXMxdEVtLUIwVWVITUd4azJDU0ktNC1wZXdvMThYbkM4TQ');
    assert.equal(intermediate?.claims.iss, 'https://intermediate.eidas.example.org');
    assert.equal(top?.claims.sub, 'https://intermediate.eidas.example.org');
    assert.equal(
      taConfiguration.claims.metadata?.['federation_entity']?.['federation_fetch_endpoint'],
      `${TA_ID}/fetch`,
    );
  });

  it('is still valid without the anchor configuration, verified with the pinned key', async () => {
    const result = await resolveTrustChainJwts(JWTS.slice(0, 3), ANCHOR, options);
    assert.equal(result.exp, EXP);
  });

  it('fails when one signature byte is flipped', async () => {
    const [header, payload, signature = ''] = (JWTS[1] ?? '').split('.');
    const bytes = Buffer.from(signature, 'base64url');
    bytes[10] = (bytes[10] ?? 0) ^ 0x01;
    const tampered = [
      JWTS[0],
      `${header}.${payload}.${bytes.toString('base64url')}`,
      JWTS[2],
      JWTS[3],
    ];
    await assertRejects(resolveTrustChainJwts(tampered, ANCHOR, options), {
      code: 'invalid_trust_chain',
      reason: 'signature_invalid',
      statementIndex: 1,
    });
  });

  it('fails after its expiry', async () => {
    await assertRejects(resolveTrustChainJwts(JWTS, ANCHOR, { now: EXP + 3600 }), {
      code: 'invalid_trust_chain',
      reason: 'statement_expired',
    });
  });

  it('fails when ES[1] and ES[2] are swapped', async () => {
    await assertRejects(
      resolveTrustChainJwts([JWTS[0], JWTS[2], JWTS[1], JWTS[3]], ANCHOR, options),
      {
        code: 'invalid_trust_chain',
        reason: 'iss_sub_mismatch',
      },
    );
  });

  it('fails when a different Trust Anchor key is pinned', async () => {
    const other = await generateTestKey('RS256', taConfiguration.header.kid);
    await assertRejects(
      resolveTrustChainJwts(JWTS, { entity_id: TA_ID, jwks: { keys: [other.publicJwk] } }, options),
      {
        code: 'invalid_trust_chain',
        reason: 'anchor_keys_mismatch',
        statementIndex: 3,
      },
    );
  });

  it('fails when typ is changed or kid removed', async () => {
    const reheader = (jwt: string, header: Record<string, unknown>) => {
      const [, payload, signature] = jwt.split('.');
      return `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${payload}.${signature}`;
    };
    const original = decodeEntityStatement(JWTS[2]).header;
    await assertRejects(
      resolveTrustChainJwts(
        [JWTS[0], JWTS[1], reheader(JWTS[2] ?? '', { ...original, typ: 'JWT' }), JWTS[3]],
        ANCHOR,
        options,
      ),
      { code: 'invalid_trust_chain', reason: 'typ_invalid', statementIndex: 2 },
    );
    await assertRejects(
      resolveTrustChainJwts(
        [
          JWTS[0],
          JWTS[1],
          reheader(JWTS[2] ?? '', { typ: original.typ, alg: original.alg }),
          JWTS[3],
        ],
        ANCHOR,
        options,
      ),
      { code: 'invalid_trust_chain', reason: 'kid_missing', statementIndex: 2 },
    );
  });
});
