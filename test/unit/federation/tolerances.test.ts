/**
 * §3.2 step 20 (the syntax of `trust_marks`), the named tolerances of docs/tolerances.md, and
 * the issuer rule of §5.1.3 / §5.1.4 on the Resolved Metadata.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeEntityStatement } from '../../../src/federation/entity-statement.js';
import { resolveChainMetadata } from '../../../src/federation/resolved-metadata.js';
import { TOLERANCE_NAMES, type ToleranceName } from '../../../src/federation/tolerances.js';
import { resolveTrustChainJwts } from '../../../src/federation/trust-chain.js';
import type { TrustAnchor } from '../../../src/federation/types.js';
import { assertFails, assertRejects } from '../../support/assertions.js';
import {
  NOW,
  configurationClaims,
  createEntity,
  forgeJws,
  generateTestKey,
  sign,
  subordinateClaims,
  type TestEntity,
} from '../../support/statements.js';

const HEADER = { typ: 'entity-statement+jwt', alg: 'ES256', kid: 'k1' };
const MARK_HEADER = { typ: 'trust-mark+jwt', alg: 'ES256', kid: 'm1' };
const TYPE = 'https://tm.example.org/certified';
const ALL: readonly ToleranceName[] = TOLERANCE_NAMES;

// Created before the suites are declared: their test tables are built from these entities.
const ta: TestEntity = await createEntity('https://ta.example.org');
const leaf: TestEntity = await createEntity('https://op.example.org');
const anchor: TrustAnchor = { entity_id: ta.id, jwks: ta.jwks };

function ec(extra: Record<string, unknown>, tolerate: readonly ToleranceName[] = []) {
  return decodeEntityStatement(
    forgeJws(HEADER, configurationClaims(leaf, { authority_hints: [ta.id], ...extra })),
    { tolerate },
  );
}

function ss(extra: Record<string, unknown>, tolerate: readonly ToleranceName[] = []) {
  return decodeEntityStatement(forgeJws(HEADER, subordinateClaims(ta, leaf, extra)), {
    tolerate,
  });
}

function mark(claims: Record<string, unknown>): string {
  return forgeJws(MARK_HEADER, { iss: ta.id, sub: leaf.id, iat: NOW, ...claims });
}

describe('§3.2 step 20: the syntax of trust_marks rejects the Entity Configuration', () => {
  const invalid: Array<[string, unknown]> = [
    ['not an array', { trust_mark_type: TYPE }],
    ['an entry that is not an object', ['junk']],
    ['an entry without trust_mark_type', [{ trust_mark: mark({ trust_mark_type: TYPE }) }]],
    ['an entry with an empty trust_mark_type', [{ trust_mark_type: '', trust_mark: 'a.b.c' }]],
    ['an entry without trust_mark', [{ trust_mark_type: TYPE }]],
    ['a trust_mark that is not a JWT', [{ trust_mark_type: TYPE, trust_mark: 'not-a-jwt' }]],
    ['a trust_mark that is a number', [{ trust_mark_type: TYPE, trust_mark: 7 }]],
    [
      'a trust_mark whose payload is not JSON',
      [{ trust_mark_type: TYPE, trust_mark: 'eyJhbGciOiJFUzI1NiJ9.bm90IGpzb24.c2ln' }],
    ],
    [
      'an outer type other than the JWT’s',
      [{ trust_mark_type: TYPE, trust_mark: mark({ trust_mark_type: `${TYPE}/other` }) }],
    ],
    ['a JWT without a type', [{ trust_mark_type: TYPE, trust_mark: mark({}) }]],
    ['draft names without the tolerance', [{ id: TYPE, trust_mark: mark({ id: TYPE }) }]],
  ];
  for (const [what, value] of invalid) {
    it(`rejects ${what} as claim_invalid`, () => {
      assertFails(() => ec({ trust_marks: value }), {
        code: 'invalid_trust_chain',
        reason: 'claim_invalid',
        claim: 'trust_marks',
      });
    });
  }

  it('accepts well-formed entries whatever §7.3 will say of the marks (unsigned, expired, any typ)', () => {
    const entries = [
      { trust_mark_type: TYPE, trust_mark: mark({ trust_mark_type: TYPE, exp: 1 }) },
      {
        trust_mark_type: `${TYPE}/2`,
        trust_mark: forgeJws({ alg: 'none' }, { trust_mark_type: `${TYPE}/2` }),
      },
    ];
    const decoded = ec({ trust_marks: entries });
    assert.deepEqual(decoded.claims.trust_marks, entries);
    assert.equal(decoded.tolerated, undefined, 'nothing tolerated');
    assert.deepEqual(ec({ trust_marks: [] }).claims.trust_marks, []);
  });
});

describe('constraints-in-entity-configuration (§3.1.3, §3.2)', () => {
  const constraints = { max_path_length: 0, naming_constraints: { permitted: ['.example.org'] } };

  it('without it, constraints in an Entity Configuration is claim_not_allowed', () => {
    assertFails(() => ec({ constraints }), {
      code: 'invalid_trust_chain',
      reason: 'claim_not_allowed',
      claim: 'constraints',
    });
  });

  it('with it, the claim is ignored (never applied) and the use is recorded', () => {
    const decoded = ec({ constraints }, ['constraints-in-entity-configuration']);
    assert.equal(decoded.claims.constraints, undefined);
    assert.equal(decoded.claims['constraints'], undefined, 'not kept as an extension claim');
    assert.deepEqual(
      decoded.tolerated?.map((use) => [use.tolerance, use.section, use.claim]),
      [['constraints-in-entity-configuration', '§3.2', 'constraints']],
    );
  });

  it('does not tolerate constraints in a Subordinate Statement: they still apply there', () => {
    const decoded = ss({ constraints }, ['constraints-in-entity-configuration']);
    assert.equal(decoded.claims.constraints?.max_path_length, 0);
    assert.equal(decoded.tolerated, undefined);
  });

  it('tolerates nothing else that is misplaced: metadata_policy in an Entity Configuration', () => {
    assertFails(() => ec({ metadata_policy: {} }, ALL), {
      code: 'invalid_trust_chain',
      reason: 'claim_not_allowed',
      claim: 'metadata_policy',
    });
  });
});

describe('trust-marks-in-subordinate-statement (§3.1.2, §3.2)', () => {
  const trust_marks = [{ trust_mark_type: TYPE, trust_mark: mark({ trust_mark_type: TYPE }) }];

  it('without it, trust_marks in a Subordinate Statement is claim_not_allowed', () => {
    assertFails(() => ss({ trust_marks }), {
      code: 'invalid_trust_chain',
      reason: 'claim_not_allowed',
      claim: 'trust_marks',
    });
  });

  it('with it, the claim is ignored, even when malformed, and the use is recorded', () => {
    for (const value of [trust_marks, 'junk']) {
      const decoded = ss({ trust_marks: value }, ['trust-marks-in-subordinate-statement']);
      assert.equal(decoded.claims.trust_marks, undefined);
      assert.deepEqual(
        decoded.tolerated?.map((use) => use.tolerance),
        ['trust-marks-in-subordinate-statement'],
      );
    }
  });

  it('tolerates nothing else that is misplaced: authority_hints in a Subordinate Statement', () => {
    assertFails(() => ss({ authority_hints: [ta.id] }, ALL), {
      code: 'invalid_trust_chain',
      reason: 'claim_not_allowed',
      claim: 'authority_hints',
    });
  });
});

describe('legacy-trust-mark-claims (§3.1.2, §7.1)', () => {
  const tolerate: readonly ToleranceName[] = ['legacy-trust-mark-claims'];

  for (const name of ['id', 'trust_mark_id']) {
    it(`reads the draft name ${name} in the entry and the JWT, and records the use`, () => {
      const entries = [{ [name]: TYPE, trust_mark: mark({ [name]: TYPE }) }];
      const decoded = ec({ trust_marks: entries }, tolerate);
      assert.deepEqual(decoded.claims.trust_marks, entries);
      assert.deepEqual(
        decoded.tolerated?.map((use) => use.tolerance),
        ['legacy-trust-mark-claims'],
      );
    });
  }

  it('still requires the outer and inner types to agree', () => {
    assertFails(
      () => ec({ trust_marks: [{ id: TYPE, trust_mark: mark({ id: `${TYPE}/x` }) }] }, tolerate),
      { code: 'invalid_trust_chain', reason: 'claim_invalid', claim: 'trust_marks' },
    );
  });

  it('reads trust_marks_issuers and trust_marks_owners as the Final names; the Final name wins', () => {
    const issuers = { [TYPE]: ['https://issuer.example.org'] };
    const owners = { [TYPE]: { sub: 'https://owner.example.org', jwks: leaf.jwks } };
    const drafted = ec({ trust_marks_issuers: issuers, trust_marks_owners: owners }, tolerate);
    assert.deepEqual(drafted.claims.trust_mark_issuers, issuers);
    assert.equal(drafted.claims.trust_mark_owners?.[TYPE]?.sub, 'https://owner.example.org');
    assert.equal(drafted.tolerated?.length, 2);
    const both = ec({ trust_mark_issuers: { [TYPE]: [] }, trust_marks_issuers: issuers }, tolerate);
    assert.deepEqual(both.claims.trust_mark_issuers, { [TYPE]: [] });
    assert.equal(both.tolerated, undefined);
    const strict = ec({ trust_marks_issuers: issuers });
    assert.equal(strict.claims.trust_mark_issuers, undefined, 'an unknown claim without it');
  });

  it('still checks the shape of the draft-named claims', () => {
    assertFails(() => ec({ trust_marks_issuers: { [TYPE]: ['not a url'] } }, tolerate), {
      code: 'invalid_trust_chain',
      reason: 'claim_invalid',
      claim: 'trust_mark_issuers',
    });
  });
});

describe('tolerances never widen signature, time, key or anchor checks', () => {
  /** [leaf EC, TA → leaf, TA EC] with every deviation the tolerances accept. */
  async function chain(
    overrides: {
      readonly subordinate?: Record<string, unknown>;
      readonly subordinateKey?: Awaited<ReturnType<typeof generateTestKey>>;
      readonly anchorKey?: Awaited<ReturnType<typeof generateTestKey>>;
      readonly leafHeader?: Record<string, unknown>;
    } = {},
  ): Promise<string[]> {
    const legacyMark = mark({ id: TYPE });
    return [
      await sign(
        configurationClaims(leaf, {
          authority_hints: [ta.id],
          trust_marks: [{ id: TYPE, trust_mark: legacyMark }],
        }),
        leaf.key,
        overrides.leafHeader ?? {},
      ),
      await sign(
        subordinateClaims(ta, leaf, {
          trust_marks: [{ id: TYPE, trust_mark: legacyMark }],
          ...overrides.subordinate,
        }),
        overrides.subordinateKey ?? ta.key,
      ),
      await sign(
        configurationClaims(ta, { constraints: { max_path_length: 0 } }),
        overrides.anchorKey ?? ta.key,
      ),
    ];
  }

  it('the deviant chain resolves with every tolerance and reports each use by statement', async () => {
    const resolved = await resolveTrustChainJwts(await chain(), anchor, {
      now: NOW,
      tolerate: ALL,
    });
    assert.deepEqual(
      resolved.tolerated?.map((use) => [use.statementIndex, use.tolerance]),
      [
        [0, 'legacy-trust-mark-claims'],
        [1, 'trust-marks-in-subordinate-statement'],
        [2, 'constraints-in-entity-configuration'],
      ],
    );
  });

  it('and fails without them, exactly as the Final requires', async () => {
    await assertRejects(resolveTrustChainJwts(await chain(), anchor, { now: NOW }), {
      code: 'invalid_trust_chain',
      reason: 'claim_invalid',
      statementIndex: 0,
    });
  });

  it('a Subordinate Statement signed by a key other than the superior’s still fails', async () => {
    const rogue = await generateTestKey('ES256', ta.key.kid);
    await assertRejects(
      resolveTrustChainJwts(await chain({ subordinateKey: rogue }), anchor, {
        now: NOW,
        tolerate: ALL,
      }),
      { code: 'invalid_trust_chain', reason: 'signature_invalid', statementIndex: 1 },
    );
  });

  it('an anchor configuration signed by a key that is not pinned still fails', async () => {
    const rogue = await generateTestKey('ES256', ta.key.kid);
    await assertRejects(
      resolveTrustChainJwts(await chain({ anchorKey: rogue }), anchor, {
        now: NOW,
        tolerate: ALL,
      }),
      { code: 'invalid_trust_chain', statementIndex: 2 },
    );
  });

  it('an expired statement still fails', async () => {
    await assertRejects(
      resolveTrustChainJwts(
        await chain({ subordinate: { iat: NOW - 7200, exp: NOW - 3600 } }),
        anchor,
        { now: NOW, tolerate: ALL },
      ),
      { code: 'invalid_trust_chain', reason: 'statement_expired', statementIndex: 1 },
    );
  });

  it('keys the superior does not attest still fail the subject’s configuration', async () => {
    const other = await createEntity(leaf.id);
    await assertRejects(
      resolveTrustChainJwts(await chain({ subordinate: { jwks: other.jwks } }), anchor, {
        now: NOW,
        tolerate: ALL,
      }),
      { code: 'invalid_trust_chain', statementIndex: 0 },
    );
  });

  it('a wrong typ still fails', async () => {
    await assertRejects(
      resolveTrustChainJwts(await chain({ leafHeader: { typ: 'JWT' } }), anchor, {
        now: NOW,
        tolerate: ALL,
      }),
      { code: 'invalid_trust_chain', reason: 'typ_invalid', statementIndex: 0 },
    );
  });
});

describe('§5.1.3, §5.1.4: the issuer of the Resolved Metadata is the Entity Identifier', () => {
  const OP = 'https://op.example.org';

  function statements(metadata: Record<string, unknown>, policy?: Record<string, unknown>) {
    return [
      ec({ metadata }),
      ss(policy === undefined ? {} : { metadata_policy: policy }),
      decodeEntityStatement(forgeJws(HEADER, configurationClaims(ta))),
    ];
  }

  it('accepts an openid_provider and an oauth_authorization_server naming themselves', () => {
    const metadata = resolveChainMetadata(
      statements({
        openid_provider: { issuer: OP },
        oauth_authorization_server: { issuer: OP },
      }),
    );
    assert.equal(metadata['openid_provider']?.['issuer'], OP);
  });

  for (const entityType of ['openid_provider', 'oauth_authorization_server']) {
    for (const [what, issuer] of [
      ['another URL', 'https://evil.example.org'],
      ['a trailing slash', `${OP}/`],
      ['a different case', 'https://OP.example.org'],
      ['a number', 7],
      ['an array', [OP]],
    ] as const) {
      it(`${entityType}: an issuer that is ${what} is invalid_metadata issuer_mismatch`, () => {
        assertFails(() => resolveChainMetadata(statements({ [entityType]: { issuer } })), {
          code: 'invalid_metadata',
          reason: 'issuer_mismatch',
          statementIndex: 0,
        });
      });
    }
  }

  it('is checked after policy: a superior’s value operator can mend or break it', () => {
    const mended = resolveChainMetadata(
      statements(
        { openid_provider: { issuer: 'https://wrong.example.org' } },
        { openid_provider: { issuer: { value: OP } } },
      ),
    );
    assert.equal(mended['openid_provider']?.['issuer'], OP);
    assertFails(
      () =>
        resolveChainMetadata(
          statements(
            { openid_provider: { issuer: OP } },
            { openid_provider: { issuer: { value: 'https://other.example.org' } } },
          ),
        ),
      { code: 'invalid_metadata', reason: 'issuer_mismatch' },
    );
  });

  it('leaves an absent issuer, and the issuer of other Entity Types, alone', () => {
    const metadata = resolveChainMetadata(
      statements({
        openid_provider: { authorization_endpoint: `${OP}/authorize` },
        openid_relying_party: { issuer: 'https://elsewhere.example.org' },
      }),
    );
    assert.equal(metadata['openid_provider']?.['issuer'], undefined);
  });
});
