/**
 * §18.1 one client cannot starve another (fast variant, 4 s; test/hostile/soak/fairness.soak.ts
 * runs 10 s with the default fetch timeout). FETCH_TIMEOUT_MS is lowered to 1000 here so that the
 * attacker's hanging requests end soon after the run.
 */
import { describe, it } from 'node:test';
import { runFairnessScenario } from './support/fairness-scenario.js';

describe('§18.1 fairness between clients (fast)', () => {
  it('an attacker at 100 requests/s of never-answering subjects for 4 s leaves ≥ 90% of a victim’s cold resolutions at 3/s succeeding; the attacker gets 429 temporarily_unavailable with Retry-After over its budget and otherwise 503, never another 5xx', async () => {
    await runFairnessScenario({ durationMs: 4000, fetchTimeoutMs: 1000 });
  });
});
