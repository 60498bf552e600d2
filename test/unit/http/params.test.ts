import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidRequestError } from '../../../src/federation/errors.js';
import { parseResolutionQuery } from '../../../src/http/params.js';

const OP = encodeURIComponent('https://op.example');
const TA = encodeURIComponent('https://ta.example');

function rejects(query: string, reason: string): void {
  assert.throws(
    () => parseResolutionQuery(query, { allowHttp: false }),
    (error: unknown) => error instanceof InvalidRequestError && error.reason === reason,
  );
}

describe('§8.3.1 resolve request parameters', () => {
  it('reads sub, repeated trust_anchor and entity_type, ignoring unknown parameters', () => {
    const params = parseResolutionQuery(
      `sub=${OP}&trust_anchor=${TA}&trust_anchor=${OP}&entity_type=openid_provider&x=1`,
      {
        allowHttp: false,
      },
    );
    assert.deepEqual(params, {
      subject: 'https://op.example',
      trustAnchors: ['https://ta.example', 'https://op.example'],
      entityTypes: ['openid_provider'],
    });
  });
  it('accepts the names of older drafts, anchor and type', () => {
    const params = parseResolutionQuery(`sub=${OP}&anchor=${TA}&type=openid_provider`, {
      allowHttp: false,
    });
    assert.deepEqual(
      [params.trustAnchors, params.entityTypes],
      [['https://ta.example'], ['openid_provider']],
    );
  });
  it('rejects a missing, repeated or malformed sub', () => {
    rejects(`trust_anchor=${TA}`, 'parameter_missing');
    rejects(`sub=${OP}&sub=${TA}&trust_anchor=${TA}`, 'parameter_repeated');
    rejects(`sub=http%3A%2F%2Fop.example&trust_anchor=${TA}`, 'parameter_invalid');
  });
  it('rejects a missing or malformed trust_anchor, and too many of them', () => {
    rejects(`sub=${OP}`, 'parameter_missing');
    rejects(`sub=${OP}&trust_anchor=nope`, 'parameter_invalid');
    rejects(
      `sub=${OP}${Array.from({ length: 17 }, (_, i) => `&trust_anchor=https%3A%2F%2Fta${i}.example`).join('')}`,
      'too_many_parameters',
    );
  });
  it('rejects malformed entity types (the length of a query is bounded by the HTTP layer, 414)', () => {
    rejects(
      `sub=${OP}&trust_anchor=${TA}&entity_type=${encodeURIComponent('<script>')}`,
      'parameter_invalid',
    );
  });
});
