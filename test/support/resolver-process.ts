/**
 * The resolver service in a child process of its own, so that what it holds in memory can be
 * measured apart from the test (`measure()` collects garbage in the child first), and so that
 * signals reach it as they would in production. Loopback only; closed with `close()`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TrustAnchor } from '../../src/federation/types.js';

/** Memory of the child after a full collection, bytes. */
export interface ChildMemory {
  readonly rss: number;
  /** The V8 heap's committed size: heapUsed and the free space between live objects. */
  readonly heapTotal: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

/** A resolver running in a child process. */
export interface ResolverProcess {
  readonly url: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Collects garbage in the child, then reports its memory. */
  measure(): Promise<ChildMemory>;
  /** Stops the child (SIGTERM, then SIGKILL after `graceMs`) and removes its folder. */
  close(graceMs?: number): Promise<void>;
}

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'resolver-child.js');

/** Starts a resolver trusting `anchors`, with `env` over loopback-friendly defaults. */
export async function startResolverProcess(
  anchors: readonly TrustAnchor[],
  env: Readonly<Record<string, string>> = {},
  execArgv: readonly string[] = [],
): Promise<ResolverProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'resolver-process-'));
  anchors.forEach((anchor, index) =>
    writeFileSync(join(dir, `anchor-${index}.json`), JSON.stringify(anchor)),
  );
  const child = fork(CHILD, [], {
    execArgv: ['--expose-gc', ...execArgv],
    env: {
      PATH: process.env['PATH'] ?? '',
      PORT: '0',
      HOST: '127.0.0.1',
      RESOLVER_ENTITY_ID: 'https://resolver.test.example',
      TRUST_ANCHORS_DIR: dir,
      ALLOW_INSECURE_HTTP: 'true',
      ALLOW_PRIVATE_NETWORK: 'true',
      LOG_LEVEL: 'silent',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (message: unknown) => {
      const started = message as { url?: unknown };
      if (typeof started.url === 'string') resolve(started.url);
      else reject(new Error(`the resolver did not start: ${stderr}`));
    });
    child.once('exit', (code) => reject(new Error(`the resolver exited (${code}): ${stderr}`)));
  });
  let closed: Promise<void> | undefined;
  return {
    url,
    pid: child.pid ?? 0,
    child,
    measure: () =>
      new Promise<ChildMemory>((resolve) => {
        child.once('message', (message: unknown) => resolve(message as ChildMemory));
        child.send({ type: 'measure' });
      }),
    close(graceMs = 5000) {
      closed ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          await exited;
          clearTimeout(timer);
        }
        rmSync(dir, { recursive: true, force: true });
      })();
      return closed;
    },
  };
}
