/**
 * The child side of resolver-process.ts: starts the service from the environment, reports its
 * URL over IPC, measures its memory when asked (after a full collection), and handles signals
 * as main.ts does.
 */
import { getHeapSpaceStatistics } from 'node:v8';
import { loadConfig } from '../../src/config/config.js';
import { handleSignals, startServer } from '../../src/server.js';

const service = await startServer(loadConfig(process.env));
process.send?.({ url: service.url });

process.on('message', (message: unknown) => {
  if (typeof message !== 'object' || message === null || !('type' in message)) return;
  if (message.type === 'measure') {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    gc?.();
    const { rss, heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
    const spaces = Object.fromEntries(
      getHeapSpaceStatistics().map((space) => [
        space.space_name,
        { size: space.space_size, used: space.space_used_size },
      ]),
    );
    process.send?.({ rss, heapTotal, heapUsed, external, arrayBuffers, spaces });
  }
});

handleSignals(service);
// Stop with the parent: an orphaned test server must not outlive its test.
process.on('disconnect', () => void service.close().then(() => process.exit(0)));
