/**
 * The one time-window check of every federation JWT (§3.2 steps 7, 8 for Entity Statements;
 * §7.3 steps 5, 6 and §7.2.2 for trust marks and delegations): `iat` not in the future and `exp`
 * (when the JWT has one) not in the past, each with the same leeway.
 */
import type { FederationError, FederationErrorOptions } from './errors.js';

/** Options for the time-window check. */
export interface TimeOptions {
  /** Current time in seconds since the epoch. */
  readonly now: number;
  /** Clock-skew leeway in seconds applied to `iat` and `exp`. Default {@link DEFAULT_CLOCK_SKEW}. */
  readonly clockSkew?: number;
}

/** Default clock-skew leeway, in seconds. */
export const DEFAULT_CLOCK_SKEW = 60;

/** What a failed check reports: which JWT, its error class, and where it is. */
export interface TimeWindowSubject {
  /** The JWT in words, for example "the Entity Configuration of https://op.example". */
  readonly what: string;
  readonly error: new (message: string, options: FederationErrorOptions) => FederationError;
  readonly section: string;
  readonly location?: Omit<FederationErrorOptions, 'reason' | 'section' | 'claim' | 'cause'>;
}

function isoTime(seconds: number): string {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? String(seconds) : date.toISOString();
}

/**
 * Throws `statement_not_yet_valid` when `iat` is later than `now + leeway`, and
 * `statement_expired` once `exp <= now - leeway`. A JWT without `exp` does not expire (a trust
 * mark's `exp` is optional, §7.1; see docs/decisions.md).
 */
export function validateTimeWindow(
  times: { readonly iat: number; readonly exp?: number | undefined },
  options: TimeOptions,
  subject: TimeWindowSubject,
): void {
  const skew = options.clockSkew ?? DEFAULT_CLOCK_SKEW;
  const fail = (reason: 'statement_not_yet_valid' | 'statement_expired', message: string) =>
    new subject.error(message, {
      ...subject.location,
      reason,
      claim: reason === 'statement_expired' ? 'exp' : 'iat',
      section: subject.section,
    });
  if (times.iat > options.now + skew) {
    throw fail(
      'statement_not_yet_valid',
      `${subject.what} is issued in the future (iat ${isoTime(times.iat)})`,
    );
  }
  if (times.exp !== undefined && times.exp <= options.now - skew) {
    throw fail('statement_expired', `${subject.what} expired at ${isoTime(times.exp)}`);
  }
}
