/** Assertions on the core's typed errors: by class, `code` and `reason`, never by message. */
import assert from 'node:assert/strict';
import {
  FederationError,
  type FailureReason,
  type FederationErrorCode,
} from '../../src/federation/errors.js';

/** What a failure is expected to be. */
export interface ExpectedFailure {
  readonly code: FederationErrorCode;
  readonly reason?: FailureReason;
  readonly statementIndex?: number;
  /** The upstream HTTP status in the error's location. */
  readonly status?: number;
  /** The claim or header parameter concerned. */
  readonly claim?: string;
}

function check(error: unknown, expected: ExpectedFailure): true {
  assert.ok(error instanceof FederationError, `expected a FederationError, got ${String(error)}`);
  assert.equal(error.code, expected.code, `code (${error.message})`);
  if (expected.reason !== undefined)
    assert.equal(error.reason, expected.reason, `reason (${error.message})`);
  if (expected.statementIndex !== undefined) {
    assert.equal(
      error.location.statementIndex,
      expected.statementIndex,
      `statement index (${error.message})`,
    );
  }
  if (expected.status !== undefined) assert.equal(error.location.status, expected.status);
  if (expected.claim !== undefined) assert.equal(error.location.claim, expected.claim);
  assert.equal(error.name, error.constructor.name);
  return true;
}

/** Asserts that `fn` throws the expected federation error synchronously. */
export function assertFails(fn: () => unknown, expected: ExpectedFailure): void {
  assert.throws(fn, (error: unknown) => check(error, expected));
}

/** Asserts that `promise` rejects with the expected federation error. */
export async function assertRejects(
  promise: Promise<unknown>,
  expected: ExpectedFailure,
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => check(error, expected));
}

/** Awaits a rejection, checks it is the expected federation error, and returns it. */
export async function expectFailure(
  promise: Promise<unknown>,
  expected: ExpectedFailure,
): Promise<FederationError> {
  let error: unknown;
  try {
    await promise;
  } catch (caught) {
    error = caught;
  }
  check(error, expected);
  assert.ok(error instanceof FederationError);
  return error;
}
