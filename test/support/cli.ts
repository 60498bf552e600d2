/**
 * The real built command line (`dist/src/cli/main.js`) as a child process, bounded in time and
 * killed by its pid when a test ends, and a testbed federation on loopback to point it at.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestbed, type Testbed, type Topology } from '../../src/testbed/index.js';
import { repoRoot } from './paths.js';

/** The built entry of `fedres`. */
export const CLI = join(repoRoot(), 'dist', 'src', 'cli', 'main.js');

/** What one run printed and how it ended. */
export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link runCli}. */
export interface RunOptions {
  /** The whole environment of the child (PATH is added). */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Written to stdin, which is then closed (stdin is a pipe, never a terminal). */
  readonly input?: string;
  /** The run is killed after this long (default 30 s). */
  readonly timeoutMs?: number;
}

/** Kills `child` by its pid if it still runs. */
function stop(child: ChildProcess): void {
  if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    process.kill(child.pid, 'SIGKILL');
  }
}

/** Runs `node dist/src/cli/main.js …args` and waits for it to end. */
export async function runCli(
  args: readonly string[],
  options: RunOptions = {},
): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env['PATH'] ?? '', ...options.env },
    cwd: options.cwd ?? repoRoot(),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(options.input ?? '');
  const timeoutMs = options.timeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    const status = await new Promise<number | null>((resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`fedres ${args.join(' ')} ran longer than ${timeoutMs} ms`)),
        timeoutMs,
      );
      child.once('error', reject);
      child.once('close', (code) => resolve(code));
    });
    return { status, stdout, stderr };
  } finally {
    clearTimeout(timer);
    stop(child);
  }
}

/** Quotes `word` for a POSIX shell. */
function shellWord(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

/**
 * Runs fedres on a terminal of its own: a pseudo-terminal from util-linux `script` (in every
 * Debian and most Linux systems). `answer` is typed once `prompt` appears. Output is the
 * terminal's: stdout and stderr together, with its control sequences.
 */
export async function runOnTerminal(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  options: { readonly prompt?: string; readonly answer?: string; readonly timeoutMs?: number } = {},
): Promise<{ readonly status: number | null; readonly output: string }> {
  const command = [process.execPath, CLI, ...args].map(shellWord).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    cwd: repoRoot(),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  let answered = false;
  const read = (chunk: Buffer) => {
    output += chunk.toString();
    if (!answered && options.prompt !== undefined && output.includes(options.prompt)) {
      answered = true;
      child.stdin.end(`${options.answer ?? ''}\n`);
    }
  };
  child.stdout.on('data', read);
  child.stderr.on('data', read);
  let timer: NodeJS.Timeout | undefined;
  try {
    const status = await new Promise<number | null>((resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`fedres ${args.join(' ')} on a terminal ran too long: ${output}`)),
        options.timeoutMs ?? 30_000,
      );
      child.once('error', reject);
      child.once('close', (code) => resolve(code));
    });
    return { status, output };
  } finally {
    clearTimeout(timer);
    stop(child);
  }
}

/** A loopback federation, its anchors pinned in a temporary folder, and `fedres` pointed at it. */
export interface CliFederation {
  readonly testbed: Testbed;
  readonly anchorsDir: string;
  /** The environment every run gets: the anchors folder and loopback http allowed. */
  readonly env: Readonly<Record<string, string>>;
  /** Entity Identifier of a testbed name. */
  id(name: string): string;
  /** Runs fedres with `args` (`env` over the federation's). */
  run(
    args: readonly string[],
    env?: Readonly<Record<string, string>>,
    options?: RunOptions,
  ): Promise<CliResult>;
  close(): Promise<void>;
}

/** Starts `topology` with the entities named in `anchors` pinned. */
export async function startCliFederation(
  topology: Topology,
  anchors: readonly string[],
): Promise<CliFederation> {
  const testbed = await startTestbed(topology);
  const anchorsDir = mkdtempSync(join(tmpdir(), 'fedres-anchors-'));
  for (const name of anchors) {
    writeFileSync(join(anchorsDir, `${name}.json`), testbed.trustAnchorFile(name));
  }
  const env = {
    TRUST_ANCHORS_DIR: anchorsDir,
    // A testbed federation is plain http on loopback, as in the other integration tests.
    ALLOW_INSECURE_HTTP: 'true',
    ALLOW_PRIVATE_NETWORK: 'true',
  };
  return {
    testbed,
    anchorsDir,
    env,
    id: (name) => testbed.entityId(name),
    run: (args, extra = {}, options = {}) =>
      runCli(args, { ...options, env: { ...env, ...extra, ...options.env } }),
    async close() {
      await testbed.close();
      rmSync(anchorsDir, { recursive: true, force: true });
    },
  };
}
