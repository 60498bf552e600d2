/**
 * Graceful shutdown, as production runs the service: the documented command (`node
 * dist/src/main.js`), `npm start`, and the container example all deliver SIGTERM to node itself,
 * which stops accepting, answers every request in progress normally and then exits.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startTestbed, type Testbed, type Topology } from '../../src/testbed/index.js';
import { repoRoot } from '../support/paths.js';

/** ta and ten leaves under it. */
const TEN_LEAVES: Topology = {
  entities: [
    { name: 'ta' },
    ...Array.from({ length: 10 }, (_, i) => ({ name: `leaf${i}`, authorityHints: ['ta'] })),
  ],
};

const cleanups: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** Starts `command` with the service's environment and waits for its "listening" log line. */
async function startService(
  command: string,
  args: readonly string[],
  testbed: Testbed,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const dir = mkdtempSync(join(tmpdir(), 'anchors-'));
  writeFileSync(join(dir, 'ta.json'), testbed.trustAnchorFile('ta'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const child = spawn(command, args, {
    cwd: repoRoot(),
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? tmpdir(),
      PORT: '0',
      HOST: '127.0.0.1',
      TRUST_ANCHORS_DIR: dir,
      ALLOW_INSECURE_HTTP: 'true',
      ALLOW_PRIVATE_NETWORK: 'true',
      CLIENT_COLD_RATE: '0',
      LOG_LEVEL: 'info',
      ...env,
    },
  });
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let seen = '';
  child.stdout?.on('data', (chunk: Buffer) => (seen += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (seen += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening" line: ${seen}`)), 30_000);
    const look = () => {
      const match = /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"listening"/.exec(seen);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', look);
  });
  return { child, url, output: () => seen };
}

/** One GET on its own connection: status and body. */
function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('graceful shutdown (SIGTERM, SIGINT)', () => {
  it('SIGTERM during 10 resolutions in progress answers all 10 with their normal result, then exits 0', async () => {
    const testbed = await startTestbed(TEN_LEAVES, { latencyMs: 300 });
    cleanups.push(() => testbed.close());
    const { child, url } = await startService(process.execPath, ['dist/src/main.js'], testbed);
    const answers = Array.from({ length: 10 }, (_, i) =>
      get(
        `${url}/resolve?${new URLSearchParams({
          sub: testbed.entityId(`leaf${i}`),
          trust_anchor: testbed.entityId('ta'),
        }).toString()}`,
      ),
    );
    // Each resolution takes three upstream round trips of 300 ms; signal in the middle of them.
    await new Promise((resolve) => setTimeout(resolve, 400));
    const exited = exitOf(child);
    child.kill('SIGTERM');
    const results = await Promise.all(answers);
    assert.deepEqual(
      results.map((result) => result.status),
      Array.from({ length: 10 }, () => 200),
    );
    assert.equal(await exited, 0);
    // And nothing answers any more.
    await assert.rejects(get(`${url}/healthz`));
  });

  it('a resolution still running when SHUTDOWN_GRACE_MS ends is cut, and the process exits', async () => {
    const testbed = await startTestbed(TEN_LEAVES, { latencyMs: 5000 });
    cleanups.push(() => testbed.close());
    const { child, url } = await startService(process.execPath, ['dist/src/main.js'], testbed, {
      SHUTDOWN_GRACE_MS: '300',
    });
    const pending = get(
      `${url}/resolve?${new URLSearchParams({
        sub: testbed.entityId('leaf0'),
        trust_anchor: testbed.entityId('ta'),
      }).toString()}`,
    ).catch(() => 'cut');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    child.kill('SIGTERM');
    assert.equal(await exitOf(child), 0);
    assert.ok(Date.now() - started < 4000, 'the grace period bounds the shutdown');
    assert.equal(await pending, 'cut');
  });

  it('npm start delivers SIGTERM to node itself, which shuts down gracefully', async () => {
    const testbed = await startTestbed(TEN_LEAVES);
    cleanups.push(() => testbed.close());
    const { child, url, output } = await startService('npm', ['start', '--silent'], testbed);
    assert.equal((await get(`${url}/healthz`)).status, 200);
    child.kill('SIGTERM');
    assert.equal(await exitOf(child), 0);
    assert.match(output(), /"msg":"shutting down"/, 'node received the signal and shut down');
    await assert.rejects(get(`${url}/healthz`));
  });

  it('the container example starts node directly (exec form), so SIGTERM reaches it', () => {
    const dockerfile = readFileSync(join(repoRoot(), 'Dockerfile'), 'utf8');
    const instructions = dockerfile
      .split('\n')
      .filter((line) => /^(CMD|ENTRYPOINT|STOPSIGNAL)\b/.test(line));
    assert.deepEqual(instructions, ['STOPSIGNAL SIGTERM', 'CMD ["node", "dist/src/main.js"]']);
    const readme = readFileSync(join(repoRoot(), 'README.md'), 'utf8');
    assert.ok(
      readme.includes('node dist/src/main.js'),
      'the README documents the production command',
    );
  });
});
