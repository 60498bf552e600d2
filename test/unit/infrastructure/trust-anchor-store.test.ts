import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  TrustAnchorFileError,
  TrustAnchorStore,
} from '../../../src/infrastructure/trust-anchors/trust-anchor-store.js';

const KEY = {
  kty: 'EC',
  crv: 'P-256',
  kid: 'k1',
  x: 'WKn-ZIGevcwGIyyrzFoZNBdaq9_TsqzGl96oc0CWuis',
  y: 'y77t-RvAHRKTsSGdIYUfweuOvwrvDD-Q3Hv5J0fSKbE',
};

function withFolder(files: Record<string, string>, run: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'anchors-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function failsNaming(files: Record<string, string>, file: string): void {
  withFolder(files, (dir) => {
    assert.throws(
      () => new TrustAnchorStore(dir, { allowHttp: false }).load(),
      (error: unknown) =>
        error instanceof TrustAnchorFileError &&
        error.file.endsWith(file) &&
        error.message.includes(file),
    );
  });
}

describe('trust anchor files', () => {
  it('loads every *.json file and ignores other files', () => {
    withFolder(
      {
        'ta.json': JSON.stringify({ entity_id: 'https://ta.example', jwks: { keys: [KEY] } }),
        'README.md': '# not an anchor',
      },
      (dir) => {
        const store = new TrustAnchorStore(dir, { allowHttp: false });
        store.load();
        assert.deepEqual(
          store.all().map((anchor) => anchor.entity_id),
          ['https://ta.example'],
        );
        assert.equal(store.get('https://ta.example')?.jwks.keys[0]?.kid, 'k1');
        assert.equal(store.version, 1);
      },
    );
  });

  it('names the file that is not JSON, lacks an entity_id, or holds bad keys', () => {
    failsNaming({ 'bad.json': '{' }, 'bad.json');
    failsNaming({ 'noid.json': JSON.stringify({ jwks: { keys: [KEY] } }) }, 'noid.json');
    failsNaming(
      { 'http.json': JSON.stringify({ entity_id: 'http://ta.example', jwks: { keys: [KEY] } }) },
      'http.json',
    );
    failsNaming(
      { 'nokeys.json': JSON.stringify({ entity_id: 'https://ta.example', jwks: { keys: [] } }) },
      'nokeys.json',
    );
    failsNaming(
      {
        'private.json': JSON.stringify({
          entity_id: 'https://ta.example',
          jwks: { keys: [{ ...KEY, d: 'x' }] },
        }),
      },
      'private.json',
    );
    failsNaming(
      {
        'nokid.json': JSON.stringify({
          entity_id: 'https://ta.example',
          jwks: { keys: [{ ...KEY, kid: undefined }] },
        }),
      },
      'nokid.json',
    );
  });

  it('refuses the same entity_id in two files', () => {
    const text = JSON.stringify({ entity_id: 'https://ta.example', jwks: { keys: [KEY] } });
    failsNaming({ 'a.json': text, 'b.json': text }, 'b.json');
  });

  it('refuses a folder that does not exist', () => {
    assert.throws(
      () =>
        new TrustAnchorStore(join(tmpdir(), 'no-such-folder-for-anchors'), {
          allowHttp: false,
        }).load(),
      TrustAnchorFileError,
    );
  });
});
