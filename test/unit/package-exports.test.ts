/**
 * Each entry of the package (`federation-resolver`: src/federation/index.ts;
 * `federation-resolver/openid-client`: src/clients/openid-client/index.ts) exports every type
 * that appears in the signature of something it exports, so a library user can name every
 * parameter and result. Checked on the emitted declarations, which hold signatures only.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { repoRoot } from '../support/paths.js';

const ENTRIES = [
  join(repoRoot(), 'dist', 'src', 'federation', 'index.d.ts'),
  join(repoRoot(), 'dist', 'src', 'clients', 'openid-client', 'index.d.ts'),
];
const OWN = join(repoRoot(), 'dist', 'src');

function resolved(checker: ts.TypeChecker, symbol: ts.Symbol): ts.Symbol {
  return symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
}

/** Names of the project's own types used by the exports but not exported themselves. */
function missingTypes(entryFile: string): string[] {
  const program = ts.createProgram([entryFile], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const entry = program.getSourceFile(entryFile);
  assert.ok(entry !== undefined, `${entryFile} exists (npm test builds first)`);
  const moduleSymbol = checker.getSymbolAtLocation(entry);
  assert.ok(moduleSymbol !== undefined);
  const exported = new Set(
    checker.getExportsOfModule(moduleSymbol).map((symbol) => resolved(checker, symbol)),
  );
  const missing = new Set<string>();
  const visit = (node: ts.Node): void => {
    const name = ts.isTypeReferenceNode(node)
      ? node.typeName
      : ts.isExpressionWithTypeArguments(node)
        ? node.expression
        : ts.isImportTypeNode(node)
          ? node.qualifier
          : undefined;
    if (name !== undefined) {
      const symbol = checker.getSymbolAtLocation(name);
      const target = symbol === undefined ? undefined : resolved(checker, symbol);
      const declaration = target?.declarations?.[0];
      const file = declaration?.getSourceFile().fileName ?? '';
      if (
        target !== undefined &&
        declaration !== undefined &&
        file.startsWith(OWN) &&
        !ts.isTypeParameterDeclaration(declaration) &&
        !exported.has(target)
      ) {
        missing.add(`${target.getName()} (${file.slice(OWN.length + 1)})`);
      }
    }
    ts.forEachChild(node, visit);
  };
  for (const symbol of exported) {
    for (const declaration of symbol.declarations ?? []) visit(declaration);
  }
  return [...missing].sort();
}

describe('package export lists', () => {
  for (const entry of ENTRIES) {
    it(`${entry.slice(OWN.length + 1)} exports every type that appears in an exported signature`, () => {
      assert.deepEqual(missingTypes(entry), []);
    });
  }
});
