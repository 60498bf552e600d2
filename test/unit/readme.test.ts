/**
 * The README stays true: every setting and every endpoint of the service is documented, and the
 * openid-client recipes compile against the built `federation-resolver/openid-client` with every
 * option and every reason of the helper documented.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { CLIENT_FAILURE_REASONS } from '../../src/clients/openid-client/index.js';
import { SETTINGS } from '../../src/config/config.js';
import { repoRoot } from '../support/paths.js';

const readme = readFileSync(join(repoRoot(), 'README.md'), 'utf8');

describe('README', () => {
  it('documents every configuration variable with its default', () => {
    for (const [name, [defaultValue]] of Object.entries(SETTINGS)) {
      // Table cells are padded by the formatter, so compare rows without their spacing.
      const row = readme
        .split('\n')
        .map((line) => line.replace(/\s*\|\s*/g, '|'))
        .find((line) => line.startsWith(`|\`${name}\`|`));
      assert.equal(
        row?.split('|')[2],
        `\`${defaultValue}\``,
        `${name} with default ${defaultValue}`,
      );
    }
  });

  it('documents every endpoint and both commands', () => {
    for (const text of [
      '/.well-known/openid-federation',
      'GET /resolve',
      '/api/v1/resolve',
      '/api/v1/explain',
      '/discovery/openid-configuration',
      '/discovery/oauth-authorization-server',
      '/healthz',
      '/readyz',
      '/metrics',
      '| `GET /api/v1/trust-anchors`',
      '| `GET /explorer`',
      '## The federation explorer',
      'npm run screenshots',
      'npm ci && npm run demo',
      'npm ci && npm test',
    ]) {
      assert.ok(readme.includes(text), text);
    }
  });
});

/** The README's TypeScript blocks that use the client helper. */
function clientRecipes(): string[] {
  return [...readme.matchAll(/```ts\n([\s\S]*?)```/g)]
    .map((match) => match[1] ?? '')
    .filter((code) => code.includes('createFederationFetch'));
}

describe('README: relying parties with openid-client', () => {
  it('shows the JSON and the verified recipe, importing the entry package.json exports', () => {
    const recipes = clientRecipes();
    assert.equal(recipes.length, 2);
    assert.deepEqual(
      recipes.map((code) => code.includes('verify: {')),
      [false, true],
    );
    const exportsField = (
      JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as {
        exports: Record<string, unknown>;
      }
    ).exports;
    assert.ok('./openid-client' in exportsField);
    for (const code of recipes) {
      assert.match(code, /from 'federation-resolver\/openid-client';/);
      assert.match(code, /\[client\.customFetch\]: createFederationFetch\(/);
    }
  });

  it('has recipes that type-check against the built entry and openid-client, and names every option', () => {
    // Inside the package, so that its own name resolves through package.json exports.
    const dir = join(repoRoot(), 'dist', 'readme-recipes');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    try {
      const files = clientRecipes().map((code, index) => {
        const file = join(dir, `recipe-${index}.ts`);
        writeFileSync(file, `${code}\nexport { config };\n`);
        return file;
      });
      const entry = join(repoRoot(), 'dist', 'src', 'clients', 'openid-client', 'index.d.ts');
      const program = ts.createProgram([...files, entry], {
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        target: ts.ScriptTarget.ES2022,
        lib: ['lib.es2022.d.ts'],
        types: ['node'],
        strict: true,
        exactOptionalPropertyTypes: true,
        noEmit: true,
        skipLibCheck: true,
      });
      const problems = ts
        .getPreEmitDiagnostics(program)
        .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      assert.deepEqual(problems, []);

      const checker = program.getTypeChecker();
      const source = program.getSourceFile(entry);
      assert.ok(source !== undefined);
      const moduleSymbol = checker.getSymbolAtLocation(source);
      assert.ok(moduleSymbol !== undefined);
      const options = checker
        .getExportsOfModule(moduleSymbol)
        .filter((symbol) => /^FederationFetch(Verify)?Options$/.test(symbol.getName()))
        .flatMap((symbol) =>
          checker.getDeclaredTypeOfSymbol(checker.getAliasedSymbol(symbol)).getProperties(),
        )
        .map((property) => property.getName());
      assert.ok(options.length >= 9, options.join());
      for (const option of options) assert.ok(readme.includes(`\`${option}\``), option);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('documents every reason the helper gives', () => {
    for (const reason of CLIENT_FAILURE_REASONS) {
      assert.ok(readme.includes(`\`${reason}\``), reason);
    }
    assert.ok(readme.includes('`invalid_resolve_response`'));
  });
});
