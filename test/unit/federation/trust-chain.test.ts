import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { decodeEntityStatement } from '../../../src/federation/entity-statement.js';
import { NodeSignatureVerifier } from '../../../src/infrastructure/keys/node-signature-verifier.js';
import {
  resolveTrustChain,
  resolveTrustChainJwts,
  validateTrustChain,
} from '../../../src/federation/trust-chain.js';
import type { DecodedEntityStatement, TrustAnchor } from '../../../src/federation/types.js';
import { assertRejects } from '../../support/assertions.js';
import {
  NOW,
  configurationClaims,
  createEntity,
  generateTestKey,
  sign,
  subordinateClaims,
  type TestEntity,
  type TestKey,
} from '../../support/statements.js';

let ta: TestEntity;
let intermediate: TestEntity;
let leaf: TestEntity;
let anchor: TrustAnchor;
const options = { now: NOW, verifier: new NodeSignatureVerifier() };

before(async () => {
  ta = await createEntity('https://ta.example.org', 'RS256');
  intermediate = await createEntity('https://intermediate.example.org', 'PS256');
  leaf = await createEntity('https://op.example.org', 'ES256');
  anchor = { entity_id: ta.id, jwks: ta.jwks };
});

/** Per-level overrides of the 3-level chain [leaf EC, I→leaf, TA→I, TA EC]. */
interface ChainOverrides {
  readonly claims?: ReadonlyArray<Record<string, unknown> | undefined>;
  readonly signers?: ReadonlyArray<TestKey | undefined>;
  readonly headers?: ReadonlyArray<Record<string, unknown> | undefined>;
}

const LEAF_METADATA = {
  openid_provider: {
    issuer: 'https://op.example.org',
    scopes_supported: ['openid', 'email', 'phone'],
  },
  federation_entity: { organization_name: 'OP' },
};

async function chainJwts(overrides: ChainOverrides = {}): Promise<string[]> {
  const claims = [
    configurationClaims(leaf, { authority_hints: [intermediate.id], metadata: LEAF_METADATA }),
    subordinateClaims(intermediate, leaf),
    subordinateClaims(ta, intermediate),
    configurationClaims(ta, {
      metadata: { federation_entity: { federation_fetch_endpoint: `${ta.id}/fetch` } },
    }),
  ];
  const signers = [leaf.key, intermediate.key, ta.key, ta.key];
  return Promise.all(
    claims.map((c, i) =>
      sign(
        { ...c, ...overrides.claims?.[i] },
        overrides.signers?.[i] ?? (signers[i] as TestKey),
        overrides.headers?.[i],
      ),
    ),
  );
}

async function chain(overrides: ChainOverrides = {}): Promise<DecodedEntityStatement[]> {
  return (await chainJwts(overrides)).map((jwt) => decodeEntityStatement(jwt));
}

describe('§4, §10.2 validateTrustChain', () => {
  it('validates [leaf EC, I→leaf, TA→I, TA EC] and reports subject, anchor and path', async () => {
    const result = await validateTrustChain(await chain(), anchor, options);
    assert.equal(result.subject, leaf.id);
    assert.equal(result.trustAnchor, ta.id);
    assert.deepEqual(result.path, [leaf.id, intermediate.id, ta.id]);
    assert.equal(result.statements.length, 4);
  });

  it('§10.4: the chain expires at the smallest exp of its statements', async () => {
    const result = await validateTrustChain(
      await chain({
        claims: [{ exp: NOW + 500 }, { exp: NOW + 400 }, { exp: NOW + 300 }, { exp: NOW + 900 }],
      }),
      anchor,
      options,
    );
    assert.equal(result.exp, NOW + 300);
  });

  it('validates a two-level chain [leaf EC, TA→leaf, TA EC]', async () => {
    const direct = await createEntity('https://rp.example.org');
    const jwts = await Promise.all([
      sign(configurationClaims(direct, { authority_hints: [ta.id] }), direct.key),
      sign(subordinateClaims(ta, direct), ta.key),
      sign(configurationClaims(ta), ta.key),
    ]);
    const result = await resolveTrustChainJwts(jwts, anchor, options);
    assert.deepEqual(result.path, [direct.id, ta.id]);
  });

  it('validates a one-element chain when the subject is the Trust Anchor itself', async () => {
    const result = await resolveTrustChainJwts(
      [await sign(configurationClaims(ta), ta.key)],
      anchor,
      options,
    );
    assert.deepEqual(result.path, [ta.id]);
    assert.equal(result.trustAnchor, ta.id);
  });

  it('§4.3: validates a chain given without the anchor configuration, with the pinned keys', async () => {
    const jwts = (await chainJwts()).slice(0, 3);
    const result = await resolveTrustChainJwts(jwts, anchor, options);
    assert.deepEqual(result.path, [leaf.id, intermediate.id, ta.id]);
  });

  it('chooses the anchor from several configured ones', async () => {
    const other = await createEntity('https://other-ta.example.org');
    const result = await validateTrustChain(
      await chain(),
      [{ entity_id: other.id, jwks: other.jwks }, anchor],
      options,
    );
    assert.equal(result.trustAnchor, ta.id);
  });

  describe('rejections', () => {
    it('rejects an empty chain', async () => {
      await assertRejects(validateTrustChain([], anchor, options), {
        code: 'invalid_trust_chain',
        reason: 'chain_empty',
      });
      await assertRejects(resolveTrustChainJwts('x', anchor, options), {
        code: 'invalid_trust_chain',
        reason: 'chain_empty',
      });
    });

    it('rejects a chain longer than the limit', async () => {
      await assertRejects(
        validateTrustChain(await chain(), anchor, { ...options, maxChainLength: 3 }),
        {
          code: 'invalid_trust_chain',
          reason: 'chain_too_long',
        },
      );
    });

    it('rejects a chain that does not start with an Entity Configuration', async () => {
      const statements = await chain();
      await assertRejects(validateTrustChain(statements.slice(1), anchor, options), {
        code: 'invalid_trust_chain',
        reason: 'entity_configuration_expected',
        statementIndex: 0,
      });
    });

    it('rejects an Entity Configuration between the subject and the anchor', async () => {
      const statements = await chain();
      const intermediateEc = decodeEntityStatement(
        await sign(
          configurationClaims(intermediate, { authority_hints: [ta.id] }),
          intermediate.key,
        ),
      );
      await assertRejects(
        validateTrustChain(
          [statements[0]!, intermediateEc, ...statements.slice(2)],
          anchor,
          options,
        ),
        {
          code: 'invalid_trust_chain',
          reason: 'subordinate_statement_expected',
          statementIndex: 1,
        },
      );
    });

    it('§4: rejects a break of ES[j].iss == ES[j+1].sub', async () => {
      const s = await chain();
      await assertRejects(validateTrustChain([s[0]!, s[2]!, s[1]!, s[3]!], anchor, options), {
        code: 'invalid_trust_chain',
        reason: 'iss_sub_mismatch',
        statementIndex: 1,
      });
    });

    it('§3.2 step 6: rejects a Subordinate Statement whose issuer is not in the subject authority_hints', async () => {
      await assertRejects(
        validateTrustChain(
          await chain({ claims: [{ authority_hints: ['https://elsewhere.example.org'] }] }),
          anchor,
          options,
        ),
        { code: 'invalid_trust_chain', reason: 'issuer_not_in_authority_hints', statementIndex: 1 },
      );
      await assertRejects(
        validateTrustChain(
          await chain({ claims: [{ authority_hints: undefined }] }),
          anchor,
          options,
        ),
        { code: 'invalid_trust_chain', reason: 'issuer_not_in_authority_hints', statementIndex: 1 },
      );
    });

    it('§3.2 step 6: checks authority_hints of Intermediates when their configurations are given', async () => {
      const wrongHints = decodeEntityStatement(
        await sign(
          configurationClaims(intermediate, { authority_hints: ['https://elsewhere.example.org'] }),
          intermediate.key,
        ),
      );
      await assertRejects(
        validateTrustChain(await chain(), anchor, {
          ...options,
          intermediateConfigurations: new Map([[intermediate.id, wrongHints]]),
        }),
        { code: 'invalid_trust_chain', reason: 'issuer_not_in_authority_hints', statementIndex: 2 },
      );
    });

    it('rejects a chain ending at an entity that is not a configured Trust Anchor', async () => {
      const other = await createEntity('https://other-ta.example.org');
      await assertRejects(
        validateTrustChain(await chain(), { entity_id: other.id, jwks: other.jwks }, options),
        {
          code: 'invalid_trust_chain',
          reason: 'trust_anchor_unknown',
        },
      );
    });

    it('§10.2: rejects an anchor configuration that does not verify with the pinned keys', async () => {
      const served = await generateTestKey('RS256');
      // The anchor serves a configuration signed by a key it lists itself, but that is not pinned.
      const statements = await chain({
        claims: [undefined, undefined, undefined, { jwks: { keys: [served.publicJwk] } }],
        signers: [undefined, undefined, served, served],
      });
      await assertRejects(validateTrustChain(statements, anchor, options), {
        code: 'invalid_trust_chain',
        reason: 'anchor_keys_mismatch',
        statementIndex: 3,
      });
    });

    it('§10.2: rejects a chain without the anchor configuration whose top statement is not signed by a pinned key', async () => {
      const rogue = await generateTestKey('RS256', ta.key.kid);
      const statements = (await chain({ signers: [undefined, undefined, rogue] })).slice(0, 3);
      await assertRejects(validateTrustChain(statements, anchor, options), {
        code: 'invalid_trust_chain',
        reason: 'anchor_keys_mismatch',
        statementIndex: 2,
      });
    });

    it('§11.2: accepts anchor keys added in a rollover when the configuration verifies with a pinned key', async () => {
      const next = await generateTestKey('ES256');
      const statements = await chain({
        claims: [
          undefined,
          undefined,
          undefined,
          { jwks: { keys: [ta.key.publicJwk, next.publicJwk] } },
        ],
        signers: [undefined, undefined, next, ta.key],
      });
      const result = await validateTrustChain(statements, anchor, options);
      assert.equal(result.trustAnchor, ta.id);
    });

    for (const [index, name] of [
      [0, 'leaf EC'],
      [1, 'I→leaf'],
      [2, 'TA→I'],
      [3, 'TA EC'],
    ] as const) {
      it(`rejects an expired ${name} (statement ${index})`, async () => {
        const claims = [undefined, undefined, undefined, undefined].map((_, i) =>
          i === index ? { iat: NOW - 7200, exp: NOW - 3600 } : undefined,
        );
        await assertRejects(validateTrustChain(await chain({ claims }), anchor, options), {
          code: 'invalid_trust_chain',
          reason: 'statement_expired',
          statementIndex: index,
        });
      });

      it(`rejects a future-dated ${name} (statement ${index})`, async () => {
        const claims = [undefined, undefined, undefined, undefined].map((_, i) =>
          i === index ? { iat: NOW + 3600, exp: NOW + 7200 } : undefined,
        );
        await assertRejects(validateTrustChain(await chain({ claims }), anchor, options), {
          code: 'invalid_trust_chain',
          reason: 'statement_not_yet_valid',
          statementIndex: index,
        });
      });

      it(`rejects a wrongly typed ${name} (statement ${index})`, async () => {
        const headers = [undefined, undefined, undefined, undefined].map((_, i) =>
          i === index ? { typ: 'JWT' } : undefined,
        );
        await assertRejects(resolveTrustChainJwts(await chainJwts({ headers }), anchor, options), {
          code: 'invalid_trust_chain',
          reason: 'typ_invalid',
          statementIndex: index,
        });
      });

      it(`rejects a ${name} (statement ${index}) signed by a key its superior does not attest`, async () => {
        const rogue = await generateTestKey('ES256');
        const signers = [undefined, undefined, undefined, undefined].map((_, i) =>
          i === index ? rogue : undefined,
        );
        await assertRejects(validateTrustChain(await chain({ signers }), anchor, options), {
          code: 'invalid_trust_chain',
          reason: index === 3 ? 'anchor_keys_mismatch' : 'kid_unknown',
          statementIndex: index,
        });
      });

      it(`rejects a ${name} (statement ${index}) whose signature is forged under the right kid`, async () => {
        const signer = [leaf.key, intermediate.key, ta.key, ta.key][index] as TestKey;
        const forger = await generateTestKey(signer.alg, signer.kid);
        const signers = [undefined, undefined, undefined, undefined].map((_, i) =>
          i === index ? forger : undefined,
        );
        await assertRejects(validateTrustChain(await chain({ signers }), anchor, options), {
          code: 'invalid_trust_chain',
          reason: index === 3 ? 'anchor_keys_mismatch' : 'signature_invalid',
          statementIndex: index,
        });
      });
    }

    it('§4: rejects a subject configuration signed by a key attested by its superior but absent from its own jwks', async () => {
      const other = await generateTestKey('ES256');
      const statements = await chain({
        claims: [undefined, { jwks: { keys: [other.publicJwk] } }],
        signers: [other],
      });
      await assertRejects(validateTrustChain(statements, anchor, options), {
        code: 'invalid_trust_chain',
        reason: 'kid_unknown',
        statementIndex: 0,
      });
    });

    it('§4: rejects a subject configuration whose own key under the kid differs from the attested key', async () => {
      const own = await generateTestKey('ES256', 'same-kid');
      const attested = await generateTestKey('ES256', 'same-kid');
      const statements = await chain({
        claims: [{ jwks: { keys: [own.publicJwk] } }, { jwks: { keys: [attested.publicJwk] } }],
        signers: [attested],
      });
      await assertRejects(validateTrustChain(statements, anchor, options), {
        code: 'invalid_trust_chain',
        reason: 'signature_invalid',
        statementIndex: 0,
      });
    });

    it('§3.2 step 13: rejects a chain statement with a critical claim that is not understood', async () => {
      await assertRejects(
        resolveTrustChainJwts(
          await chainJwts({ claims: [undefined, { jti: 'x', crit: ['jti'] }] }),
          anchor,
          options,
        ),
        {
          code: 'invalid_trust_chain',
          reason: 'crit_not_understood',
          statementIndex: 1,
        },
      );
    });
  });

  describe('§6.2 constraints in a chain', () => {
    // TV-7: [LE, I1→LE, I2→I1, TA→I2]; here I2 is the TA's direct subordinate `intermediate`.
    async function fourLevel(constraints: { i1?: number; i2?: number; ta?: number }) {
      const i1 = await createEntity('https://i1.example.org');
      const subject = await createEntity('https://le.example.org');
      const mpl = (value: number | undefined) =>
        value === undefined ? {} : { constraints: { max_path_length: value } };
      const jwts = await Promise.all([
        sign(configurationClaims(subject, { authority_hints: [i1.id] }), subject.key),
        sign(subordinateClaims(i1, subject, mpl(constraints.i1)), i1.key),
        sign(subordinateClaims(intermediate, i1, mpl(constraints.i2)), intermediate.key),
        sign(subordinateClaims(ta, intermediate, mpl(constraints.ta)), ta.key),
        sign(configurationClaims(ta), ta.key),
      ]);
      return resolveTrustChainJwts(jwts, anchor, options);
    }

    it('§6.2.1: passes with TA=2', async () => {
      await fourLevel({ ta: 2 });
    });
    it('§6.2.1: passes with TA=2 and I2=1', async () => {
      await fourLevel({ ta: 2, i2: 1 });
    });
    it('§6.2.1: passes with only I1=0', async () => {
      await fourLevel({ i1: 0 });
    });
    it('§6.2.1: fails with TA=1', async () => {
      await assertRejects(fourLevel({ ta: 1 }), {
        code: 'invalid_trust_chain',
        reason: 'max_path_length_exceeded',
        statementIndex: 3,
      });
    });
    it('§6.2.1: fails with I2=0', async () => {
      await assertRejects(fourLevel({ i2: 0 }), {
        code: 'invalid_trust_chain',
        reason: 'max_path_length_exceeded',
        statementIndex: 2,
      });
    });

    it('§6.2.2: naming constraints of the anchor bind every entity below it', async () => {
      const permitted = {
        constraints: {
          naming_constraints: { permitted: ['.example.org'], excluded: ['op.example.org'] },
        },
      };
      await assertRejects(
        validateTrustChain(
          await chain({ claims: [undefined, undefined, permitted] }),
          anchor,
          options,
        ),
        {
          code: 'invalid_trust_chain',
          reason: 'naming_constraint_violated',
          statementIndex: 2,
        },
      );
      const allowed = { constraints: { naming_constraints: { permitted: ['.example.org'] } } };
      await validateTrustChain(
        await chain({ claims: [undefined, undefined, allowed] }),
        anchor,
        options,
      );
    });

    it('§6.2.3: allowed_entity_types filters the resolved metadata, keeping federation_entity', async () => {
      const constraint = { constraints: { allowed_entity_types: ['openid_relying_party'] } };
      const result = await resolveTrustChain(
        await chain({ claims: [undefined, undefined, constraint] }),
        anchor,
        options,
      );
      assert.deepEqual(Object.keys(result.metadata), ['federation_entity']);
    });
  });

  describe('§6.1.4 resolved metadata of a chain', () => {
    it('applies the Immediate Superior metadata, then the merged policies from the anchor down', async () => {
      const result = await resolveTrustChain(
        await chain({
          claims: [
            undefined,
            {
              metadata: {
                openid_provider: { organization_name: 'Intermediate says' },
                openid_relying_party: { ignored: true },
              },
              metadata_policy: {
                openid_provider: { scopes_supported: { subset_of: ['openid', 'email'] } },
              },
            },
            {
              metadata: { openid_provider: { organization_name: 'Not the immediate superior' } },
              metadata_policy: { openid_provider: { contacts: { add: ['ops@ta.example.org'] } } },
            },
          ],
        }),
        anchor,
        options,
      );
      assert.deepEqual(result.metadata, {
        openid_provider: {
          issuer: 'https://op.example.org',
          scopes_supported: ['openid', 'email'],
          organization_name: 'Intermediate says',
          contacts: ['ops@ta.example.org'],
        },
        federation_entity: { organization_name: 'OP' },
      });
    });

    it('reports a policy conflict as invalid_metadata at the statement whose policy failed', async () => {
      await assertRejects(
        resolveTrustChain(
          await chain({
            claims: [
              undefined,
              {
                metadata_policy: {
                  openid_provider: { issuer: { value: 'https://b.example.org' } },
                },
              },
              {
                metadata_policy: {
                  openid_provider: { issuer: { value: 'https://a.example.org' } },
                },
              },
            ],
          }),
          anchor,
          options,
        ),
        { code: 'invalid_metadata', statementIndex: 1 },
      );
    });

    it('§6.1.3.2: a metadata_policy_crit operator that is not understood invalidates the chain', async () => {
      await assertRejects(
        resolveTrustChain(
          await chain({
            claims: [
              undefined,
              undefined,
              {
                metadata_policy: { openid_provider: { op_policy_uri: { regexp: '^https://' } } },
                metadata_policy_crit: ['regexp'],
              },
            ],
          }),
          anchor,
          options,
        ),
        { code: 'invalid_metadata', reason: 'policy_operator_not_understood' },
      );
    });
  });
});
