import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidRequestError, UnsupportedParameterError } from '../../../src/federation/errors.js';
import {
  parseCollectionQuery,
  parseHealthQuery,
  parseResolutionQuery,
} from '../../../src/http/params.js';

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

describe('the collection and health report parameters (the Entity Collection extension)', () => {
  const options = {
    allowHttp: false,
    maxLimit: 50,
    entityClaims: ['entity_id', 'ui_infos'],
    uiClaims: ['display_name'],
  };

  it('caps limit at COLLECTION_MAX_LIMIT, which is also the page size without one', () => {
    assert.equal(parseCollectionQuery(`trust_anchor=${TA}&limit=5000`, options).limit, 50);
    assert.equal(parseCollectionQuery(`trust_anchor=${TA}`, options).limit, 50);
    assert.equal(parseCollectionQuery(`trust_anchor=${TA}&limit=7`, options).limit, 7);
  });

  it('reads claim lists repeated or comma-separated, each once', () => {
    const query = parseCollectionQuery(
      `trust_anchor=${TA}&entity_claims=entity_id,ui_infos&entity_claims=entity_id&ui_claims=display_name`,
      options,
    );
    assert.deepEqual(query.entityClaims, ['entity_id', 'ui_infos']);
    assert.deepEqual(query.uiClaims, ['display_name']);
  });

  it('refuses a repeated or missing trust_anchor, a long query, a bad from_entity_id, a bad horizon', () => {
    const cases: Array<[() => unknown, string]> = [
      [
        () => parseCollectionQuery(`trust_anchor=${TA}&trust_anchor=${OP}`, options),
        'parameter_repeated',
      ],
      [() => parseCollectionQuery('limit=3', options), 'parameter_missing'],
      [
        () => parseCollectionQuery(`trust_anchor=${TA}&query=${'x'.repeat(257)}`, options),
        'parameter_invalid',
      ],
      [
        () => parseCollectionQuery(`trust_anchor=${TA}&query=a&query=b`, options),
        'parameter_repeated',
      ],
      [
        () => parseCollectionQuery(`trust_anchor=${TA}&from_entity_id=nope`, options),
        'parameter_invalid',
      ],
      [
        () => parseHealthQuery(`trust_anchor=${TA}&horizon=-1`, { allowHttp: false }),
        'parameter_invalid',
      ],
    ];
    for (const [parse, reason] of cases) {
      assert.throws(
        parse,
        (error: unknown) => error instanceof InvalidRequestError && error.reason === reason,
      );
    }
    assert.equal(
      parseHealthQuery(`trust_anchor=${TA}`, { allowHttp: false }).horizonSeconds,
      7 * 86_400,
    );
  });

  it('an unknown claim name is unsupported_parameter', () => {
    assert.throws(
      () => parseCollectionQuery(`trust_anchor=${TA}&ui_claims=secret`, options),
      (error: unknown) => error instanceof UnsupportedParameterError,
    );
  });
});
