/**
 * `fedres keys generate` and `fedres trust-anchors add|list|verify` as a process: files in the
 * formats the service loads, never overwritten without --force, no confirmation without a
 * terminal or --yes, and anchors that still sign with a pinned key.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { JwksSigner } from '../../../src/infrastructure/keys/signing-keys.js';
import { loadTrustAnchors } from '../../../src/infrastructure/trust-anchors/trust-anchor-store.js';
import {
  runCli,
  runOnTerminal,
  startCliFederation,
  type CliFederation,
} from '../../support/cli.js';
import { threeLevel } from '../../support/topologies.js';

function readJson(file: string): { keys: JWK[] } {
  return JSON.parse(readFileSync(file, 'utf8')) as { keys: JWK[] };
}

describe('fedres keys generate', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'fedres-keys-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a private set (mode 0600) that RESOLVER_KEYS_FILE loads and a public set, kid = RFC 7638 thumbprint', async () => {
    const out = join(dir, 'pair');
    const result = await runCli([
      'keys',
      'generate',
      '--alg',
      'ES256',
      '--alg',
      'EdDSA',
      '--out',
      out,
    ]);
    assert.equal(result.status, 0, result.stderr);
    const privateFile = join(out, 'private.jwks.json');
    assert.equal(statSync(privateFile).mode & 0o777, 0o600);
    const privateSet = readJson(privateFile);
    const publicSet = readJson(join(out, 'public.jwks.json'));
    assert.deepEqual(
      publicSet.keys.map((key) => key.alg),
      ['ES256', 'EdDSA'],
    );
    for (const [index, key] of publicSet.keys.entries()) {
      assert.equal(key.kid, await calculateJwkThumbprint(key, 'sha256'));
      assert.equal(key.d, undefined, 'no private member in the public set');
      assert.equal(privateSet.keys[index]?.kid, key.kid);
      assert.equal(typeof privateSet.keys[index]?.d, 'string');
      assert.ok(result.stdout.includes(`${String(key.alg)} kid ${String(key.kid)}`));
    }
    assert.doesNotMatch(result.stdout, /"d"/, 'the private key is never printed');
    const signer = await JwksSigner.fromFile(privateFile);
    assert.deepEqual(
      signer.publicJwks().keys.map((key) => key.kid),
      publicSet.keys.map((key) => key.kid),
    );
  });

  it('never overwrites without --force; --stdout prints the private set instead of writing it', async () => {
    const out = join(dir, 'again');
    assert.equal((await runCli(['keys', 'generate', '--out', out])).status, 0);
    const before = readFileSync(join(out, 'private.jwks.json'), 'utf8');
    const refused = await runCli(['keys', 'generate', '--out', out]);
    assert.equal(refused.status, 2);
    assert.equal(
      refused.stderr,
      `fedres: ${join(out, 'private.jwks.json')} exists; pass --force to overwrite it\n`,
    );
    assert.equal(readFileSync(join(out, 'private.jwks.json'), 'utf8'), before);
    const forced = await runCli(['keys', 'generate', '--out', out, '--force']);
    assert.equal(forced.status, 0, forced.stderr);
    assert.notEqual(readFileSync(join(out, 'private.jwks.json'), 'utf8'), before);
    assert.equal(statSync(join(out, 'private.jwks.json')).mode & 0o777, 0o600);

    const printed = await runCli(['keys', 'generate', '--out', join(dir, 'printed'), '--stdout']);
    assert.equal(printed.status, 0, printed.stderr);
    const set = JSON.parse(printed.stdout) as { keys: JWK[] };
    assert.equal(typeof set.keys[0]?.d, 'string');
    assert.equal(readJson(join(dir, 'printed', 'public.jwks.json')).keys[0]?.kid, set.keys[0]?.kid);
    assert.throws(() => statSync(join(dir, 'printed', 'private.jwks.json')));

    const badAlg = await runCli(['keys', 'generate', '--alg', 'HS256', '--out', dir]);
    assert.equal(badAlg.status, 2);
    assert.match(badAlg.stderr, /^fedres: --alg HS256 is not an accepted signing algorithm/);
  });
});

describe('fedres trust-anchors', () => {
  let fed: CliFederation;
  let dir: string;
  before(async () => {
    fed = await startCliFederation(threeLevel(), ['ta']);
    dir = mkdtempSync(join(tmpdir(), 'fedres-add-'));
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await fed.close();
  });

  /** `fedres trust-anchors add <ta> --dir <target> …extra`. */
  const add = (target: string, ...extra: string[]) =>
    fed.run(['trust-anchors', 'add', fed.id('ta'), '--dir', target, ...extra]);

  it('add without a terminal and without --yes shows the thumbprints and writes nothing (exit 2)', async () => {
    const target = join(dir, 'refused');
    const result = await add(target);
    assert.equal(result.status, 2);
    const [key] = fed.testbed.trustAnchor('ta').jwks.keys;
    const thumbprint = await calculateJwkThumbprint(key as JWK, 'sha256');
    assert.match(result.stdout, new RegExp(`kid ${String(key?.kid)} .*thumbprint ${thumbprint}`));
    assert.match(result.stdout, /self-signed and valid until \d{4}-/);
    assert.match(result.stderr, /stdin is not a terminal, so nothing was written: .*pass --yes/);
    assert.deepEqual(loadTrustAnchors(target, { allowHttp: true }), []);
  });

  it('add refuses a bad identifier or name (exit 2) before it creates the folder', async () => {
    const target = join(dir, 'never-created');
    const bad = await fed.run(['trust-anchors', 'add', 'not-a-url', '--dir', target, '--yes']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /the trust anchor "not-a-url" is not an Entity Identifier/);
    const named = await add(target, '--yes', '--name', '../escape');
    assert.equal(named.status, 2);
    assert.match(named.stderr, /--name \.\.\/escape must be letters, digits/);
    assert.equal(existsSync(target), false);
  });

  it('add --yes writes the file the service loads, named after host and path', async () => {
    const target = join(dir, 'added');
    const result = await add(target, '--yes');
    assert.equal(result.status, 0, result.stderr);
    const url = new URL(fed.id('ta'));
    const name = `${url.hostname.replaceAll('.', '-')}-${url.port}-ta.json`;
    assert.match(result.stdout, new RegExp(`wrote .*${name}`));
    assert.deepEqual(loadTrustAnchors(target, { allowHttp: true }), [
      fed.testbed.trustAnchor('ta'),
    ]);
    const again = await add(target, '--yes');
    assert.equal(again.status, 2);
    assert.match(again.stderr, /exists; pass --force to overwrite it/);
    const named = await add(target, '--yes', '--name', 'edu');
    assert.equal(named.status, 2, 'one anchor, one file: the service refuses it twice');
    assert.match(named.stderr, /is already configured by another file in /);
    assert.equal(loadTrustAnchors(target, { allowHttp: true }).length, 1);
  });

  it('add on a terminal asks, and writes only after y', async () => {
    const prompt = '? [y/N] ';
    const declined = join(dir, 'declined');
    const no = await runOnTerminal(
      ['trust-anchors', 'add', fed.id('ta'), '--dir', declined],
      fed.env,
      {
        prompt,
        answer: 'n',
      },
    );
    assert.equal(no.status, 1, no.output);
    assert.match(no.output, /Pin these keys in .*declined\/.*\.json\? \[y\/N\] /);
    assert.match(no.output, /nothing written/);
    assert.deepEqual(loadTrustAnchors(declined, { allowHttp: true }), []);
    const confirmed = join(dir, 'confirmed');
    const yes = await runOnTerminal(
      ['trust-anchors', 'add', fed.id('ta'), '--dir', confirmed],
      fed.env,
      { prompt, answer: 'y' },
    );
    assert.equal(yes.status, 0, yes.output);
    assert.deepEqual(loadTrustAnchors(confirmed, { allowHttp: true }), [
      fed.testbed.trustAnchor('ta'),
    ]);
  });

  it('add refuses a configuration whose self-signature does not verify (exit 1)', async () => {
    fed.testbed.setFaults({ entity: 'ta' }, { wrongKey: true });
    try {
      const target = join(dir, 'forged');
      const result = await add(target, '--yes');
      assert.equal(result.status, 1);
      assert.match(
        result.stderr,
        /^fedres: the signature does not verify with key ".+" \(invalid_trust_chain: signature_invalid, §3\.2\)\n$/,
      );
      assert.deepEqual(loadTrustAnchors(target, { allowHttp: true }), []);
    } finally {
      fed.testbed.setFaults({ entity: 'ta' }, undefined);
    }
  });

  it('list shows each pinned key; verify passes, then fails once the anchor signs with another key', async () => {
    const list = await fed.run(['trust-anchors', 'list']);
    assert.equal(list.status, 0, list.stderr);
    const [key] = fed.testbed.trustAnchor('ta').jwks.keys;
    assert.equal(list.stdout.split('\n')[0], fed.id('ta'));
    assert.match(list.stdout, new RegExp(`kid ${String(key?.kid)} .*thumbprint [A-Za-z0-9_-]{43}`));

    const verify = await fed.run(['trust-anchors', 'verify']);
    assert.equal(verify.status, 0, verify.stdout);
    assert.match(
      verify.stdout,
      /^pass http:\/\/.*\/ta: answers and signs with a pinned key; valid until /,
    );

    // A copy of the pinned file, then a new key at the anchor: the pin no longer matches.
    const pinned = mkdtempSync(join(tmpdir(), 'fedres-pinned-'));
    try {
      writeFileSync(join(pinned, 'ta.json'), fed.testbed.trustAnchorFile('ta'));
      await fed.testbed.rotateKey('ta');
      const stale = await fed.run(['trust-anchors', 'verify'], { TRUST_ANCHORS_DIR: pinned });
      assert.equal(stale.status, 1);
      assert.match(stale.stdout, /^fail http:\/\/.*\/ta: .*\(anchor_keys_mismatch\)$/m);
    } finally {
      rmSync(pinned, { recursive: true, force: true });
    }
  });
});
