/**
 * `fedres trust-anchors add|list|verify`: the files of TRUST_ANCHORS_DIR, in exactly the format the
 * service loads (`{ "entity_id": …, "jwks": { "keys": […] } }`, trust-anchors/README.md).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { loadConfig, SETTINGS } from '../config/config.js';
import { toFederationError } from '../federation/errors.js';
import type { JwkSet } from '../federation/types.js';
import type { Command, Io } from './command.js';
import { entityArgument, withEngine } from './engine.js';
import { EXIT, exitStatusOfCode, type ExitStatus } from './exit-status.js';
import { positionals, stringOption, switchOption, UsageError } from './options.js';
import { nowSeconds, when } from './render.js';

/** The file name of an anchor: its host and path, lower-case, every other character `-`. */
export function anchorFileName(entityId: string): string {
  const url = new URL(entityId);
  const name = `${url.host}${url.pathname}`
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '-')
    .replace(/^-+|-+$/g, '');
  return name === '' ? 'trust-anchor' : name;
}

/** One line per key: `kid`, type, and the RFC 7638 SHA-256 thumbprint to compare out of band. */
async function keyLines(jwks: JwkSet): Promise<string[]> {
  return Promise.all(
    jwks.keys.map(async (jwk) => {
      const thumbprint = await calculateJwkThumbprint(jwk as JWK, 'sha256');
      const kind = [jwk.kty, jwk['crv'], jwk.alg].filter((part) => typeof part === 'string');
      return `  kid ${String(jwk.kid)}  ${kind.join(' ')}  thumbprint ${thumbprint}`;
    }),
  );
}

/** Asks on the terminal; anything but y or yes is no. */
async function confirm(io: Io, question: string): Promise<boolean> {
  const prompt = createInterface({ input: io.stdin, output: io.stdout });
  try {
    const answer = await prompt.question(question);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    prompt.close();
  }
}

export const trustAnchorsAddCommand: Command = {
  name: 'trust-anchors add',
  synopsis: 'trust-anchors add <entity-id> [--dir <dir>] [--name <name>] [--yes] [--force]',
  summary:
    "fetch an anchor's configuration, verify its self-signature, show its key thumbprints and exp, and pin it after confirmation",
  options: {
    dir: { type: 'string' },
    name: { type: 'string' },
    yes: { type: 'boolean', short: 'y' },
    force: { type: 'boolean' },
  },
  details: [
    '  --dir <dir>    the trust anchors folder (default: TRUST_ANCHORS_DIR, else ./trust-anchors)',
    '  --name <name>  the file name without .json (default: host and path, lower-case, other characters -)',
    '  --yes          write without asking (needed when stdin is not a terminal)',
    '  --force        overwrite an existing file',
    'Compare the thumbprints with what the federation operator published before you confirm.',
  ],
  async run(parsed, io) {
    const [id = ''] = positionals(parsed, ['entity-id']);
    const dir =
      stringOption(parsed.values, 'dir') ??
      parsed.env['TRUST_ANCHORS_DIR'] ??
      SETTINGS.TRUST_ANCHORS_DIR[0];
    // A bad identifier or name is refused before anything is created on disk.
    const entityId = entityArgument(id, loadConfig(parsed.env), 'trust anchor');
    const name = stringOption(parsed.values, 'name') ?? anchorFileName(entityId);
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
      throw new UsageError(`--name ${name} must be letters, digits, ., _ and - only`);
    }
    return withEngine(
      parsed.env,
      async (engine, config) => {
        const file = join(config.trustAnchorsDir, `${name}.json`);
        if (existsSync(file) && !switchOption(parsed.values, 'force')) {
          throw new UsageError(`${file} exists; pass --force to overwrite it`);
        }
        const configured = engine.trustAnchors().some((pinned) => pinned.entity_id === entityId);
        if (configured && !existsSync(file)) {
          // The service refuses a folder that configures one anchor twice.
          throw new UsageError(
            `${entityId} is already configured by another file in ${config.trustAnchorsDir}; change that file, or remove it first`,
          );
        }
        const anchor = await engine.selfSignedConfiguration(entityId);
        io.out(`Trust Anchor ${entityId}`);
        io.out(
          `its Entity Configuration is self-signed and valid until ${when(anchor.exp, nowSeconds())}`,
        );
        io.out('its keys (RFC 7638 SHA-256 thumbprints, to compare out of band):');
        for (const line of await keyLines(anchor.jwks)) io.out(line);
        if (!switchOption(parsed.values, 'yes')) {
          if (io.stdin.isTTY !== true) {
            throw new UsageError(
              `stdin is not a terminal, so nothing was written: compare the thumbprints, then pass --yes to write ${file}`,
            );
          }
          if (!(await confirm(io, `Pin these keys in ${file}? [y/N] `))) {
            io.out('nothing written');
            return EXIT.failed;
          }
        }
        const text = `${JSON.stringify({ entity_id: entityId, jwks: { keys: anchor.jwks.keys } }, null, 2)}\n`;
        writeFileSync(file, text);
        io.out(`wrote ${file}; a running resolver picks it up on SIGHUP`);
        return EXIT.ok;
      },
      // The folder the file goes to is the one the engine reads (it must exist to be read).
      { TRUST_ANCHORS_DIR: ensureFolder(dir) },
    );
  },
};

function ensureFolder(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

export const trustAnchorsListCommand: Command = {
  name: 'trust-anchors list',
  synopsis: 'trust-anchors list',
  summary: 'the configured Trust Anchors and the thumbprints of their pinned keys',
  options: {},
  details: ['  reads TRUST_ANCHORS_DIR (--trust-anchors-dir) as the service does'],
  async run(parsed, io) {
    positionals(parsed, []);
    return withEngine(parsed.env, async (engine, config) => {
      const anchors = engine.trustAnchors();
      if (anchors.length === 0)
        io.out(`no Trust Anchor is configured in ${config.trustAnchorsDir}`);
      for (const anchor of anchors) {
        io.out(anchor.entity_id);
        for (const line of await keyLines(anchor.jwks)) io.out(line);
      }
      return EXIT.ok;
    });
  },
};

export const trustAnchorsVerifyCommand: Command = {
  name: 'trust-anchors verify',
  synopsis: 'trust-anchors verify',
  summary: 'each configured anchor answers and still signs its configuration with a pinned key',
  options: {},
  details: ['  one line per anchor: pass|fail <entity-id>: why'],
  async run(parsed, io) {
    positionals(parsed, []);
    return withEngine(parsed.env, async (engine, config) => {
      const anchors = engine.trustAnchors();
      if (anchors.length === 0) {
        throw new UsageError(`no Trust Anchor is configured in ${config.trustAnchorsDir}`);
      }
      const statuses: ExitStatus[] = [];
      for (const anchor of anchors) {
        const id = anchor.entity_id;
        try {
          // The anchor as its own subject: a one-element chain, checked against the pinned keys.
          const report = await engine.resolution({ subject: id, trustAnchors: [id] });
          io.out(
            `pass ${id}: answers and signs with a pinned key; valid until ${when(report.exp, nowSeconds())}`,
          );
        } catch (error) {
          const failure = toFederationError(error);
          io.out(`fail ${id}: ${failure.message} (${failure.reason})`);
          statuses.push(exitStatusOfCode(failure.code));
        }
      }
      if (statuses.length === 0) return EXIT.ok;
      return statuses.every((status) => status === EXIT.transient) ? EXIT.transient : EXIT.failed;
    });
  },
};
