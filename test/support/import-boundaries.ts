/**
 * The floors of the source tree and what each may import (docs/architecture.md, "Floors and
 * rules"), checked over the TypeScript sources: a floor importing one it must not is a failing
 * test, not a matter of review.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';

/** The floors: the first folder under src/, or `root` for the files directly in it. */
export type Floor =
  | 'federation'
  | 'engine'
  | 'infrastructure'
  | 'http'
  | 'cli'
  | 'clients'
  | 'config'
  | 'testbed'
  | 'demo'
  | 'root';

/** What a floor may import: other floors, and packages (exact names or `node:` prefixes). */
interface Rule {
  readonly floors: readonly Floor[];
  /**
   * Packages allowed; `*` allows any package not in `forbiddenPackages`, `node:*` any built-in
   * module.
   */
  readonly packages: readonly string[];
  readonly forbiddenPackages?: readonly string[];
}

/** The rules of docs/architecture.md. */
export const RULES: Readonly<Record<Floor, Rule>> = {
  // The core is pure: jose and its own files only.
  federation: { floors: ['federation'], packages: ['jose'] },
  // Use cases: the core and their own ports; no framework, no adapter, no I/O.
  engine: { floors: ['engine', 'federation'], packages: ['node:crypto', 'node:events'] },
  // Adapters implement the ports of the core and the engine; never a front door.
  infrastructure: {
    floors: ['infrastructure', 'engine', 'federation'],
    packages: ['*'],
    forbiddenPackages: ['koa', '@koa/router', 'tsyringe'],
  },
  // Front doors call the engine, never an adapter.
  http: {
    floors: ['http', 'engine', 'federation'],
    packages: ['koa', '@koa/router', 'node:crypto'],
  },
  // The command line builds its engine through the composition root and starts the service and
  // the demo through their entry functions; it never picks or imports an adapter itself.
  cli: {
    floors: ['cli', 'engine', 'federation', 'config', 'root', 'demo'],
    packages: ['jose', 'node:*'],
  },
  // Helpers for other software (federation-resolver/openid-client) depend on nothing of the
  // server, not even the core: jose and the platform only.
  clients: { floors: ['clients'], packages: ['jose', 'node:*'] },
  config: { floors: ['config', 'engine', 'federation'], packages: ['node:net'] },
  // The loopback federation is built on the core's vocabulary only.
  testbed: {
    floors: ['testbed', 'federation'],
    packages: ['jose', 'node:http', 'node:timers/promises', 'node:crypto'],
  },
  // The composition: the root files and the demo may use everything.
  demo: {
    floors: ['demo', 'root', 'config', 'testbed', 'federation', 'engine'],
    packages: ['node:fs', 'node:net', 'node:os', 'node:path'],
  },
  root: {
    floors: ['root', 'federation', 'engine', 'infrastructure', 'http', 'cli', 'config'],
    packages: ['*'],
  },
};

/** One import of one source file. */
export interface SourceImport {
  /** Path below src/, with `/` separators. */
  readonly file: string;
  readonly specifier: string;
}

/** The floor of a path below src/. */
export function floorOf(file: string): Floor {
  const [first, ...rest] = file.split('/');
  if (rest.length === 0) return 'root';
  return (first ?? 'root') as Floor;
}

/** Every import specifier of a TypeScript source (static, side-effect, dynamic, re-export). */
export function importsOf(source: string): string[] {
  const specifiers: string[] = [];
  const pattern =
    /(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const match of source.matchAll(pattern)) {
    const specifier = match[1] ?? match[2] ?? match[3];
    if (specifier !== undefined) specifiers.push(specifier);
  }
  return specifiers;
}

/** The rule an import breaks, in words, or undefined when it is allowed. */
export function violation(entry: SourceImport): string | undefined {
  const from = floorOf(entry.file);
  const rule = RULES[from];
  if (entry.specifier.startsWith('.')) {
    const target = posix.normalize(posix.join(posix.dirname(entry.file), entry.specifier));
    if (target.startsWith('..')) return `${entry.file} imports ${entry.specifier}, outside src/`;
    const to = floorOf(target);
    return rule.floors.includes(to)
      ? undefined
      : `${entry.file} (${from}) imports ${target} (${to}), which ${from}/ must not`;
  }
  const name = entry.specifier.startsWith('@')
    ? entry.specifier.split('/').slice(0, 2).join('/')
    : entry.specifier.startsWith('node:')
      ? entry.specifier
      : (entry.specifier.split('/')[0] ?? entry.specifier);
  const allowed =
    (rule.packages.includes('*') && !(rule.forbiddenPackages ?? []).includes(name)) ||
    (rule.packages.includes('node:*') && name.startsWith('node:')) ||
    rule.packages.includes(name);
  return allowed ? undefined : `${entry.file} (${from}) imports the package ${name}`;
}

/** Every import of every `.ts` file below `srcDir`. */
export function sourceImports(srcDir: string): SourceImport[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) files.push(path);
    }
  };
  walk(srcDir);
  return files.flatMap((path) => {
    const file = relative(srcDir, path).split(sep).join('/');
    return importsOf(readFileSync(path, 'utf8')).map((specifier) => ({ file, specifier }));
  });
}

/** The folder of the repository's TypeScript sources. */
export function sourceRoot(repoRoot: string): string {
  return join(repoRoot, 'src');
}
