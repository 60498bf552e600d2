/**
 * The package's entries, importable by name after `npm run build`: the main entry with the policy
 * and chain API, and `federation-resolver/openid-client` with the client helper.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

describe('package entry "federation-resolver"', () => {
  it('exports mergeMetadataPolicies and applyMetadataPolicy that throw invalid_metadata errors', async () => {
    const entry = await import('federation-resolver');
    const merged = entry.mergeMetadataPolicies(
      [{ openid_provider: { contacts: { add: ['a@x.example'] } } }, null],
      { crit: [] },
    );
    assert.deepEqual(entry.applyMetadataPolicy({ openid_provider: {} }, merged), {
      openid_provider: { contacts: ['a@x.example'] },
    });
    assert.throws(
      () =>
        entry.mergeMetadataPolicies([{ rp: { p: { value: 'a' } } }, { rp: { p: { value: 'b' } } }]),
      (error: unknown) =>
        error instanceof entry.InvalidMetadataError && error.code === 'invalid_metadata',
    );
    assert.throws(
      () => entry.applyMetadataPolicy({ rp: {} }, { rp: { p: { essential: true } } }),
      (error: unknown) =>
        error instanceof entry.FederationError && error.code === 'invalid_metadata',
    );
  });

  it('exports the chain API', async () => {
    const entry = await import('federation-resolver');
    for (const name of [
      'decodeEntityStatement',
      'validateTrustChain',
      'resolveTrustChainJwts',
      'selectTrustChain',
    ] as const) {
      assert.equal(typeof entry[name], 'function', name);
    }
  });
});

describe('package entry "federation-resolver/openid-client"', () => {
  it('exports createFederationFetch and FederationResolutionError', async () => {
    const entry = await import('federation-resolver/openid-client');
    assert.equal(typeof entry.createFederationFetch, 'function');
    const error = new entry.FederationResolutionError('refused', {
      code: entry.INVALID_RESOLVE_RESPONSE,
      reason: 'signature_invalid',
      status: 200,
    });
    assert.ok(error instanceof Error);
    assert.deepEqual(
      [error.name, error.code, error.reason, error.status, error.message],
      [
        'FederationResolutionError',
        'invalid_resolve_response',
        'signature_invalid',
        200,
        'refused',
      ],
    );
  });
});
