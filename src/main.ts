/** Process entry (`npm start`): configuration → service → signals. */
import { bootFailure, runService } from './server.js';

try {
  await runService(process.env);
} catch (error) {
  const message = bootFailure(error);
  if (message === undefined) throw error;
  // Boot failures name the variable and the file; no stack trace needed.
  console.error(`federation-resolver: cannot start: ${message}`);
  process.exit(1);
}
