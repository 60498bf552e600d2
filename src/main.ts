/** Process entry (`npm start`): configuration → service → signals. */
import { ConfigError, loadConfig } from './config/config.js';
import { SigningKeyError } from './infrastructure/keys/signing-keys.js';
import { TrustAnchorFileError } from './infrastructure/trust-anchors/trust-anchor-store.js';
import { startServer } from './server.js';

/** The setting behind a boot failure, so the message always names the variable. */
function bootFailure(error: unknown): string | undefined {
  if (error instanceof ConfigError) return error.message;
  if (error instanceof TrustAnchorFileError) return `TRUST_ANCHORS_DIR: ${error.message}`;
  if (error instanceof SigningKeyError) return `RESOLVER_KEYS_FILE: ${error.message}`;
  return undefined;
}

async function main(): Promise<void> {
  let service;
  try {
    service = await startServer(loadConfig(process.env));
  } catch (error) {
    const message = bootFailure(error);
    if (message === undefined) throw error;
    // Boot failures name the variable and the file; no stack trace needed.
    console.error(`federation-resolver: cannot start: ${message}`);
    process.exit(1);
  }
  const running = service;
  process.on('SIGHUP', () => running.reloadTrustAnchors());
  // The first SIGTERM or SIGINT stops accepting and lets requests in progress finish (up to
  // SHUTDOWN_GRACE_MS); a second one ends the process at once.
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) process.exit(1);
      stopping = true;
      void running.close().then(() => process.exit(0));
    });
  }
}

await main();
