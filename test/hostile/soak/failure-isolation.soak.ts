/** §10.5 failures are cached apart from working resolutions, under 2,000 failing subjects (soak). */
import { describe, it } from 'node:test';
import { runFailureIsolationScenario } from '../support/failure-scenario.js';

describe('§10.5 failures are cached apart from working resolutions (soak)', () => {
  it('20 warm subjects are still answered from cache (cached: true) with zero upstream requests after 2,000 distinct failing subjects (404 not_found, 400 invalid_trust_chain) from 200 clients, with CACHE_MAX_BYTES at its 1 MiB minimum', async () => {
    await runFailureIsolationScenario({ warm: 20, gone: 1950, hints: 50 });
  });
});
