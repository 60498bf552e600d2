/** Process entry (`npm start`): configuration → service → signals. */
import { ConfigError, loadConfig } from './config/config.js';
import { SigningKeyError } from './infrastructure/keys/signing-keys.js';
import { TrustAnchorFileError } from './infrastructure/trust-anchors/trust-anchor-store.js';
import { handleSignals, startServer } from './server.js';

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
  handleSignals(service);
}

await main();
