import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  applyAllowedEntityTypes,
  hostMatchesName,
  isPermittedByNamingConstraints,
} from '../../../src/federation/constraints.js';
import { decodeEntityStatement } from '../../../src/federation/entity-statement.js';
import { forgeJws, NOW } from '../../support/statements.js';

const HEADER = { typ: 'entity-statement+jwt', alg: 'ES256', kid: 'k' };
const JWKS = { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'k' }] };

function subordinate(constraints: unknown) {
  return decodeEntityStatement(
    forgeJws(HEADER, {
      iss: 'https://ta.example.com',
      sub: 'https://i.example.com',
      iat: NOW,
      exp: NOW + 1,
      jwks: JWKS,
      constraints,
    }),
  );
}

describe('§6.2.2 naming constraints (TV-7)', () => {
  const tv7 = { permitted: ['.example.com'], excluded: ['east.example.com'] };

  it('.example.com permits https://a.example.com and https://my.host.example.com', () => {
    assert.equal(isPermittedByNamingConstraints('https://a.example.com', tv7), true);
    assert.equal(isPermittedByNamingConstraints('https://my.host.example.com/path', tv7), true);
  });
  it('.example.com does not permit https://example.com itself', () => {
    assert.equal(isPermittedByNamingConstraints('https://example.com', tv7), false);
  });
  it('excluded wins: east.example.com is rejected although .example.com permits it', () => {
    assert.equal(isPermittedByNamingConstraints('https://east.example.com', tv7), false);
    assert.equal(isPermittedByNamingConstraints('https://west.east.example.com', tv7), true);
  });
  it('a name without a leading dot matches exactly that host', () => {
    assert.equal(hostMatchesName('example.com', 'example.com'), true);
    assert.equal(hostMatchesName('a.example.com', 'example.com'), false);
    assert.equal(hostMatchesName('badexample.com', '.example.com'), false);
  });
  it('compares hosts case-insensitively and ignores the port', () => {
    assert.equal(isPermittedByNamingConstraints('https://A.Example.COM:8443', tv7), true);
  });
  it('tolerates the https:// prefix of constraint values from older drafts', () => {
    assert.equal(hostMatchesName('a.example.com', 'https://.example.com'), true);
  });
  it('without permitted, only excluded applies; an empty permitted list permits nothing', () => {
    assert.equal(
      isPermittedByNamingConstraints('https://x.org', { excluded: ['.example.com'] }),
      true,
    );
    assert.equal(isPermittedByNamingConstraints('https://x.org', { permitted: [] }), false);
  });
});

describe('§6.2.3 allowed_entity_types (TV-7)', () => {
  const metadata = {
    federation_entity: { a: 1 },
    openid_provider: { b: 2 },
    oauth_client: { c: 3 },
  };

  it('keeps federation_entity and the allowed types only', () => {
    const result = applyAllowedEntityTypes(metadata, [
      subordinate({ allowed_entity_types: ['openid_provider', 'openid_relying_party'] }),
    ]);
    assert.deepEqual(result, { federation_entity: { a: 1 }, openid_provider: { b: 2 } });
  });
  it('an empty list keeps only federation_entity', () => {
    assert.deepEqual(
      applyAllowedEntityTypes(metadata, [subordinate({ allowed_entity_types: [] })]),
      { federation_entity: { a: 1 } },
    );
  });
  it('several statements intersect', () => {
    const result = applyAllowedEntityTypes(metadata, [
      subordinate({ allowed_entity_types: ['openid_provider', 'oauth_client'] }),
      subordinate({ allowed_entity_types: ['oauth_client'] }),
    ]);
    assert.deepEqual(result, { federation_entity: { a: 1 }, oauth_client: { c: 3 } });
  });
  it('no constraint keeps every type', () => {
    assert.deepEqual(
      applyAllowedEntityTypes(metadata, [subordinate({ max_path_length: 1 })]),
      metadata,
    );
  });
  it('ignores constraint parameters it does not understand (§6.2)', () => {
    assert.deepEqual(subordinate({ some_future_constraint: true }).claims.constraints, {});
  });
});
