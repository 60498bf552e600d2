/** The package's main entry: importable by name after `npm run build`, exporting the policy API. */
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
