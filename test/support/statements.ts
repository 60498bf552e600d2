/** Test helpers: keys generated in the test, statements signed on demand, a fixed clock. */
import type { JwkSet } from '../../src/federation/types.js';
import { generateSigningKey, signJwt, type SigningKey } from '../../src/testbed/keys.js';

/** The fixed "now" of unit tests (seconds). */
export const NOW = 1_800_000_000;

/** A signing key of a test entity. */
export type TestKey = SigningKey;

/** A federation entity of a test: identifier and keys. */
export interface TestEntity {
  readonly id: string;
  readonly key: TestKey;
  readonly jwks: JwkSet;
}

/** Generates a key pair for `alg` with a fresh `kid`. */
export const generateTestKey = generateSigningKey;

/** Signs claims as a compact JWS (Entity Statement header by default). */
export const sign = signJwt;

/** Creates a test entity with one fresh key. */
export async function createEntity(id: string, alg = 'ES256'): Promise<TestEntity> {
  const key = await generateTestKey(alg);
  return { id, key, jwks: { keys: [key.publicJwk] } };
}

/** Claims of an Entity Configuration for `entity`, valid around {@link NOW}. */
export function configurationClaims(
  entity: TestEntity,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    iss: entity.id,
    sub: entity.id,
    iat: NOW - 60,
    exp: NOW + 3600,
    jwks: entity.jwks,
    ...extra,
  };
}

/** Claims of a Subordinate Statement by `issuer` about `subject`, valid around {@link NOW}. */
export function subordinateClaims(
  issuer: TestEntity,
  subject: TestEntity,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    iss: issuer.id,
    sub: subject.id,
    iat: NOW - 60,
    exp: NOW + 3600,
    jwks: subject.jwks,
    ...extra,
  };
}

/** Builds a compact JWS with any header and a fake signature (for structural tests). */
export function forgeJws(header: unknown, claims: unknown, signature = 'c2lnbmF0dXJl'): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode(header)}.${encode(claims)}.${signature}`;
}
