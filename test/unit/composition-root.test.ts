/**
 * The composition root: every token of the graph resolves, and the clock, the upstream sources
 * and the cache tiers can be replaced there, so a whole service runs over an in-memory
 * federation with no socket.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { buildContainer } from '../../src/composition-root.js';
import { loadConfig } from '../../src/config/config.js';
import type { ResolutionEntry } from '../../src/engine/index.js';
import { MemoryTier } from '../../src/infrastructure/cache/memory-tier.js';
import { createMemoryFederation, type Topology } from '../../src/testbed/index.js';
import { TOKENS } from '../../src/tokens.js';
import { testClock } from '../support/engine.js';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

async function setup(
  topology: Topology = { entities: [{ name: 'ta' }, { name: 'op', authorityHints: ['ta'] }] },
  env: Record<string, string> = {},
) {
  const clock = testClock();
  const federation = await createMemoryFederation(topology, { now: () => clock.now() });
  const dir = mkdtempSync(join(tmpdir(), 'anchors-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'ta.json'), federation.trustAnchorFile('ta'));
  const config = loadConfig({ TRUST_ANCHORS_DIR: dir, LOG_LEVEL: 'silent', ...env });
  return { clock, federation, config };
}

describe('composition root', () => {
  it('resolves every token of the graph', async () => {
    const { config } = await setup();
    const container = await buildContainer(config, { logger: pino({ level: 'silent' }) });
    for (const [name, token] of Object.entries(TOKENS)) {
      assert.ok(container.resolve<unknown>(token as symbol) !== undefined, name);
    }
    // Singletons: one instance per container.
    assert.equal(
      container.resolve(TOKENS.ResolverEngine),
      container.resolve(TOKENS.ResolverEngine),
    );
    container.resolve(TOKENS.HttpFetcher).close();
  });

  it('runs a resolution over the overrides: clock, statement source, trust mark status source, cache tiers', async () => {
    const { clock, federation, config } = await setup();
    const resolved = new MemoryTier<ResolutionEntry>({ maxEntries: 10 });
    const container = await buildContainer(config, {
      logger: pino({ level: 'silent' }),
      clock,
      statementSource: federation,
      trustMarkStatusSource: federation,
      cacheTiers: { resolved },
    });
    const engine = container.resolve(TOKENS.ResolverEngine);
    const query = { subject: federation.entityId('op'), trustAnchors: [federation.entityId('ta')] };
    const report = await engine.resolution(query);
    assert.deepEqual(report.trust_chain, [query.subject, query.trustAnchors[0]]);
    assert.equal(report.resolved_at, Math.floor(clock.now()), 'the overridden clock was used');
    assert.equal(resolved.size, 1, 'the overridden tier holds the resolution');
    assert.equal(federation.requests.total(), 3, 'the statements came from the memory federation');
    assert.equal((await engine.resolution(query)).cached, true);
    container.resolve(TOKENS.HttpFetcher).close();
  });

  it('a chain as deep as MAX_CHAIN_DEPTH validates: the chain length limit follows the setting', async () => {
    // ta ← i1 ← … ← i13 ← op: 14 superiors, a chain of 16 statements.
    const names = Array.from({ length: 13 }, (_, index) => `i${index + 1}`);
    const topology: Topology = {
      entities: [
        { name: 'ta' },
        ...names.map((name, index) => ({
          name,
          authorityHints: [index === 0 ? 'ta' : `i${index}`],
        })),
        { name: 'op', authorityHints: ['i13'] },
      ],
    };
    const { clock, federation, config } = await setup(topology, { MAX_CHAIN_DEPTH: '14' });
    const container = await buildContainer(config, {
      logger: pino({ level: 'silent' }),
      clock,
      statementSource: federation,
    });
    const report = await container.resolve(TOKENS.ResolverEngine).resolution({
      subject: federation.entityId('op'),
      trustAnchors: [federation.entityId('ta')],
    });
    assert.equal(report.trust_chain.length, 15);
    container.resolve(TOKENS.HttpFetcher).close();
  });
});
