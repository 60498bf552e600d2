/**
 * `fedres keys generate`: a Federation Entity Key pair as two JWK Set files, the private one in
 * the format RESOLVER_KEYS_FILE loads and readable by its owner only, `kid` the key's RFC 7638
 * thumbprint (so the `kid` in a statement's header names exactly one key).
 */
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { DEFAULT_SIGNING_ALGORITHMS } from '../federation/constants.js';
import type { Command } from './command.js';
import { EXIT } from './exit-status.js';
import { listOption, positionals, stringOption, switchOption, UsageError } from './options.js';

/** One generated key: its private and public JWK, both with `kid`, `alg` and `use`. */
interface GeneratedKey {
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

async function generate(alg: string): Promise<GeneratedKey> {
  const options = alg === 'EdDSA' || alg === 'Ed25519' ? { crv: 'Ed25519' } : {};
  const { privateKey, publicKey } = await generateKeyPair(alg, { ...options, extractable: true });
  const publicJwk = await exportJWK(publicKey);
  // RFC 7638: the thumbprint of the public key's required members, SHA-256, base64url.
  const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
  const named = { kid, alg, use: 'sig' };
  return {
    privateJwk: { ...(await exportJWK(privateKey)), ...named },
    publicJwk: { ...publicJwk, ...named },
  };
}

/** JSON text of a JWK Set. */
function jwkSet(keys: readonly JWK[]): string {
  return `${JSON.stringify({ keys }, null, 2)}\n`;
}

export const keysGenerateCommand: Command = {
  name: 'keys generate',
  synopsis: 'keys generate [--alg ES256|PS256|EdDSA…]… [--out <dir>] [--force] [--stdout]',
  summary:
    'a Federation Entity Key pair: <dir>/private.jwks.json (mode 0600) and <dir>/public.jwks.json, kid = RFC 7638 thumbprint',
  options: {
    alg: { type: 'string', multiple: true },
    out: { type: 'string' },
    force: { type: 'boolean' },
    stdout: { type: 'boolean' },
  },
  details: [
    `  --alg <alg>    the key's algorithm (repeatable, one key each; default ES256): ${DEFAULT_SIGNING_ALGORITHMS.join(', ')}`,
    '  --out <dir>    where the files go (default: the current folder; created if missing)',
    '  --force        overwrite existing files (never done without it)',
    '  --stdout       print the private JWK Set on stdout instead of writing private.jwks.json',
  ],
  async run(parsed, io) {
    positionals(parsed, []);
    const algs = listOption(parsed.values, 'alg');
    for (const alg of algs) {
      if (!(DEFAULT_SIGNING_ALGORITHMS as readonly string[]).includes(alg)) {
        throw new UsageError(
          `--alg ${alg} is not an accepted signing algorithm; use one of ${DEFAULT_SIGNING_ALGORITHMS.join(', ')}`,
        );
      }
    }
    const dir = stringOption(parsed.values, 'out') ?? '.';
    const force = switchOption(parsed.values, 'force');
    const toStdout = switchOption(parsed.values, 'stdout');
    const privateFile = join(dir, 'private.jwks.json');
    const publicFile = join(dir, 'public.jwks.json');
    for (const file of toStdout ? [publicFile] : [privateFile, publicFile]) {
      if (!force && existsSync(file)) {
        throw new UsageError(`${file} exists; pass --force to overwrite it`);
      }
    }
    const keys = await Promise.all((algs.length === 0 ? ['ES256'] : algs).map(generate));
    mkdirSync(dir, { recursive: true });
    const report = toStdout ? io.err : io.out;
    if (toStdout) {
      io.out(jwkSet(keys.map((key) => key.privateJwk)).trimEnd());
    } else {
      writeFileSync(privateFile, jwkSet(keys.map((key) => key.privateJwk)), { mode: 0o600 });
      // writeFile keeps the mode of a file it overwrites.
      chmodSync(privateFile, 0o600);
      report(`private keys: ${privateFile} (mode 0600; RESOLVER_KEYS_FILE reads this format)`);
    }
    writeFileSync(publicFile, jwkSet(keys.map((key) => key.publicJwk)));
    report(`public keys:  ${publicFile}`);
    for (const key of keys)
      report(`  ${String(key.publicJwk.alg)} kid ${String(key.publicJwk.kid)}`);
    return EXIT.ok;
  },
};
