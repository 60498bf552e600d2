/** §18.1 one client cannot starve another, for 10 s with the service's defaults (soak). */
import { describe, it } from 'node:test';
import { runFairnessScenario } from '../support/fairness-scenario.js';

describe('§18.1 fairness between clients (soak)', () => {
  it('an attacker at 100 requests/s of never-answering subjects for 10 s leaves ≥ 90% of a victim’s cold resolutions at 3/s succeeding; the attacker gets 429 temporarily_unavailable with Retry-After over its budget and otherwise 503, never another 5xx', async () => {
    await runFairnessScenario({ durationMs: 10_000 });
  });
});
