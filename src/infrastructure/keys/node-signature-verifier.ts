/**
 * Signature verification with `node:crypto` (the core's {@link SignatureVerifier} port): public
 * JWKs become `KeyObject`s once, kept in a bounded LRU by their RFC 7638 identity and algorithm,
 * and each JWS is verified synchronously. It checks what jose checks before using a key: the key
 * type and curve belong to the algorithm, RSA moduli have at least 2048 bits; `none` and HMAC
 * are never verified (§1.1). A cold resolution verifies several signatures with keys it has not
 * met, so the import and the verification are on its path; WebCrypto costs several times more
 * for both.
 */
import { createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { SignatureVerifier } from '../../federation/ports.js';
import type { Jwk } from '../../federation/types.js';
import { keyFingerprint } from '../../federation/verification-key.js';
import { assertKeyFits, assertKeyStrength, jwsAlgorithm, keyInput } from './jws-algorithms.js';

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
    const rule = jwsAlgorithm(alg);
    const key = this.#key(jwk, alg);
    try {
      return verify(rule.hash, Buffer.from(signingInput, 'ascii'), keyInput(key, alg), signature);
    } catch {
      // A signature of the wrong length or shape does not verify.
      return false;
    }
  }

  #key(jwk: Jwk, alg: string): KeyObject {
    const id = keyFingerprint(jwk, alg);
    const kept = this.#keys.get(id);
    if (kept !== undefined) return kept;
    assertKeyFits(jwk, alg);
    // Public members only: a private member in a published key is refused elsewhere (§3.1).
    const material: JsonWebKey = { kty: jwk.kty };
    for (const member of ['n', 'e', 'crv', 'x', 'y'] as const) {
      const value = jwk[member];
      if (typeof value === 'string') material[member] = value;
    }
    const key = createPublicKey({ key: material, format: 'jwk' });
    assertKeyStrength(key, alg);
    this.#keys.set(id, key);
    return key;
  }
}
