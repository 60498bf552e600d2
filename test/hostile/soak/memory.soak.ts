/** §18.1 the caches are bounded in bytes, over 10,000 distinct hostile subjects (soak). */
import { describe, it } from 'node:test';
import { runMemoryScenario } from '../support/memory-scenario.js';

describe('§18.1 memory bounded in bytes (soak)', () => {
  it('5,000 distinct 5,000-hint subjects then 5,000 distinct 200 KB subjects, one client each, leave heapUsed + external under CACHE_MAX_BYTES (8 MiB) + 64 MiB, growth from 2,000 to 4,000 big subjects under 4 MiB, and a healthy subject still resolves', async () => {
    await runMemoryScenario({ hints: 5000, big: 5000, checkpoints: [2000, 4000], concurrency: 8 });
  });
});
