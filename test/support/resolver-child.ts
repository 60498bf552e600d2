/**
 * The child side of resolver-process.ts: starts the service from the environment, reports its
 * URL over IPC, measures its memory when asked (after a full collection), and handles signals
 * as main.ts does.
 */
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
    const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
    process.send?.({ rss, heapUsed, external, arrayBuffers });
  }
});

handleSignals(service);
// Stop with the parent: an orphaned test server must not outlive its test.
process.on('disconnect', () => void service.close().then(() => process.exit(0)));
