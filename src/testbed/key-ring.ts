/**
 * Federation Entity Keys of the testbed's entities: the key each one signs with, the keys it
 * publishes (more than one after a rollover that keeps the old key, §11.2), and "rogue" keys
 * nobody attests, for signature faults.
 */
import { calculateJwkThumbprint } from 'jose';
import type { JwkSet } from '../federation/types.js';
import { generateSigningKey, publicJwks, type SigningKey } from './keys.js';

/** The keys of one entity. */
export interface EntityKeys {
  /** The key its statements are signed with. */
  readonly signing: SigningKey;
  /** The keys in its `jwks` (and in its superiors' statements about it); `signing` first. */
  readonly published: readonly SigningKey[];
}

/**
 * A fresh key for `alg` whose `kid` is its RFC 7638 SHA-256 thumbprint (the value §1.1
 * recommends), with `alg` and `use` on the public JWK as a careful operator would publish it.
 */
export async function generateEntityKey(alg: string): Promise<SigningKey> {
  const key = await generateSigningKey(alg);
  const { kid: _generated, ...jwk } = key.publicJwk;
  const kid = await calculateJwkThumbprint(jwk);
  return { ...key, kid, publicJwk: { ...jwk, kid, alg, use: 'sig' } };
}

/** Keys of every entity of a testbed, by entity name. */
export class KeyRing {
  readonly #keys = new Map<string, EntityKeys>();
  readonly #algs = new Map<string, string>();
  readonly #rogue = new Map<string, Promise<SigningKey>>();

  /** Generates one key per entity, all in parallel (RSA generation is the slow part of start). */
  static async create(entities: ReadonlyArray<{ name: string; alg: string }>): Promise<KeyRing> {
    const ring = new KeyRing();
    const keys = await Promise.all(entities.map((entity) => generateEntityKey(entity.alg)));
    entities.forEach((entity, index) => {
      const key = keys[index];
      if (key === undefined) return;
      ring.#algs.set(entity.name, entity.alg);
      ring.#keys.set(entity.name, { signing: key, published: [key] });
    });
    return ring;
  }

  /** The keys of `name`; throws for an unknown name. */
  keys(name: string): EntityKeys {
    const keys = this.#keys.get(name);
    if (keys === undefined) throw new Error(`testbed: no entity named "${name}"`);
    return keys;
  }

  /** The public JWK Set `name` publishes. */
  publicJwks(name: string): JwkSet {
    return publicJwks(...this.keys(name).published);
  }

  /**
   * Gives `name` a new signing key. With `keepOld`, the previous published keys stay in its JWK
   * Set after the new one (§11.2: old keys are removed only after a while).
   */
  async rotate(name: string, keepOld: boolean): Promise<void> {
    const current = this.keys(name);
    const key = await generateEntityKey(this.#algs.get(name) ?? current.signing.alg);
    this.#keys.set(name, {
      signing: key,
      published: keepOld ? [key, ...current.published] : [key],
    });
  }

  /**
   * A key nobody attests, presented under `kid`. One key per algorithm is generated on first use
   * and shared, since only the fact that no published key matches it matters.
   */
  async rogueKey(alg: string, kid: string): Promise<SigningKey> {
    let pending = this.#rogue.get(alg);
    if (pending === undefined) {
      pending = generateEntityKey(alg);
      this.#rogue.set(alg, pending);
      pending.catch(() => this.#rogue.delete(alg));
    }
    const key = await pending;
    return { ...key, kid, publicJwk: { ...key.publicJwk, kid } };
  }
}
