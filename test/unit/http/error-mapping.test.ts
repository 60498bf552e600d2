import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  FEDERATION_ERROR_CODES,
  InvalidTrustChainError,
  ServerError,
} from '../../../src/federation/errors.js';
import { STATUS_BY_CODE, toErrorResponse } from '../../../src/http/error-mapping.js';

describe('HTTP status of each spec error code (§8.9)', () => {
  // The spec's table (§8.9) and the resolve endpoint's errors (§8.3.2).
  const SPEC: Record<string, number> = {
    invalid_request: 400,
    invalid_client: 401,
    invalid_trust_anchor: 404,
    not_found: 404,
    invalid_trust_chain: 400,
    invalid_metadata: 400,
    unsupported_parameter: 400,
    temporarily_unavailable: 503,
    server_error: 500,
    // The Entity Collection extension: a from_entity_id the responder does not list.
    entity_id_not_found: 404,
  };
  for (const code of FEDERATION_ERROR_CODES) {
    it(`${code} → ${SPEC[code]}`, () => assert.equal(STATUS_BY_CODE[code], SPEC[code]));
  }

  it('answers federation errors with their code, description and reason', () => {
    const { status, body } = toErrorResponse(
      new InvalidTrustChainError('broken', { reason: 'signature_invalid' }),
    );
    assert.equal(status, 400);
    assert.deepEqual(body, {
      error: 'invalid_trust_chain',
      error_description: 'broken',
      reason: 'signature_invalid',
    });
  });

  it('never leaks details of unexpected errors', () => {
    for (const error of [
      new Error('secret path /etc/x'),
      new ServerError('internal detail', { reason: 'statement_unavailable' }),
    ]) {
      const { status, body } = toErrorResponse(error);
      assert.equal(status, 500);
      assert.equal(body.error, 'server_error');
      assert.equal(body.reason, undefined, 'no reason: the details stay in the log');
      assert.doesNotMatch(body.error_description, /secret|internal detail/);
    }
  });
});
