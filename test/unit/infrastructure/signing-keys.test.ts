/**
 * The resolver's own keys (§8.3.2: `kid` REQUIRED; §1.1: asymmetric only): a keys file in every
 * default algorithm signs JWSs that jose verifies with the published key, the last key signs,
 * private members are never published, and keys that do not fit their algorithm are refused.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { compactVerify, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK } from 'jose';
import { DEFAULT_SIGNING_ALGORITHMS } from '../../../src/federation/constants.js';
import { JwksSigner, SigningKeyError } from '../../../src/infrastructure/keys/signing-keys.js';

const dir = mkdtempSync(join(tmpdir(), 'signing-keys-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function privateJwk(alg: string, kid: string): Promise<Record<string, unknown>> {
  const options = alg === 'EdDSA' ? { crv: 'Ed25519', extractable: true } : { extractable: true };
  const { privateKey } = await generateKeyPair(alg, options);
  return { ...(await exportJWK(privateKey)), kid, alg };
}

function file(keys: unknown[]): string {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify({ keys }));
  return path;
}

describe('JwksSigner', () => {
  for (const alg of DEFAULT_SIGNING_ALGORITHMS.filter((a) => a !== 'Ed25519')) {
    it(`${alg}: signs what jose verifies with the published key, with typ, alg and kid`, async () => {
      const signer = await JwksSigner.fromFile(file([await privateJwk(alg, `k-${alg}`)]));
      const jwt = await signer.sign({ iss: 'https://r.example', n: 1 }, 'resolve-response+jwt');
      const [published] = signer.publicJwks().keys;
      assert.ok(published !== undefined);
      assert.equal(published['d'], undefined, 'no private member published');
      assert.deepEqual(decodeProtectedHeader(jwt), {
        alg,
        typ: 'resolve-response+jwt',
        kid: `k-${alg}`,
      });
      const verified = await compactVerify(jwt, await importJWK({ ...published }, alg));
      assert.deepEqual(JSON.parse(new TextDecoder().decode(verified.payload)), {
        iss: 'https://r.example',
        n: 1,
      });
    });
  }

  it('the last key of the file signs; every key is published', async () => {
    const signer = await JwksSigner.fromFile(
      file([await privateJwk('ES256', 'old'), await privateJwk('PS256', 'new')]),
    );
    const jwt = await signer.sign({ n: 1 }, 'entity-statement+jwt');
    assert.equal(decodeProtectedHeader(jwt).kid, 'new');
    assert.deepEqual(
      signer.publicJwks().keys.map((key) => key.kid),
      ['old', 'new'],
    );
  });

  it('an ephemeral key signs ES256 that jose verifies', async () => {
    const signer = await JwksSigner.ephemeral();
    assert.equal(signer.ephemeral, true);
    const jwt = await signer.sign({ n: 1 }, 'entity-statement+jwt');
    const [published] = signer.publicJwks().keys;
    await compactVerify(jwt, await importJWK({ ...(published ?? {}) }, 'ES256'));
  });

  it('refuses a key that does not fit its alg, a short RSA key, a public key, and none', async () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    const cases: Array<[string, Record<string, unknown>]> = [
      ['an EC key declared RS256', { ...(await privateJwk('ES256', 'a')), alg: 'RS256' }],
      ['a P-256 key declared ES384', { ...(await privateJwk('ES256', 'b')), alg: 'ES384' }],
      ['a 1024-bit RSA key', { ...small.export({ format: 'jwk' }), kid: 'c', alg: 'RS256' }],
      ['alg none', { ...(await privateJwk('ES256', 'd')), alg: 'none' }],
    ];
    const { d: _private, ...publicOnly } = await privateJwk('ES256', 'e');
    cases.push(['a public key', publicOnly]);
    for (const [what, jwk] of cases) {
      await assert.rejects(JwksSigner.fromFile(file([jwk])), SigningKeyError, what);
    }
  });
});
