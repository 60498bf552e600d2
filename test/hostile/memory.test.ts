/**
 * §18.1 the caches are bounded in bytes (fast variant; test/hostile/soak/memory.soak.ts runs
 * 5,000 + 5,000 subjects).
 */
import { describe, it } from 'node:test';
import { runMemoryScenario } from './support/memory-scenario.js';

describe('§18.1 memory bounded in bytes (fast)', () => {
  it('40 distinct 5,000-hint subjects and 150 distinct 200 KB subjects, one client each, leave heapUsed + external under CACHE_MAX_BYTES (8 MiB) + 64 MiB, growth from 75 to 150 subjects under 4 MiB, and a healthy subject still resolves', async () => {
    await runMemoryScenario({ hints: 40, big: 150, checkpoints: [75, 150], concurrency: 8 });
  });
});
