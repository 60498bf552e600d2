/**
 * The node:crypto SignatureVerifier gives exactly the answers of the jose path (§3.2 steps 11,
 * 12; §1.1): every accepted algorithm, signatures that do not verify, keys that do not fit the
 * algorithm, and the bounded key cache.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { exportJWK } from 'jose';
import { DEFAULT_SIGNING_ALGORITHMS } from '../../../src/federation/constants.js';
import { verifyJwsSignature } from '../../../src/federation/entity-statement.js';
import type { Jwk } from '../../../src/federation/types.js';
import { NodeSignatureVerifier } from '../../../src/infrastructure/keys/node-signature-verifier.js';
import { generateSigningKey, signJwt } from '../../../src/testbed/keys.js';
import { assertRejects } from '../../support/assertions.js';

/** Every default algorithm; `Ed25519` is the same key and signature as `EdDSA` over Ed25519. */
const ALGORITHMS = DEFAULT_SIGNING_ALGORITHMS.filter((alg) => alg !== 'Ed25519');

/** The last character of the signature changed (still base64url). */
function tamper(jwt: string): string {
  const last = jwt.at(-2) === 'A' ? 'B' : 'A';
  return `${jwt.slice(0, -2)}${last}${jwt.slice(-1)}`;
}

describe('NodeSignatureVerifier', () => {
  for (const alg of ALGORITHMS) {
    it(`${alg}: the same verdicts as jose, for a good, a tampered and a foreign signature`, async () => {
      const key = await generateSigningKey(alg);
      const other = await generateSigningKey(alg, key.kid);
      const jwks = { keys: [key.publicJwk] };
      const good = await signJwt({ iss: 'https://a.example', n: 1 }, key);
      const forged = await signJwt({ iss: 'https://a.example', n: 1 }, other);
      const verifier = new NodeSignatureVerifier();
      const header = { alg, kid: key.kid };
      for (const options of [{}, { verifier }]) {
        await verifyJwsSignature(good, header, jwks, options);
        for (const bad of [tamper(good), forged]) {
          await assertRejects(verifyJwsSignature(bad, header, jwks, options), {
            code: 'invalid_trust_chain',
            reason: 'signature_invalid',
          });
        }
      }
    });
  }

  it('refuses keys that do not belong to the algorithm, as key_invalid', async () => {
    const ec = await generateSigningKey('ES256');
    const jwt = await signJwt({ n: 1 }, ec);
    const verifier = new NodeSignatureVerifier();
    const cases: Array<[string, Jwk, string]> = [
      ['an EC key for RS256', ec.publicJwk, 'RS256'],
      ['a P-256 key for ES384', ec.publicJwk, 'ES384'],
      ['HMAC', ec.publicJwk, 'HS256'],
    ];
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    cases.push(['a 1024-bit RSA key', { ...((await exportJWK(small)) as Jwk), kid: 'k' }, 'RS256']);
    for (const [what, jwk, alg] of cases) {
      await assertRejects(
        verifyJwsSignature(jwt, { alg, kid: jwk.kid }, { keys: [jwk] }, { verifier }),
        { code: 'invalid_trust_chain', reason: 'key_invalid' },
      ).catch((error: unknown) => {
        throw new Error(`${what}: ${String(error)}`);
      });
    }
  });

  it('imports each key once, and keeps at most its byte bound', async () => {
    const verifier = new NodeSignatureVerifier(1000, 3 * 2300);
    const keys = await Promise.all([1, 2, 3, 4, 5].map(() => generateSigningKey('ES256')));
    for (const key of keys) {
      const jwt = await signJwt({ n: 1 }, key);
      for (let i = 0; i < 3; i++) {
        await verifyJwsSignature(
          jwt,
          { alg: 'ES256', kid: key.kid },
          { keys: [key.publicJwk] },
          { verifier },
        );
      }
    }
    assert.ok(verifier.size <= 3, `${verifier.size} keys kept`);
    assert.ok(verifier.bytes <= 3 * 2300);
  });
});
