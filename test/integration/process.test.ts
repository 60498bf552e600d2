/**
 * The process entry points as a newcomer runs them: `npm start` (dist/src/main.js) with its
 * configuration contract, and `npm run demo` (dist/src/demo/demo.js).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../support/paths.js';

const ANCHOR_FILE = JSON.stringify({
  entity_id: 'https://ta.example.org',
  jwks: {
    keys: [
      {
        kty: 'EC',
        crv: 'P-256',
        kid: 'k1',
        x: 'WKn-ZIGevcwGIyyrzFoZNBdaq9_TsqzGl96oc0CWuis',
        y: 'y77t-RvAHRKTsSGdIYUfweuOvwrvDD-Q3Hv5J0fSKbE',
      },
    ],
  },
});

interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a compiled entry point to completion (bounded by `timeoutMs`). */
function run(script: string, env: Record<string, string>, timeoutMs = 20_000): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot(), script)], {
      env: { PATH: process.env['PATH'] ?? '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not finish: ${stdout}${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('npm start (dist/src/main.js)', () => {
  it('answers /healthz once listening, reloads trust anchors on SIGHUP and stops cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'anchors-'));
    const child = spawn(process.execPath, [join(repoRoot(), 'dist/src/main.js')], {
      env: {
        PATH: process.env['PATH'] ?? '',
        PORT: '0',
        HOST: '127.0.0.1',
        TRUST_ANCHORS_DIR: dir,
        LOG_LEVEL: 'info',
      },
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let seen = '';
        const timer = setTimeout(() => reject(new Error(`no "listening" line: ${seen}`)), 15_000);
        child.stdout.on('data', (chunk: Buffer) => {
          seen += chunk.toString();
          const match = /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"listening"/.exec(seen);
          if (match?.[1] !== undefined) {
            clearTimeout(timer);
            resolve(match[1]);
          }
        });
      });
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      // No anchor configured: alive but not ready.
      assert.equal((await fetch(`${url}/readyz`)).status, 503);
      // SIGHUP reloads the trust anchors folder.
      writeFileSync(join(dir, 'ta.json'), ANCHOR_FILE);
      child.kill('SIGHUP');
      let ready = 503;
      for (let attempt = 0; attempt < 50 && ready !== 200; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        ready = (await fetch(`${url}/readyz`)).status;
      }
      assert.equal(ready, 200);
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start with an invalid setting, naming the variable', async () => {
    const exit = await run('dist/src/main.js', { PORT: 'http', LOG_LEVEL: 'silent' });
    assert.equal(exit.code, 1);
    assert.match(exit.stderr, /PORT/);
  });

  it('refuses to start with a missing trust anchors folder or keys file, naming the variable', async () => {
    const folder = await run('dist/src/main.js', {
      PORT: '0',
      TRUST_ANCHORS_DIR: join(tmpdir(), 'no-such-anchors-folder'),
      LOG_LEVEL: 'silent',
    });
    assert.equal(folder.code, 1);
    assert.match(folder.stderr, /TRUST_ANCHORS_DIR/);
    const dir = mkdtempSync(join(tmpdir(), 'anchors-'));
    try {
      const keys = await run('dist/src/main.js', {
        PORT: '0',
        TRUST_ANCHORS_DIR: dir,
        RESOLVER_KEYS_FILE: join(dir, 'missing-keys.json'),
        LOG_LEVEL: 'silent',
      });
      assert.equal(keys.code, 1);
      // The variable is named once, then the file and what is wrong with it.
      assert.equal(
        keys.stderr.trim(),
        `federation-resolver: cannot start: RESOLVER_KEYS_FILE: ${join(dir, 'missing-keys.json')} cannot be read as JSON`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start with a bad trust anchor file, naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'anchors-'));
    try {
      writeFileSync(join(dir, 'broken-anchor.json'), '{"entity_id": 42}');
      const exit = await run('dist/src/main.js', {
        PORT: '0',
        HOST: '127.0.0.1',
        TRUST_ANCHORS_DIR: dir,
        LOG_LEVEL: 'silent',
      });
      assert.equal(exit.code, 1);
      assert.match(exit.stderr, /broken-anchor\.json/);
      assert.match(exit.stderr, /TRUST_ANCHORS_DIR/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('npm run demo (dist/src/demo/demo.js)', () => {
  it('resolves the sample federation, explains the broken chain and prints curl commands', async () => {
    const exit = await run('dist/src/demo/demo.js', { DEMO_ONESHOT: 'true', PORT: '0' });
    assert.equal(exit.code, 0, exit.stderr);
    for (const name of ['op-university', 'op-research', 'rp-shop', 'rp-lab']) {
      assert.match(exit.stdout, new RegExp(`✔ ${name}: resolved`));
    }
    assert.match(exit.stdout, /✘ rp-broken: 400 invalid_trust_chain/);
    assert.match(exit.stdout, /reason statement_expired/);
    assert.match(exit.stdout, /verified trust marks: marks\/certified, marks\/sirtfi/);
    assert.match(exit.stdout, /trust mark left out: marks\/certified \(statement_expired\)/);
    assert.match(exit.stdout, /curl -s 'http:\/\/127\.0\.0\.1:\d+\/resolve\?sub=/);
    // The explorer's address, and a deep link that opens it on the broken chain.
    const explorer = /Explorer: (http:\/\/127\.0\.0\.1:\d+\/explorer)\n/.exec(exit.stdout)?.[1];
    assert.ok(explorer !== undefined, exit.stdout);
    const link = /the broken chain: (\S+)/.exec(exit.stdout)?.[1] ?? '';
    assert.equal(new URL(link).pathname, '/explorer');
    assert.match(new URL(link).searchParams.get('sub') ?? '', /\/rp-broken$/);
  });
});
