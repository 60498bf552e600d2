/** Finding the helper's FederationResolutionError in what a client library threw. */
import assert from 'node:assert/strict';
import { FederationResolutionError } from '../../src/clients/openid-client/index.js';

/**
 * The FederationResolutionError in `error` or its `cause` chain (client libraries such as
 * openid-client wrap what their fetch threw), or undefined.
 */
export function findResolutionError(error: unknown): FederationResolutionError | undefined {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current instanceof Error && !seen.has(current)) {
    if (current instanceof FederationResolutionError) return current;
    seen.add(current);
    current = current.cause;
  }
  return undefined;
}

/** Awaits `promise`, which must reject with a FederationResolutionError (possibly wrapped). */
export async function resolutionRejection(
  promise: Promise<unknown>,
): Promise<FederationResolutionError> {
  try {
    await promise;
  } catch (error) {
    const found = findResolutionError(error);
    assert.ok(found !== undefined, `not a FederationResolutionError: ${String(error)}`);
    return found;
  }
  assert.fail('expected a rejection');
}
