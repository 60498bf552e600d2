/**
 * A real `redis-server` for tests: the one `REDIS_URL` names (CI starts one on a loopback port),
 * or one started here on a free loopback port, without persistence, stopped by its process id.
 * A test that needs Redis fails, never skips, when neither is available.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

/** A Redis server this test started. */
export interface RedisServer {
  readonly url: string;
  readonly port: number;
  /** Kills the server (SIGKILL) and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port. */
  restart(): Promise<void>;
  /** Stops it for good. */
  stop(): Promise<void>;
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Waits until the Redis at `url` answers PING. */
export async function waitForRedis(url: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      return;
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`Redis at ${url} does not answer: ${String(error)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      client.disconnect();
    }
  }
}

function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Starts `redis-server` (or `redis-server --sentinel` with `args`) on `port` of loopback. */
export function spawnRedis(port: number, args: readonly string[] = []): ChildProcess {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...args],
    { stdio: 'ignore' },
  );
  child.on('error', () => undefined);
  return child;
}

/** Starts a Redis server of this test's own. */
export async function startRedis(): Promise<RedisServer> {
  if (!hasRedisServer()) {
    throw new Error('redis-server is not installed (apt-get install -y redis-server)');
  }
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}/0`;
  let child = spawnRedis(port);
  await waitForRedis(url);
  const exit = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  };
  return {
    url,
    port,
    kill: () => exit('SIGKILL'),
    async restart() {
      await exit('SIGKILL');
      child = spawnRedis(port);
      await waitForRedis(url);
    },
    stop: () => exit('SIGTERM'),
  };
}

/**
 * The Redis of this test run: REDIS_URL when set, else one started for the caller (stop it with
 * `stop`). `prefix` is a key prefix of its own, so tests sharing one Redis never meet.
 */
export async function testRedis(): Promise<{
  readonly url: string;
  readonly prefix: string;
  stop(): Promise<void>;
}> {
  const prefix = `fedres-test-${randomUUID().slice(0, 8)}:`;
  const given = process.env['REDIS_URL'];
  if (given !== undefined && given !== '') {
    await waitForRedis(given);
    return { url: given, prefix, stop: () => Promise.resolve() };
  }
  const own = await startRedis();
  return { url: own.url, prefix, stop: () => own.stop() };
}
