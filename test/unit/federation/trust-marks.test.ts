/** Trust mark verification rules (§7, §7.2.2, §7.3, §8.3.2, §8.4.2) with a fixed clock. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EntityStatementClaims } from '../../../src/federation/types.js';
import {
  decodeTrustMark,
  verifyTrustMark,
  verifyTrustMarkStatusResponse,
  type TrustMarkOptions,
} from '../../../src/federation/trust-marks.js';
import { assertFails, assertRejects } from '../../support/assertions.js';
import {
  NOW,
  createEntity,
  generateTestKey,
  sign,
  type TestEntity,
} from '../../support/statements.js';

const TYPE = 'https://federation.example.org/marks/certified';
const OWNED = 'https://federation.example.org/marks/sirtfi';
const issuer = await createEntity('https://issuer.example.org');
const owner = await createEntity('https://owner.example.org');
const subject = 'https://op.example.org';
const options: TrustMarkOptions = { now: NOW };

/** The anchor's configuration claims with its trust mark settings (§3.1.2). */
function anchor(extra: Partial<EntityStatementClaims> = {}): EntityStatementClaims {
  return {
    iss: 'https://ta.example.org',
    sub: 'https://ta.example.org',
    iat: NOW,
    exp: NOW + 3600,
    jwks: { keys: [] },
    trust_mark_issuers: { [TYPE]: [issuer.id], [OWNED]: [] },
    trust_mark_owners: { [OWNED]: { sub: owner.id, jwks: owner.jwks } },
    ...extra,
  };
}

async function mark(
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = { typ: 'trust-mark+jwt' },
  by: TestEntity = issuer,
): Promise<string> {
  return sign(
    {
      iss: issuer.id,
      sub: subject,
      trust_mark_type: TYPE,
      iat: NOW - 10,
      exp: NOW + 600,
      ...claims,
    },
    by.key,
    header,
  );
}

async function delegation(claims: Record<string, unknown> = {}, by = owner.key): Promise<string> {
  return sign(
    { iss: owner.id, sub: issuer.id, trust_mark_type: OWNED, iat: NOW - 10, ...claims },
    by,
    { typ: 'trust-mark-delegation+jwt' },
  );
}

function verify(
  entry: unknown,
  extra: { anchor?: EntityStatementClaims; options?: Partial<TrustMarkOptions> } = {},
) {
  return verifyTrustMark(
    { entry, subject, anchor: extra.anchor ?? anchor(), issuerKeys: issuer.jwks },
    { ...options, ...extra.options },
  );
}

describe('§7.3 verifyTrustMark', () => {
  it('accepts a mark from an issuer the anchor lists for its type', async () => {
    const jwt = await mark();
    const verified = await verify({ trust_mark_type: TYPE, trust_mark: jwt });
    assert.deepEqual(verified, {
      trust_mark_type: TYPE,
      trust_mark: jwt,
      iss: issuer.id,
      exp: NOW + 600,
    });
  });

  it('accepts a mark without exp (it does not expire, §7.1; docs/decisions.md)', async () => {
    const verified = await verify({
      trust_mark_type: TYPE,
      trust_mark: await mark({ exp: undefined }),
    });
    assert.equal(verified.exp, undefined);
  });

  it('§7.3 step 2: refuses a wrong or missing typ, and accepts a configured extra typ', async () => {
    for (const typ of ['JWT', 'entity-statement+jwt', undefined]) {
      await assertRejects(verify({ trust_mark_type: TYPE, trust_mark: await mark({}, { typ }) }), {
        code: 'not_found',
        reason: 'typ_invalid',
      });
    }
    const framework = await mark({}, { typ: 'example-mark+jwt' });
    await verify(
      { trust_mark_type: TYPE, trust_mark: framework },
      { options: { extraTrustMarkTypes: ['example-mark+jwt'] } },
    );
  });

  it('§7.3 step 3: refuses alg none and HMAC', async () => {
    const forged = `${Buffer.from(JSON.stringify({ typ: 'trust-mark+jwt', alg: 'none', kid: issuer.key.kid })).toString('base64url')}.${Buffer.from(JSON.stringify({ iss: issuer.id, sub: subject, trust_mark_type: TYPE, iat: NOW })).toString('base64url')}.c2ln`;
    await assertRejects(verify({ trust_mark_type: TYPE, trust_mark: forged }), {
      code: 'not_found',
      reason: 'alg_not_allowed',
    });
  });

  it('refuses an entry whose outer type differs from the JWT', async () => {
    await assertRejects(verify({ trust_mark_type: OWNED, trust_mark: await mark() }), {
      code: 'not_found',
      reason: 'claim_invalid',
    });
  });

  it('refuses a malformed entry', async () => {
    for (const entry of ['text', { trust_mark_type: TYPE }, { trust_mark: 'a.b.c' }, null]) {
      await assertRejects(verify(entry), { code: 'not_found', reason: 'claim_invalid' });
    }
  });

  it('§7.3 step 4: refuses a mark about another entity', async () => {
    await assertRejects(
      verify({ trust_mark_type: TYPE, trust_mark: await mark({ sub: 'https://rp.example.org' }) }),
      {
        code: 'not_found',
        reason: 'subject_mismatch',
      },
    );
  });

  it('§7.3 steps 5, 6: refuses a mark issued in the future or expired, with leeway', async () => {
    await assertRejects(
      verify({ trust_mark_type: TYPE, trust_mark: await mark({ iat: NOW + 600 }) }),
      {
        code: 'not_found',
        reason: 'statement_not_yet_valid',
      },
    );
    await assertRejects(
      verify({ trust_mark_type: TYPE, trust_mark: await mark({ exp: NOW - 61 }) }),
      {
        code: 'not_found',
        reason: 'statement_expired',
      },
    );
    await verify({ trust_mark_type: TYPE, trust_mark: await mark({ exp: NOW - 30 }) });
  });

  it("§7.3 step 7: refuses a mark not signed by the issuer's keys", async () => {
    const impostor = await createEntity(issuer.id);
    const forged = await sign(
      { iss: issuer.id, sub: subject, trust_mark_type: TYPE, iat: NOW },
      { ...impostor.key, kid: issuer.key.kid },
      { typ: 'trust-mark+jwt' },
    );
    await assertRejects(verify({ trust_mark_type: TYPE, trust_mark: forged }), {
      code: 'not_found',
      reason: 'signature_invalid',
    });
  });

  it('§8.3.2: refuses a type the anchor does not recognize, and an issuer it does not list', async () => {
    await assertRejects(
      verify({
        trust_mark_type: 'https://other/type',
        trust_mark: await mark({ trust_mark_type: 'https://other/type' }),
      }),
      {
        code: 'not_found',
        reason: 'trust_mark_type_not_recognized',
      },
    );
    const restricted = anchor({
      trust_mark_issuers: { [TYPE]: ['https://someone-else.example.org'] },
    });
    await assertRejects(
      verify({ trust_mark_type: TYPE, trust_mark: await mark() }, { anchor: restricted }),
      {
        code: 'not_found',
        reason: 'trust_mark_issuer_not_trusted',
      },
    );
  });

  it('§7.2: an empty issuer list means anyone may issue the type', async () => {
    await verify(
      { trust_mark_type: TYPE, trust_mark: await mark() },
      { anchor: anchor({ trust_mark_issuers: { [TYPE]: [] } }) },
    );
  });

  describe('§7.2.2 delegation', () => {
    it('accepts an owned type with a valid delegation from the owner', async () => {
      const jwt = await mark({ trust_mark_type: OWNED, delegation: await delegation() });
      assert.equal(
        (await verify({ trust_mark_type: OWNED, trust_mark: jwt })).trust_mark_type,
        OWNED,
      );
    });
    it('§7.3 step 8: refuses an owned type without a delegation', async () => {
      await assertRejects(
        verify({ trust_mark_type: OWNED, trust_mark: await mark({ trust_mark_type: OWNED }) }),
        {
          code: 'not_found',
          reason: 'delegation_missing',
        },
      );
    });
    const bad: Array<[string, () => Promise<string>]> = [
      [
        "signed by a key that is not the owner's",
        async () => delegation({}, await generateTestKey('ES256', owner.key.kid)),
      ],
      ['expired', () => delegation({ exp: NOW - 3600 })],
      ['issued in the future', () => delegation({ iat: NOW + 3600 })],
      ['for another issuer', () => delegation({ sub: 'https://someone-else.example.org' })],
      [
        'from someone other than the owner',
        () => delegation({ iss: 'https://impostor.example.org' }),
      ],
      ['for another type', () => delegation({ trust_mark_type: TYPE })],
      [
        'with the wrong typ',
        async () =>
          sign({ iss: owner.id, sub: issuer.id, trust_mark_type: OWNED, iat: NOW }, owner.key, {
            typ: 'trust-mark+jwt',
          }),
      ],
    ];
    for (const [what, make] of bad) {
      it(`refuses a delegation ${what}`, async () => {
        const jwt = await mark({ trust_mark_type: OWNED, delegation: await make() });
        await assertRejects(verify({ trust_mark_type: OWNED, trust_mark: jwt }), {
          code: 'not_found',
          reason: 'delegation_invalid',
        });
      });
    }
    it('refuses a delegation for a type without an owner (it cannot be validated)', async () => {
      const jwt = await mark({ delegation: await delegation({ trust_mark_type: TYPE }) });
      await assertRejects(verify({ trust_mark_type: TYPE, trust_mark: jwt }), {
        code: 'not_found',
        reason: 'delegation_invalid',
      });
    });
  });

  describe('draft claim names (docs/decisions.md)', () => {
    it('reads trust_mark_id and id only when legacy names are allowed', async () => {
      for (const name of ['trust_mark_id', 'id']) {
        const jwt = await mark({ trust_mark_type: undefined, [name]: TYPE });
        await assertRejects(verify({ [name]: TYPE, trust_mark: jwt }), {
          code: 'not_found',
        });
        const verified = await verify(
          { [name]: TYPE, trust_mark: jwt },
          { options: { legacyClaimNames: true } },
        );
        assert.equal(verified.trust_mark_type, TYPE);
      }
    });
  });

  it('decodeTrustMark requires iss, sub, type and iat', async () => {
    for (const missing of ['iss', 'sub', 'trust_mark_type', 'iat']) {
      const jwt = await mark({ [missing]: undefined });
      assertFails(() => decodeTrustMark(jwt, options), { code: 'not_found' });
    }
  });
});

describe('§8.4.2 verifyTrustMarkStatusResponse', () => {
  const expected = async () => ({
    issuer: issuer.id,
    trustMark: await mark(),
    issuerKeys: issuer.jwks,
  });
  const response = async (
    claims: Record<string, unknown>,
    header: Record<string, unknown> = { typ: 'trust-mark-status-response+jwt' },
    by = issuer.key,
  ) => {
    const e = await expected();
    return {
      jwt: await sign(
        { iss: issuer.id, iat: NOW, trust_mark: e.trustMark, status: 'active', ...claims },
        by,
        header,
      ),
      e,
    };
  };

  it('returns the status of a signed response about the mark', async () => {
    for (const status of ['active', 'revoked', 'expired', 'invalid']) {
      const { jwt, e } = await response({ status });
      assert.equal(await verifyTrustMarkStatusResponse(jwt, e, options), status);
    }
  });
  it('refuses a wrong typ, another issuer, another mark, or a bad signature; a response that arrived but does not answer for the mark is trust_mark_status_invalid', async () => {
    const cases: Array<[Record<string, unknown>, Record<string, unknown> | undefined, string]> = [
      [{}, { typ: 'JWT' }, 'typ_invalid'],
      [{ iss: 'https://other.example.org' }, undefined, 'trust_mark_status_invalid'],
      [{ trust_mark: 'a.b.c' }, undefined, 'trust_mark_status_invalid'],
      [{ status: undefined }, undefined, 'trust_mark_status_invalid'],
    ];
    for (const [claims, header, reason] of cases) {
      const { jwt, e } = await response(claims, header);
      await assertRejects(verifyTrustMarkStatusResponse(jwt, e, options), {
        code: 'not_found',
        reason: reason as 'typ_invalid',
      });
    }
    const forger = await generateTestKey('ES256', issuer.key.kid);
    const { jwt, e } = await response({}, undefined, forger);
    await assertRejects(verifyTrustMarkStatusResponse(jwt, e, options), {
      code: 'not_found',
      reason: 'signature_invalid',
    });
  });
});
