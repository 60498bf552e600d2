/**
 * Signature verification with `node:crypto` (the core's {@link SignatureVerifier} port): public
 * JWKs become `KeyObject`s once, kept in a bounded LRU by their RFC 7638 identity and algorithm,
 * and each JWS is verified synchronously. It checks what jose checks before using a key: the key
 * type and curve belong to the algorithm, RSA moduli have at least 2048 bits; `none` and HMAC
 * are never verified (§1.1). A cold resolution verifies several signatures with keys it has not
 * met, so the import and the verification are on its path; WebCrypto costs several times more
 * for both.
 */
import { createPublicKey, constants, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { SignatureVerifier } from '../../federation/ports.js';
import type { Jwk } from '../../federation/types.js';
import { keyFingerprint } from '../../federation/verification-key.js';

/** How each accepted algorithm verifies: the hash, the key it needs, and the padding. */
interface AlgorithmRule {
  readonly hash: string | null;
  readonly kty: string;
  readonly curves?: readonly string[];
  readonly pss?: boolean;
}

const RULES: Readonly<Record<string, AlgorithmRule>> = {
  RS256: { hash: 'sha256', kty: 'RSA' },
  RS384: { hash: 'sha384', kty: 'RSA' },
  RS512: { hash: 'sha512', kty: 'RSA' },
  PS256: { hash: 'sha256', kty: 'RSA', pss: true },
  PS384: { hash: 'sha384', kty: 'RSA', pss: true },
  PS512: { hash: 'sha512', kty: 'RSA', pss: true },
  ES256: { hash: 'sha256', kty: 'EC', curves: ['P-256'] },
  ES384: { hash: 'sha384', kty: 'EC', curves: ['P-384'] },
  ES512: { hash: 'sha512', kty: 'EC', curves: ['P-521'] },
  EdDSA: { hash: null, kty: 'OKP', curves: ['Ed25519', 'Ed448'] },
  Ed25519: { hash: null, kty: 'OKP', curves: ['Ed25519'] },
};

/** Smallest RSA modulus accepted, bits (as jose). */
const MIN_RSA_BITS = 2048;

/** Bytes a kept key is charged: its identity and the key object. */
function keySize(id: string): number {
  return 2 * id.length + 2048;
}

/** A {@link SignatureVerifier} on `node:crypto` with a bounded cache of imported keys. */
export class NodeSignatureVerifier implements SignatureVerifier {
  readonly #keys: LRUCache<string, KeyObject>;

  /**
   * @param maxEntries most keys kept; the least recently used is dropped first.
   * @param maxBytes most bytes kept, as charged per key.
   */
  constructor(maxEntries = 1000, maxBytes?: number) {
    this.#keys = new LRUCache<string, KeyObject>({
      max: maxEntries,
      ...(maxBytes === undefined
        ? {}
        : { maxSize: maxBytes, sizeCalculation: (_key, id) => keySize(id) }),
    });
  }

  /** Keys held. */
  get size(): number {
    return this.#keys.size;
  }

  /** Bytes held, as charged (0 without a byte bound). */
  get bytes(): number {
    return this.#keys.calculatedSize;
  }

  verify(jwk: Jwk, alg: string, signingInput: string, signature: Uint8Array): boolean {
    const rule = RULES[alg];
    if (rule === undefined) throw new Error(`the algorithm ${alg} is not verified here`);
    const key = this.#key(jwk, alg, rule);
    try {
      return verify(
        rule.hash,
        Buffer.from(signingInput, 'ascii'),
        rule.kty === 'EC'
          ? { key, dsaEncoding: 'ieee-p1363' }
          : rule.pss === true
            ? {
                key,
                padding: constants.RSA_PKCS1_PSS_PADDING,
                saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
              }
            : key,
        signature,
      );
    } catch {
      // A signature of the wrong length or shape does not verify.
      return false;
    }
  }

  #key(jwk: Jwk, alg: string, rule: AlgorithmRule): KeyObject {
    const id = keyFingerprint(jwk, alg);
    const kept = this.#keys.get(id);
    if (kept !== undefined) return kept;
    if (jwk.kty !== rule.kty) throw new Error(`a ${jwk.kty} key cannot verify ${alg}`);
    const crv = jwk['crv'];
    if (rule.curves !== undefined && (typeof crv !== 'string' || !rule.curves.includes(crv))) {
      throw new Error(`a key on ${String(crv)} cannot verify ${alg}`);
    }
    // Public members only: a private member in a published key is refused elsewhere (§3.1).
    const material: JsonWebKey = { kty: jwk.kty };
    for (const member of ['n', 'e', 'crv', 'x', 'y'] as const) {
      const value = jwk[member];
      if (typeof value === 'string') material[member] = value;
    }
    const key = createPublicKey({ key: material, format: 'jwk' });
    if (rule.kty === 'RSA') {
      const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
      if (bits < MIN_RSA_BITS) throw new Error(`an RSA key of ${bits} bits is too short`);
    }
    this.#keys.set(id, key);
    return key;
  }
}
