/** Process entry (`npm start`): configuration → service → signals. */
import { ConfigError, loadConfig } from './config/config.js';
import { startServer } from './server.js';
import { SigningKeyError } from './infrastructure/signing-keys.js';
import { TrustAnchorFileError } from './infrastructure/trust-anchor-store.js';

async function main(): Promise<void> {
  let service;
  try {
    service = await startServer(loadConfig(process.env));
  } catch (error) {
    if (
      error instanceof ConfigError ||
      error instanceof TrustAnchorFileError ||
      error instanceof SigningKeyError
    ) {
      // Boot failures name the variable or file; no stack trace needed.
      console.error(`federation-resolver: cannot start: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  const running = service;
  process.on('SIGHUP', () => running.reloadTrustAnchors());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void running.close().then(() => process.exit(0));
    });
  }
}

await main();
