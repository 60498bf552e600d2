/**
 * A real `redis-server` for tests: the one `REDIS_URL` names (CI starts one on a loopback port),
 * or one started here on a free loopback port, without persistence, stopped by its process id.
 * A test that needs Redis fails, never skips, when neither is available.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** Starts a Redis server of this test's own (with `args`, for example to allow DEBUG). */
export async function startRedis(args: readonly string[] = []): Promise<RedisServer> {
  if (!hasRedisServer()) {
    throw new Error('redis-server is not installed (apt-get install -y redis-server)');
  }
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}/0`;
  let child = spawnRedis(port, args);
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
      child = spawnRedis(port, args);
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

/** A primary, a replica and three sentinels on loopback, for failover tests. */
export interface SentinelGroup {
  /** `host:port` of each sentinel, as REDIS_SENTINELS takes them. */
  readonly sentinels: readonly string[];
  readonly name: string;
  /** The port of the current primary, as the sentinels report it. */
  primaryPort(): Promise<number>;
  /** Kills the primary (SIGKILL). */
  killPrimary(): Promise<void>;
  /** Stops every process of the group. */
  stop(): Promise<void>;
}

/** Starts a {@link SentinelGroup} in a temporary folder (sentinels rewrite their config). */
export async function startSentinelGroup(name = 'fedres-primary'): Promise<SentinelGroup> {
  if (!hasRedisServer()) {
    throw new Error('redis-server is not installed (apt-get install -y redis-server)');
  }
  const dir = mkdtempSync(join(tmpdir(), 'sentinels-'));
  const children: ChildProcess[] = [];
  const byPort = new Map<number, ChildProcess>();
  const stopAll = async () => {
    await Promise.all(
      children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGKILL');
        await exited;
      }),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const primary = await freePort();
    const replica = await freePort();
    for (const [port, args] of [
      [primary, []],
      [replica, ['--replicaof', '127.0.0.1', String(primary)]],
    ] as const) {
      const child = spawnRedis(port, args);
      children.push(child);
      byPort.set(port, child);
      await waitForRedis(`redis://127.0.0.1:${port}`);
    }
    const sentinels: string[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const file = join(dir, `sentinel-${i}.conf`);
      writeFileSync(
        file,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${name} 127.0.0.1 ${primary} 2`,
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 5000`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      const child = spawn('redis-server', [file, '--sentinel'], { stdio: 'ignore' });
      child.on('error', () => undefined);
      children.push(child);
      await waitForRedis(`redis://127.0.0.1:${port}`);
      sentinels.push(`127.0.0.1:${port}`);
    }
    const primaryPort = async () => {
      const [host, port] = (sentinels[0] ?? '').split(':');
      const client = new Redis({ host, port: Number(port), lazyConnect: true });
      client.on('error', () => undefined);
      try {
        await client.connect();
        const address = (await client.call(
          'SENTINEL',
          'get-master-addr-by-name',
          name,
        )) as string[];
        return Number(address[1]);
      } finally {
        client.disconnect();
      }
    };
    return {
      sentinels,
      name,
      primaryPort,
      async killPrimary() {
        const child = byPort.get(await primaryPort());
        if (child === undefined) throw new Error('the primary is not one of this group');
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGKILL');
        await exited;
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
