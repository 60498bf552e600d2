/**
 * Closed-loop HTTP load generator for service.bench.ts. It runs in a child process (forked by the
 * benchmark) so that the client's own work does not share an event loop with the servers it
 * measures; on a two-core machine the client and the server each get roughly one core.
 *
 * Protocol over the IPC channel: the parent sends {@link LoadRequest} messages one at a time and
 * gets one {@link LoadResult} back for each; the child exits when the channel is closed.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

/** One round of load: `connections` keep-alive connections, each sending requests back to back. */
export interface LoadRequest {
  readonly url: string;
  readonly connections: number;
  readonly durationMs: number;
  /** Exact body length every response must have; other lengths count as errors. */
  readonly expectedBytes: number;
}

/** What one round achieved. */
export interface LoadResult {
  /** Responses with status 200 and the expected body length. */
  readonly ok: number;
  /** Other statuses, wrong body lengths and socket errors. */
  readonly errors: number;
  /** Time from the first request to the end of the last response, in milliseconds. */
  readonly elapsedMs: number;
  /** CPU time (user + system) of this client during the round, in milliseconds. */
  readonly cpuMs: number;
  /** The first error seen, to say what went wrong. */
  readonly firstError?: string;
}

async function runLoad(load: LoadRequest): Promise<LoadResult> {
  // A fresh agent per round: every round starts with the same number of new connections, and
  // idle sockets never outlive the server's keep-alive timeout between rounds.
  const agent = new Agent({ keepAlive: true, maxSockets: load.connections });
  const url = new URL(load.url);
  let ok = 0;
  let errors = 0;
  let firstError: string | undefined;
  const fail = (reason: string): void => {
    errors++;
    firstError ??= reason;
  };

  const once = (): Promise<void> =>
    new Promise<void>((resolve) => {
      const req = request(url, { agent, method: 'GET' }, (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
        });
        res.on('end', () => {
          if (res.statusCode !== 200) fail(`status ${String(res.statusCode)}`);
          else if (bytes !== load.expectedBytes)
            fail(`body of ${bytes} bytes, expected ${load.expectedBytes}`);
          else ok++;
          resolve();
        });
        res.on('error', (error) => {
          fail(String(error));
          resolve();
        });
      });
      req.on('error', (error) => {
        fail(String(error));
        resolve();
      });
      req.end();
    });

  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + load.durationMs;
  const connection = async (): Promise<void> => {
    while (performance.now() < deadline) await once();
  };
  await Promise.all(Array.from({ length: load.connections }, connection));
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  agent.destroy();
  return {
    ok,
    errors,
    elapsedMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    ...(firstError === undefined ? {} : { firstError }),
  };
}

if (process.send === undefined) {
  console.error('load-client is started by service.bench.js through child_process.fork');
  process.exitCode = 1;
} else {
  process.on('message', (message: LoadRequest) => {
    void runLoad(message).then((result) => {
      // The parent may have given up on this round (its timeout) and closed the channel.
      if (process.connected) process.send?.(result);
    });
  });
  // Without the channel there is nobody to report to; the IPC handle was the only thing keeping
  // the process alive, so it ends by itself.
  process.on('disconnect', () => process.removeAllListeners('message'));
}
