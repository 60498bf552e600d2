/**
 * The resolver's own Federation Entity Keys (§8.3.2, §7.4): a private JWK Set from
 * RESOLVER_KEYS_FILE (several keys = rotation: the last key signs, every key is published), or an
 * ephemeral key generated at boot. Private members never leave this module.
 */
import {
  createPrivateKey,
  generateKeyPairSync,
  sign,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import { FORBIDDEN_ALGORITHM_PATTERN, PRIVATE_JWK_MEMBERS } from '../../federation/constants.js';
import { getOwn, isNonEmptyString, isPlainObject, type JsonObject } from '../../federation/json.js';
import type { Signer } from '../../federation/ports.js';
import type { Jwk, JwkSet } from '../../federation/types.js';
import { assertKeyFits, assertKeyStrength, jwsAlgorithm, keyInput } from './jws-algorithms.js';

/** A keys file that cannot be used; the message never includes key material. */
export class SigningKeyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SigningKeyError';
  }
}

/**
 * A loaded key: signed with through `node:crypto` (a kept KeyObject signs in a fraction of the
 * time WebCrypto takes for every cold resolve response).
 */
interface LoadedKey {
  readonly alg: string;
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicJwk: Jwk;
}

/** Members that make a JWK private; removed from what is published. */
const PRIVATE_MEMBERS: ReadonlySet<string> = new Set(PRIVATE_JWK_MEMBERS);

/** The default JWS algorithm for a key without `alg` (RS256 for RSA, per §1.1's SHOULD). */
function defaultAlgorithm(jwk: JsonObject): string | undefined {
  const kty = getOwn(jwk, 'kty');
  const crv = getOwn(jwk, 'crv');
  if (kty === 'RSA') return 'RS256';
  if (kty === 'EC')
    return crv === 'P-256'
      ? 'ES256'
      : crv === 'P-384'
        ? 'ES384'
        : crv === 'P-521'
          ? 'ES512'
          : undefined;
  if (kty === 'OKP' && crv === 'Ed25519') return 'EdDSA';
  return undefined;
}

function publicPart(jwk: JsonObject, kid: string, alg: string): Jwk {
  const entries = Object.entries(jwk).filter(
    ([name]) => !PRIVATE_MEMBERS.has(name) && name !== 'key_ops' && name !== 'ext',
  );
  const kty = getOwn(jwk, 'kty');
  return {
    ...Object.fromEntries(entries),
    kty: typeof kty === 'string' ? kty : '',
    kid,
    alg,
    use: 'sig',
  };
}

function loadKey(jwk: unknown, index: number): Promise<LoadedKey> {
  const where = `key ${index + 1}`;
  if (!isPlainObject(jwk)) throw new SigningKeyError(`${where} is not a JSON object`);
  const kid = getOwn(jwk, 'kid');
  if (!isNonEmptyString(kid)) throw new SigningKeyError(`${where} has no "kid"`);
  if (getOwn(jwk, 'd') === undefined)
    throw new SigningKeyError(`key ${JSON.stringify(kid)} is not a private key`);
  const declared = getOwn(jwk, 'alg');
  const alg = typeof declared === 'string' ? declared : defaultAlgorithm(jwk);
  if (alg === undefined || FORBIDDEN_ALGORITHM_PATTERN.test(alg)) {
    throw new SigningKeyError(`key ${JSON.stringify(kid)} needs an asymmetric "alg"`);
  }
  try {
    assertKeyFits(jwk as { kty: unknown; crv?: unknown }, alg);
    const privateKey = createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' });
    assertKeyStrength(privateKey, alg);
    return Promise.resolve({ alg, kid, privateKey, publicJwk: publicPart(jwk, kid, alg) });
  } catch (cause) {
    throw new SigningKeyError(`key ${JSON.stringify(kid)} cannot be used with ${alg}`, { cause });
  }
}

/** Signs with the newest of a set of keys and publishes all of them. */
export class JwksSigner implements Signer {
  readonly #keys: readonly LoadedKey[];
  /** True when the keys were generated at boot (nothing persisted). */
  readonly ephemeral: boolean;

  private constructor(keys: readonly LoadedKey[], ephemeral: boolean) {
    this.#keys = keys;
    this.ephemeral = ephemeral;
  }

  /** Loads a private JWK Set file; the last key signs. */
  static async fromFile(path: string): Promise<JwksSigner> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch (cause) {
      throw new SigningKeyError(`${path} cannot be read as JSON`, { cause });
    }
    const keys = isPlainObject(parsed) ? getOwn(parsed, 'keys') : undefined;
    if (!Array.isArray(keys) || keys.length === 0) {
      throw new SigningKeyError(`${path} must be a JWK Set with at least one key`);
    }
    const loaded = await Promise.all(keys.map((key, index) => loadKey(key, index)));
    if (new Set(loaded.map((key) => key.kid)).size !== loaded.length) {
      throw new SigningKeyError(`${path} repeats a "kid"`);
    }
    return new JwksSigner(loaded, false);
  }

  /** Generates one ES256 key for this process only. */
  static ephemeral(): Promise<JwksSigner> {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const kid = `ephemeral-${Date.now().toString(36)}`;
    return Promise.resolve(
      new JwksSigner(
        [{ alg: 'ES256', kid, privateKey, publicJwk: publicPart({ ...jwk }, kid, 'ES256') }],
        true,
      ),
    );
  }

  /** The key that signs: the last one of the set. */
  get #current(): LoadedKey {
    const key = this.#keys[this.#keys.length - 1];
    if (key === undefined) throw new SigningKeyError('no signing key');
    return key;
  }

  /** Signs `claims` as a compact JWS with `typ`, `alg` and `kid` headers (§8.3.2: kid REQUIRED). */
  sign(claims: Record<string, unknown>, typ: string): Promise<string> {
    const key = this.#current;
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    // RFC 7515 §7.1: BASE64URL(header) '.' BASE64URL(payload) '.' BASE64URL(signature).
    const input = `${encode({ alg: key.alg, typ, kid: key.kid })}.${encode(claims)}`;
    const signature = sign(
      jwsAlgorithm(key.alg).hash,
      Buffer.from(input, 'ascii'),
      keyInput(key.privateKey, key.alg),
    );
    return Promise.resolve(`${input}.${signature.toString('base64url')}`);
  }

  /** Every public key, current and rotated-out. */
  publicJwks(): JwkSet {
    return { keys: this.#keys.map((key) => key.publicJwk) };
  }
}
