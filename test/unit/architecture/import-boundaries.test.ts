/** The floors keep to their rules (docs/architecture.md): checked over every source file. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  importsOf,
  sourceImports,
  sourceRoot,
  violation,
} from '../../support/import-boundaries.js';
import { repoRoot } from '../../support/paths.js';

describe('import boundaries', () => {
  it('no floor of src/ imports a floor or a package it must not', () => {
    const imports = sourceImports(sourceRoot(repoRoot()));
    assert.ok(imports.length > 200, `read ${imports.length} imports`);
    assert.deepEqual(
      imports.map(violation).filter((text) => text !== undefined),
      [],
    );
  });

  it('the core reads no clock, environment or timer, and the engine no clock or environment (time comes through the Clock port)', () => {
    const clockOrEnvironment =
      /\bDate\.now\(|new Date\(\)|\bperformance\.|\bprocess\.|\bMath\.random\(/;
    const timer = /\bsetTimeout\(|\bsetInterval\(|AbortSignal\.timeout\(/;
    const found: string[] = [];
    const scan = (floor: string, patterns: readonly RegExp[]): void => {
      const walk = (dir: string): void => {
        for (const entry of readdirSync(dir, { withFileTypes: true })) {
          const path = join(dir, entry.name);
          if (entry.isDirectory()) walk(path);
          else if (entry.name.endsWith('.ts')) {
            readFileSync(path, 'utf8')
              .split('\n')
              .forEach((line, index) => {
                if (patterns.some((pattern) => pattern.test(line))) {
                  found.push(`${floor}/${entry.name}:${index + 1}: ${line.trim()}`);
                }
              });
          }
        }
      };
      walk(join(sourceRoot(repoRoot()), floor));
    };
    scan('federation', [clockOrEnvironment, timer]);
    // The engine owns the resolution deadline (a timer), never the current time.
    scan('engine', [clockOrEnvironment]);
    assert.deepEqual(found, []);
  });

  it('finds every form of import', () => {
    assert.deepEqual(
      importsOf(
        [
          "import { a } from './a.js';",
          "import type { B } from '../b.js';",
          "import 'reflect-metadata';",
          "export { c } from './c.js';",
          "const d = await import('./d.js');",
          'import {\n  e,\n  f,\n} from "node:fs";',
        ].join('\n'),
      ),
      ['./a.js', '../b.js', 'reflect-metadata', './c.js', './d.js', 'node:fs'],
    );
  });

  it('reports each kind of breach', () => {
    const cases: Array<[string, string]> = [
      ['federation/resolver.ts', '../engine/ports.js'],
      ['federation/resolver.ts', 'node:http'],
      ['engine/resolution-service.ts', '../infrastructure/metrics.js'],
      ['engine/resolution-service.ts', 'pino'],
      ['engine/resolution-service.ts', 'ioredis'],
      ['http/app.ts', '../infrastructure/cache/memory-tier.js'],
      ['http/app.ts', '../composition-root.js'],
      ['infrastructure/metrics.ts', '../http/app.js'],
      ['testbed/memory-source.ts', '../engine/index.js'],
      ['config/config.ts', '../infrastructure/logger.js'],
      // The command line: the engine and the composition root, never an adapter or the Koa app.
      ['cli/main.ts', '../infrastructure/http/http-fetcher.js'],
      ['cli/main.ts', '../http/app.js'],
      ['cli/main.ts', '../testbed/index.js'],
      ['cli/main.ts', 'pino'],
      ['cli/main.ts', 'koa'],
      ['cli/main.ts', 'tsyringe'],
      // federation-resolver/openid-client: jose and the platform, nothing of the server.
      ['clients/openid-client/index.ts', '../../federation/index.js'],
      ['clients/openid-client/index.ts', '../../engine/index.js'],
      ['clients/openid-client/index.ts', '../../http/app.js'],
      ['clients/openid-client/index.ts', '../../infrastructure/logger.js'],
      ['clients/openid-client/index.ts', '../../config/config.js'],
      ['clients/openid-client/index.ts', '../../composition-root.js'],
      ['clients/openid-client/index.ts', 'koa'],
      ['clients/openid-client/index.ts', 'pino'],
      ['clients/openid-client/index.ts', 'tsyringe'],
      ['clients/openid-client/index.ts', 'lru-cache'],
    ];
    for (const [file, specifier] of cases) {
      assert.ok(violation({ file, specifier }) !== undefined, `${file} → ${specifier}`);
    }
    assert.equal(
      violation({ file: 'engine/query.ts', specifier: '../federation/types.js' }),
      undefined,
    );
    assert.equal(violation({ file: 'composition-root.ts', specifier: './http/app.js' }), undefined);
    for (const specifier of ['../composition-root.js', '../engine/index.js', 'jose', 'node:util'])
      assert.equal(violation({ file: 'cli/main.ts', specifier }), undefined, specifier);
    for (const specifier of ['jose', 'node:crypto', './errors.js']) {
      assert.equal(
        violation({ file: 'clients/openid-client/index.ts', specifier }),
        undefined,
        specifier,
      );
    }
  });
});
