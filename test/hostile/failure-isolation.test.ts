/**
 * §10.5 failures are cached apart from working resolutions (fast variant;
 * test/hostile/soak/failure-isolation.soak.ts floods with 2,000 subjects).
 */
import { describe, it } from 'node:test';
import { runFailureIsolationScenario } from './support/failure-scenario.js';

describe('§10.5 failures are cached apart from working resolutions (fast)', () => {
  it('20 warm subjects are still answered from cache (cached: true) with zero upstream requests after 800 distinct failing subjects (404 not_found, 400 invalid_trust_chain) from 200 clients, with CACHE_MAX_BYTES at its 1 MiB minimum', async () => {
    await runFailureIsolationScenario({ warm: 20, gone: 790, hints: 10 });
  });
});
