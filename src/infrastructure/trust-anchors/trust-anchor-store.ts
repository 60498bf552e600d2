/**
 * The configured Trust Anchors (§10, §11.3): one JSON file per anchor in TRUST_ANCHORS_DIR,
 * `{ "entity_id": …, "jwks": { "keys": [ … ] } }`, holding the anchor's pinned public keys.
 * Loaded at boot (a bad file stops the service) and reloaded on demand (SIGHUP), keeping the
 * previous set when the new one is invalid.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { assertJwkSet } from '../../federation/claims.js';
import { isEntityIdentifier } from '../../federation/entity-id.js';
import { FederationError } from '../../federation/errors.js';
import { getOwn, isPlainObject } from '../../federation/json.js';
import type { TrustAnchor } from '../../federation/types.js';

/** A trust anchor file that cannot be used; the message names the file. */
export class TrustAnchorFileError extends Error {
  readonly file: string;

  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(`${file}: ${message}`, options);
    this.name = 'TrustAnchorFileError';
    this.file = file;
  }
}

/** Largest trust anchor file read; a pinned key set is a few kilobytes. */
const MAX_FILE_BYTES = 1024 * 1024;

/** Parses and checks one trust anchor file's text. */
export function parseTrustAnchorFile(
  file: string,
  text: string,
  options: { allowHttp: boolean },
): TrustAnchor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new TrustAnchorFileError(file, 'is not valid JSON', { cause });
  }
  if (!isPlainObject(parsed)) throw new TrustAnchorFileError(file, 'must hold a JSON object');
  const entityId = getOwn(parsed, 'entity_id');
  if (!isEntityIdentifier(entityId, { allowHttp: options.allowHttp })) {
    throw new TrustAnchorFileError(
      file,
      `"entity_id" must be an Entity Identifier (an https URL without query or fragment${options.allowHttp ? '; http allowed' : ''})`,
    );
  }
  try {
    return { entity_id: entityId, jwks: assertJwkSet(getOwn(parsed, 'jwks')) };
  } catch (cause) {
    const reason = cause instanceof FederationError ? cause.message : 'is not a valid JWK Set';
    throw new TrustAnchorFileError(file, `"jwks": ${reason}`, { cause });
  }
}

/** Reads every `*.json` file of `dir` as a trust anchor. */
export function loadTrustAnchors(dir: string, options: { allowHttp: boolean }): TrustAnchor[] {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((name) => name.endsWith('.json'))
      .sort();
  } catch (cause) {
    throw new TrustAnchorFileError(dir, 'the trust anchors folder cannot be read', { cause });
  }
  const anchors: TrustAnchor[] = [];
  const seen = new Map<string, string>();
  for (const name of names) {
    const file = join(dir, name);
    if (statSync(file).size > MAX_FILE_BYTES)
      throw new TrustAnchorFileError(file, 'is larger than 1 MiB');
    const anchor = parseTrustAnchorFile(file, readFileSync(file, 'utf8'), options);
    const previous = seen.get(anchor.entity_id);
    if (previous !== undefined) {
      throw new TrustAnchorFileError(
        file,
        `configures ${anchor.entity_id}, which ${previous} already configures`,
      );
    }
    seen.set(anchor.entity_id, file);
    anchors.push(anchor);
  }
  return anchors;
}

/** The current set of configured Trust Anchors. */
export class TrustAnchorStore {
  readonly #dir: string;
  readonly #allowHttp: boolean;
  #anchors: ReadonlyMap<string, TrustAnchor> = new Map();
  #version = 0;

  constructor(dir: string, options: { allowHttp: boolean }) {
    this.#dir = dir;
    this.#allowHttp = options.allowHttp;
  }

  /** Loads the folder; throws {@link TrustAnchorFileError} and keeps the previous set on failure. */
  load(): readonly TrustAnchor[] {
    const anchors = loadTrustAnchors(this.#dir, { allowHttp: this.#allowHttp });
    this.#anchors = new Map(anchors.map((anchor) => [anchor.entity_id, anchor]));
    this.#version++;
    return anchors;
  }

  /** Every configured anchor. */
  all(): readonly TrustAnchor[] {
    return [...this.#anchors.values()];
  }

  /** The anchor configured for `entityId`, if any. */
  get(entityId: string): TrustAnchor | undefined {
    return this.#anchors.get(entityId);
  }

  /** Increases on every successful load; cached results keyed by it never outlive a reload. */
  get version(): number {
    return this.#version;
  }
}
