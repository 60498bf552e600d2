/**
 * Exit statuses of `fedres` and the one sentence an error becomes on stderr. Documented in
 * `fedres --help` and docs/cli.md.
 */
import { FederationError, type FederationErrorCode } from '../federation/errors.js';
import { bootFailure } from '../server.js';
import { UsageError } from './options.js';

/** 0 ok; 1 the entity does not resolve or a check failed; 2 usage; 3 a retry may succeed. */
export const EXIT = { ok: 0, failed: 1, usage: 2, transient: 3 } as const;

/** One of {@link EXIT}. */
export type ExitStatus = (typeof EXIT)[keyof typeof EXIT];

/** The exit status of a resolution that ended with an error of `code`. */
export function exitStatusOfCode(code: FederationErrorCode): ExitStatus {
  if (code === 'temporarily_unavailable') return EXIT.transient;
  // The question itself cannot be asked: a bad identifier, or an anchor not configured here.
  if (code === 'invalid_request' || code === 'invalid_trust_anchor') return EXIT.usage;
  return EXIT.failed;
}

/** The exit status of an error thrown by a command. */
export function exitStatusOf(error: unknown): ExitStatus {
  if (error instanceof UsageError || bootFailure(error) !== undefined) return EXIT.usage;
  if (error instanceof FederationError) return exitStatusOfCode(error.code);
  return EXIT.failed;
}

/** `error` as one sentence (with its reason code and spec section when it has them). */
export function errorSentence(error: unknown): string {
  const boot = bootFailure(error);
  if (boot !== undefined) return boot;
  if (error instanceof FederationError) {
    const where = [error.reason, error.section].filter((part) => part !== undefined).join(', ');
    return `${error.message} (${error.code}: ${where})`;
  }
  return error instanceof Error ? error.message : String(error);
}
