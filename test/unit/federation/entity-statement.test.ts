import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompactSign } from 'jose';
import {
  assertSigningAlgorithms,
  decodeEntityStatement,
  validateStatementTime,
  verifyEntityStatement,
} from '../../../src/federation/entity-statement.js';
import { NodeSignatureVerifier } from '../../../src/infrastructure/keys/node-signature-verifier.js';
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

// Created before the suites are declared: some test tables are built from these entities.
const leaf: TestEntity = await createEntity('https://leaf.example.org');
const superior: TestEntity = await createEntity('https://intermediate.example.org');

/** A structurally valid EC claims set that only needs one change to test a rule. */
function ecClaims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return configurationClaims(leaf, { authority_hints: [superior.id], ...extra });
}

function ssClaims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return subordinateClaims(superior, leaf, extra);
}

describe('§3 decodeEntityStatement', () => {
  it('§3.2 step 6: iss == sub makes an Entity Configuration, otherwise a Subordinate Statement', () => {
    const ec = decodeEntityStatement(forgeJws(HEADER, ecClaims()));
    assert.equal(ec.kind, 'entity_configuration');
    assert.deepEqual(ec.claims.authority_hints, [superior.id]);
    const ss = decodeEntityStatement(forgeJws(HEADER, ssClaims()));
    assert.equal(ss.kind, 'subordinate_statement');
    assert.equal(ss.header.kid, 'k1');
  });

  it('keeps extension claims it does not understand when they are not critical (§3.1)', () => {
    const decoded = decodeEntityStatement(forgeJws(HEADER, ecClaims({ jti: 'abc' })));
    assert.equal(decoded.claims['jti'], 'abc');
  });

  describe('§1.1 compact JWS only', () => {
    const cases: Array<[string, unknown]> = [
      ['a non-string', 42],
      ['a JWE (five parts)', 'a.b.c.d.e'],
      ['two parts', 'a.b'],
      ['a JSON serialization', JSON.stringify({ payload: 'x', signatures: [] })],
      ['an empty signature', `${forgeJws(HEADER, ecClaims()).split('.').slice(0, 2).join('.')}.`],
      [
        'a header that is not JSON',
        `bm90IGpzb24.${forgeJws(HEADER, ecClaims()).split('.')[1]}.c2ln`,
      ],
      ['a header that is a JSON array', forgeJws([HEADER], ecClaims())],
      ['a payload that is not base64url', `${forgeJws(HEADER, {}).split('.')[0]}.***.c2ln`],
      ['claims that are a JSON string', forgeJws(HEADER, 'claims')],
    ];
    for (const [name, input] of cases) {
      it(`rejects ${name} as statement_malformed`, () => {
        assertFails(() => decodeEntityStatement(input), {
          code: 'invalid_trust_chain',
          reason: 'statement_malformed',
        });
      });
    }

    it('rejects claims nested deeper than the limit', () => {
      let deep: unknown = 'x';
      for (let i = 0; i < 40; i++) deep = { d: deep };
      assertFails(() => decodeEntityStatement(forgeJws(HEADER, ecClaims({ deep }))), {
        code: 'invalid_trust_chain',
        reason: 'statement_malformed',
      });
    });

    it('rejects a statement larger than the configured limit as statement_too_large', () => {
      const jwt = forgeJws(HEADER, ecClaims({ padding: 'x'.repeat(2000) }));
      assertFails(() => decodeEntityStatement(jwt, { maxStatementLength: 1000 }), {
        code: 'invalid_trust_chain',
        reason: 'statement_too_large',
      });
    });
  });

  describe('§3.2 step 2: typ', () => {
    for (const typ of [
      undefined,
      'JWT',
      'trust-mark+jwt',
      'application/entity-statement+jwt',
      'Entity-Statement+JWT',
    ]) {
      it(`rejects typ ${String(typ)}`, () => {
        const header = { ...HEADER, typ };
        assertFails(() => decodeEntityStatement(forgeJws(header, ecClaims())), {
          code: 'invalid_trust_chain',
          reason: 'typ_invalid',
        });
      });
    }
  });

  describe('§3.2 step 3: alg', () => {
    for (const alg of ['none', 'None', 'HS256', 'HS512', undefined, 7]) {
      it(`rejects alg ${String(alg)} even if an allow-list names it`, () => {
        const options = { allowedAlgorithms: ['ES256', 'none', 'HS256', 'HS512'] };
        assertFails(
          () => decodeEntityStatement(forgeJws({ ...HEADER, alg }, ecClaims()), options),
          {
            code: 'invalid_trust_chain',
            reason: 'alg_not_allowed',
          },
        );
      });
    }

    it('rejects an asymmetric alg that the configured allow-list leaves out', () => {
      assertFails(
        () => decodeEntityStatement(forgeJws(HEADER, ecClaims()), { allowedAlgorithms: ['RS256'] }),
        {
          code: 'invalid_trust_chain',
          reason: 'alg_not_allowed',
        },
      );
    });

    it('refuses an allow-list containing none or an HMAC algorithm (a configuration error: server_error, as every configuration_invalid)', () => {
      assertFails(() => assertSigningAlgorithms(['RS256', 'none']), {
        code: 'server_error',
        reason: 'configuration_invalid',
      });
      assertFails(() => assertSigningAlgorithms(['HS256']), {
        code: 'server_error',
        reason: 'configuration_invalid',
      });
      assertFails(() => assertSigningAlgorithms([]), {
        code: 'server_error',
        reason: 'configuration_invalid',
      });
      assert.deepEqual(assertSigningAlgorithms(['PS256']), ['PS256']);
    });
  });

  describe('§1.1 kid header', () => {
    for (const kid of [undefined, '', 12]) {
      it(`rejects kid ${JSON.stringify(kid)}`, () => {
        assertFails(() => decodeEntityStatement(forgeJws({ ...HEADER, kid }, ecClaims())), {
          code: 'invalid_trust_chain',
          reason: 'kid_missing',
        });
      });
    }
  });

  describe('§4.3, §4.4: header parameters forbidden on Entity Statements', () => {
    for (const parameter of ['trust_chain', 'peer_trust_chain']) {
      it(`rejects a ${parameter} header`, () => {
        assertFails(
          () => decodeEntityStatement(forgeJws({ ...HEADER, [parameter]: ['a.b.c'] }, ecClaims())),
          {
            code: 'invalid_trust_chain',
            reason: 'header_not_allowed',
          },
        );
      });
    }

    it('rejects a JWS crit header, since no JWS extension is understood', () => {
      assertFails(
        () => decodeEntityStatement(forgeJws({ ...HEADER, crit: ['exp'], exp: 1 }, ecClaims())),
        {
          code: 'invalid_trust_chain',
          reason: 'crit_not_understood',
        },
      );
    });
  });

  describe('§3.1 required claims', () => {
    for (const claim of ['iss', 'sub', 'iat', 'exp', 'jwks']) {
      it(`rejects a statement without ${claim}`, () => {
        const claims = ecClaims();
        delete claims[claim];
        assertFails(() => decodeEntityStatement(forgeJws(HEADER, claims)), {
          code: 'invalid_trust_chain',
          reason: 'claim_missing',
        });
      });
    }

    for (const [claim, value] of [
      ['iat', '1800000000'],
      ['exp', null],
      ['exp', -1],
      ['iat', true],
    ] as const) {
      it(`rejects ${claim} = ${String(value)}`, () => {
        assertFails(() => decodeEntityStatement(forgeJws(HEADER, ecClaims({ [claim]: value }))), {
          code: 'invalid_trust_chain',
        });
      });
    }
  });

  describe('§1.2 Entity Identifiers', () => {
    const bad = [
      'http://leaf.example.org',
      'https://leaf.example.org?x=1',
      'https://leaf.example.org#f',
      'leaf.example.org',
      'https://',
      'https://user:pw@leaf.example.org',
      'https://leaf .example.org',
      'ftp://leaf.example.org',
    ];
    for (const id of bad) {
      it(`rejects iss ${JSON.stringify(id)}`, () => {
        assertFails(() => decodeEntityStatement(forgeJws(HEADER, ecClaims({ iss: id, sub: id }))), {
          code: 'invalid_trust_chain',
          reason: 'entity_id_invalid',
        });
      });
    }

    it('accepts http identifiers only when allowHttp is set (tests and demos)', () => {
      const claims = ecClaims({ iss: 'http://127.0.0.1:8080', sub: 'http://127.0.0.1:8080' });
      assertFails(() => decodeEntityStatement(forgeJws(HEADER, claims)), {
        code: 'invalid_trust_chain',
        reason: 'entity_id_invalid',
      });
      assert.equal(
        decodeEntityStatement(forgeJws(HEADER, claims), { allowHttp: true }).claims.iss,
        'http://127.0.0.1:8080',
      );
    });

    it('rejects authority_hints that are not Entity Identifiers', () => {
      assertFails(
        () =>
          decodeEntityStatement(
            forgeJws(HEADER, ecClaims({ authority_hints: ['https://a.example?x'] })),
          ),
        {
          code: 'invalid_trust_chain',
          reason: 'entity_id_invalid',
        },
      );
      assertFails(
        () => decodeEntityStatement(forgeJws(HEADER, ecClaims({ authority_hints: [] }))),
        {
          code: 'invalid_trust_chain',
          reason: 'claim_invalid',
        },
      );
    });
  });

  describe('§1.4, §3.2: where each claim may appear', () => {
    const ecOnly = {
      authority_hints: ['https://ta.example.org'],
      trust_anchor_hints: ['https://ta.example.org'],
      trust_marks: [],
      trust_mark_issuers: {},
      trust_mark_owners: {},
    };
    for (const [claim, value] of Object.entries(ecOnly)) {
      it(`rejects ${claim} in a Subordinate Statement`, () => {
        assertFails(() => decodeEntityStatement(forgeJws(HEADER, ssClaims({ [claim]: value }))), {
          code: 'invalid_trust_chain',
          reason: 'claim_not_allowed',
        });
      });
    }
    const ssOnly = {
      constraints: {},
      metadata_policy: {},
      metadata_policy_crit: ['regexp'],
      source_endpoint: 'https://intermediate.example.org/fetch',
    };
    for (const [claim, value] of Object.entries(ssOnly)) {
      it(`rejects ${claim} in an Entity Configuration`, () => {
        assertFails(() => decodeEntityStatement(forgeJws(HEADER, ecClaims({ [claim]: value }))), {
          code: 'invalid_trust_chain',
          reason: 'claim_not_allowed',
        });
      });
    }
    for (const claim of ['aud', 'trust_anchor']) {
      it(`rejects ${claim}, an Explicit Registration claim, in both kinds (§3.2 steps 26, 27)`, () => {
        const value = 'https://ta.example.org';
        assertFails(() => decodeEntityStatement(forgeJws(HEADER, ecClaims({ [claim]: value }))), {
          code: 'invalid_trust_chain',
          reason: 'claim_not_allowed',
        });
        assertFails(() => decodeEntityStatement(forgeJws(HEADER, ssClaims({ [claim]: value }))), {
          code: 'invalid_trust_chain',
          reason: 'claim_not_allowed',
        });
      });
    }

    it('accepts every Subordinate-Statement-only claim in a Subordinate Statement', () => {
      const decoded = decodeEntityStatement(
        forgeJws(
          HEADER,
          ssClaims({
            ...ssOnly,
            constraints: {
              max_path_length: 1,
              naming_constraints: { permitted: ['.example.org'] },
              allowed_entity_types: ['openid_provider'],
              future_constraint: 1,
            },
          }),
        ),
      );
      assert.equal(decoded.claims.constraints?.max_path_length, 1);
      assert.deepEqual(decoded.claims.metadata_policy_crit, ['regexp']);
    });
  });

  describe('§13.4 crit', () => {
    it('rejects a critical claim that is not understood', () => {
      assertFails(
        () => decodeEntityStatement(forgeJws(HEADER, ecClaims({ jti: 'x', crit: ['jti'] }))),
        {
          code: 'invalid_trust_chain',
          reason: 'crit_not_understood',
        },
      );
    });
    it('accepts a critical claim the deployment understands', () => {
      const decoded = decodeEntityStatement(
        forgeJws(HEADER, ecClaims({ jti: 'x', crit: ['jti'] })),
        {
          understoodCriticalClaims: ['jti'],
        },
      );
      assert.deepEqual(decoded.claims.crit, ['jti']);
    });
    const malformed: Array<[string, unknown, Record<string, unknown>]> = [
      ['an empty crit', [], {}],
      ['a spec-defined claim', ['exp'], {}],
      ['a claim absent from the statement', ['jti'], {}],
      ['duplicates', ['jti', 'jti'], { jti: 'x' }],
      ['a non-array', 'jti', { jti: 'x' }],
    ];
    for (const [name, crit, extra] of malformed) {
      it(`rejects crit with ${name}`, () => {
        assertFails(
          () =>
            decodeEntityStatement(forgeJws(HEADER, ecClaims({ ...extra, crit })), {
              understoodCriticalClaims: ['jti'],
            }),
          { code: 'invalid_trust_chain', reason: 'crit_invalid' },
        );
      });
    }
  });

  describe('§5 metadata', () => {
    it('rejects null as a top-level parameter value with invalid_metadata', () => {
      const metadata = { openid_provider: { issuer: leaf.id, logo_uri: null } };
      assertFails(() => decodeEntityStatement(forgeJws(HEADER, ecClaims({ metadata }))), {
        code: 'invalid_metadata',
        reason: 'metadata_null',
      });
    });
    it('rejects a null Entity Type value', () => {
      assertFails(
        () =>
          decodeEntityStatement(
            forgeJws(HEADER, ecClaims({ metadata: { openid_provider: null } })),
          ),
        {
          code: 'invalid_metadata',
          reason: 'metadata_null',
        },
      );
    });
    it('rejects metadata that is not an object of objects', () => {
      for (const metadata of [[], 'x', { openid_provider: [] }]) {
        assertFails(() => decodeEntityStatement(forgeJws(HEADER, ecClaims({ metadata }))), {
          code: 'invalid_metadata',
          reason: 'metadata_invalid',
        });
      }
    });
    it('allows null nested below the top level and empty type objects', () => {
      const metadata = { openid_provider: { nested: { a: null } }, oauth_client: {} };
      assert.deepEqual(
        decodeEntityStatement(forgeJws(HEADER, ecClaims({ metadata }))).claims.metadata,
        metadata,
      );
    });
    it('§5.2.1: rejects jwks, jwks_uri or signed_jwks_uri under federation_entity', () => {
      for (const parameter of ['jwks', 'jwks_uri', 'signed_jwks_uri']) {
        const metadata = { federation_entity: { [parameter]: 'https://leaf.example.org/jwks' } };
        assertFails(() => decodeEntityStatement(forgeJws(HEADER, ecClaims({ metadata }))), {
          code: 'invalid_metadata',
          reason: 'metadata_invalid',
        });
      }
    });
    it('checks metadata in Subordinate Statements too', () => {
      assertFails(
        () =>
          decodeEntityStatement(
            forgeJws(HEADER, ssClaims({ metadata: { openid_provider: { a: null } } })),
          ),
        {
          code: 'invalid_metadata',
          reason: 'metadata_null',
        },
      );
    });
  });

  describe('§1.1 jwks', () => {
    const key = { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'a' };
    const cases: Array<[string, unknown, string]> = [
      ['not an object', [], 'claim_invalid'],
      ['empty keys', { keys: [] }, 'claim_invalid'],
      ['a key without kid', { keys: [{ ...key, kid: undefined }] }, 'key_invalid'],
      ['duplicate kids', { keys: [key, { ...key }] }, 'key_invalid'],
      ['a private key', { keys: [{ ...key, d: 'secret' }] }, 'key_invalid'],
      ['a symmetric key', { keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 's' }] }, 'key_invalid'],
      ['a key without kty', { keys: [{ kid: 'a' }] }, 'key_invalid'],
      [
        'more keys than the limit (100)',
        { keys: Array.from({ length: 101 }, (_, i) => ({ ...key, kid: `k${i}` })) },
        'claim_invalid',
      ],
    ];
    for (const [name, jwks, reason] of cases) {
      it(`rejects a jwks with ${name}`, () => {
        assertFails(() => decodeEntityStatement(forgeJws(HEADER, ecClaims({ jwks }))), {
          code: 'invalid_trust_chain',
          reason: reason as 'key_invalid',
        });
      });
    }
  });

  describe('§3.2 steps 19–23: syntax of the other claims', () => {
    const ssCases: Array<[string, Record<string, unknown>]> = [
      ['max_path_length -1', { constraints: { max_path_length: -1 } }],
      ['max_path_length 1.5', { constraints: { max_path_length: 1.5 } }],
      ['max_path_length "2"', { constraints: { max_path_length: '2' } }],
      [
        'allowed_entity_types listing federation_entity (§6.2.3)',
        { constraints: { allowed_entity_types: ['federation_entity'] } },
      ],
      [
        'naming_constraints.permitted not an array',
        { constraints: { naming_constraints: { permitted: '.example.org' } } },
      ],
      [
        'source_endpoint with a fragment',
        { source_endpoint: 'https://intermediate.example.org/fetch#x' },
      ],
      ['source_endpoint over http', { source_endpoint: 'http://intermediate.example.org/fetch' }],
      ['metadata_policy_crit empty', { metadata_policy_crit: [] }],
    ];
    for (const [name, extra] of ssCases) {
      it(`rejects ${name}`, () => {
        assertFails(() => decodeEntityStatement(forgeJws(HEADER, ssClaims(extra))), {
          code: 'invalid_trust_chain',
          reason: 'claim_invalid',
        });
      });
    }
    it('rejects a metadata_policy that is not three levels of objects', () => {
      assertFails(
        () =>
          decodeEntityStatement(
            forgeJws(HEADER, ssClaims({ metadata_policy: { openid_provider: { scope: 'x' } } })),
          ),
        {
          code: 'invalid_metadata',
          reason: 'policy_invalid',
        },
      );
    });
    it('§3.2 step 20: trust_marks must be an array of well-formed entries (trust-marks-syntax.test.ts)', () => {
      assertFails(
        () => decodeEntityStatement(forgeJws(HEADER, ecClaims({ trust_marks: { a: 1 } }))),
        {
          code: 'invalid_trust_chain',
          reason: 'claim_invalid',
        },
      );
      const type = 'https://tm.example.org/b';
      const mark = forgeJws(
        { typ: 'trust-mark+jwt', alg: 'ES256', kid: 'm' },
        {
          trust_mark_type: type,
        },
      );
      const entries = [{ trust_mark_type: type, trust_mark: mark }];
      const decoded = decodeEntityStatement(forgeJws(HEADER, ecClaims({ trust_marks: entries })));
      assert.deepEqual(decoded.claims.trust_marks, entries);
      assertFails(
        () =>
          decodeEntityStatement(forgeJws(HEADER, ecClaims({ trust_marks: [...entries, 'junk'] }))),
        { code: 'invalid_trust_chain', reason: 'claim_invalid', claim: 'trust_marks' },
      );
    });
    it('checks trust_mark_issuers and trust_mark_owners shapes', () => {
      assertFails(
        () =>
          decodeEntityStatement(
            forgeJws(HEADER, ecClaims({ trust_mark_issuers: { t: ['not a url'] } })),
          ),
        { code: 'invalid_trust_chain', reason: 'claim_invalid' },
      );
      assertFails(
        () =>
          decodeEntityStatement(
            forgeJws(
              HEADER,
              ecClaims({ trust_mark_owners: { t: { sub: 'https://owner.example.org' } } }),
            ),
          ),
        { code: 'invalid_trust_chain' },
      );
      const decoded = decodeEntityStatement(
        forgeJws(HEADER, ecClaims({ trust_mark_issuers: { t: [] } })),
      );
      assert.deepEqual(decoded.claims.trust_mark_issuers, { t: [] });
    });
  });
});

describe('§3.2 steps 7, 8: validateStatementTime', () => {
  const decode = (iat: number, exp: number) =>
    decodeEntityStatement(forgeJws(HEADER, ecClaims({ iat, exp })));

  it('accepts a statement inside its window', () => {
    validateStatementTime(decode(NOW - 10, NOW + 10), { now: NOW });
  });
  it('rejects an expired statement', () => {
    assertFails(() => validateStatementTime(decode(NOW - 7200, NOW - 61), { now: NOW }), {
      code: 'invalid_trust_chain',
      reason: 'statement_expired',
    });
  });
  it('treats exp equal to now minus leeway as expired (exp must be in the future)', () => {
    assertFails(() => validateStatementTime(decode(NOW - 100, NOW), { now: NOW, clockSkew: 0 }), {
      code: 'invalid_trust_chain',
      reason: 'statement_expired',
    });
  });
  it('rejects a statement issued in the future beyond the leeway', () => {
    assertFails(() => validateStatementTime(decode(NOW + 61, NOW + 3600), { now: NOW }), {
      code: 'invalid_trust_chain',
      reason: 'statement_not_yet_valid',
    });
  });
  it('applies the configured clock-skew leeway to iat and exp', () => {
    validateStatementTime(decode(NOW + 100, NOW + 3600), { now: NOW, clockSkew: 120 });
    validateStatementTime(decode(NOW - 3600, NOW - 100), { now: NOW, clockSkew: 120 });
    assertFails(
      () => validateStatementTime(decode(NOW + 30, NOW + 3600), { now: NOW, clockSkew: 0 }),
      {
        code: 'invalid_trust_chain',
        reason: 'statement_not_yet_valid',
      },
    );
  });
});

describe('§3.2 steps 10–12: verifyEntityStatement', () => {
  for (const alg of ['RS256', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA']) {
    it(`verifies a statement signed with ${alg}`, async () => {
      const entity = await createEntity('https://alg.example.org', alg);
      const jwt = await sign(configurationClaims(entity), entity.key);
      const decoded = decodeEntityStatement(jwt);
      await verifyEntityStatement(decoded, entity.jwks);
    });
  }

  it('rejects a signature made by another key under the same kid', async () => {
    const impostor = await generateTestKey('ES256', leaf.key.kid);
    const decoded = decodeEntityStatement(await sign(ecClaims(), impostor));
    await assertRejects(verifyEntityStatement(decoded, leaf.jwks), {
      code: 'invalid_trust_chain',
      reason: 'signature_invalid',
    });
  });

  it('rejects a kid that is not in the issuer keys, matched exactly', async () => {
    const decoded = decodeEntityStatement(
      await sign(ecClaims(), leaf.key, { kid: `${leaf.key.kid} ` }),
    );
    await assertRejects(verifyEntityStatement(decoded, leaf.jwks), {
      code: 'invalid_trust_chain',
      reason: 'kid_unknown',
    });
  });

  it('rejects a statement whose payload was altered after signing', async () => {
    const jwt = await sign(ecClaims(), leaf.key);
    const [h, , s] = jwt.split('.');
    const altered = `${h}.${Buffer.from(JSON.stringify(ecClaims({ exp: NOW + 99999 }))).toString('base64url')}.${s}`;
    await assertRejects(verifyEntityStatement(decodeEntityStatement(altered), leaf.jwks), {
      code: 'invalid_trust_chain',
      reason: 'signature_invalid',
    });
  });

  it('rejects a key whose alg member differs from the header alg', async () => {
    const decoded = decodeEntityStatement(await sign(ecClaims(), leaf.key));
    const jwks = { keys: [{ ...leaf.key.publicJwk, alg: 'ES384' }] };
    await assertRejects(verifyEntityStatement(decoded, jwks), {
      code: 'invalid_trust_chain',
      reason: 'key_invalid',
    });
  });

  it('rejects an HMAC-signed statement before any key is used', async () => {
    const secret = new TextEncoder().encode('0123456789abcdef0123456789abcdef');
    const jwt = await new CompactSign(new TextEncoder().encode(JSON.stringify(ecClaims())))
      .setProtectedHeader({ typ: 'entity-statement+jwt', alg: 'HS256', kid: leaf.key.kid })
      .sign(secret);
    assertFails(() => decodeEntityStatement(jwt), {
      code: 'invalid_trust_chain',
      reason: 'alg_not_allowed',
    });
  });

  it('a verifier keeps each key once, however many statements it verifies, within its bound', async () => {
    const verifier = new NodeSignatureVerifier(2);
    const jwts = await Promise.all([1, 2, 3].map((n) => sign(ecClaims({ n }), leaf.key)));
    for (const jwt of jwts)
      await verifyEntityStatement(decodeEntityStatement(jwt), leaf.jwks, { verifier });
    // A copy of the same JWK (as found in another statement) is the same key.
    await verifyEntityStatement(
      decodeEntityStatement(jwts[0] ?? ''),
      { keys: [{ ...leaf.key.publicJwk }] },
      { verifier },
    );
    assert.equal(verifier.size, 1);
    for (let i = 0; i < 4; i++) {
      const entity = await createEntity(`https://e${i}.example.org`);
      await verifyEntityStatement(
        decodeEntityStatement(await sign(configurationClaims(entity), entity.key)),
        entity.jwks,
        { verifier },
      );
    }
    assert.equal(verifier.size, 2);
  });
});
