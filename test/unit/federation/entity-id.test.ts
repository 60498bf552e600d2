import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { entityConfigurationUrl, isEntityIdentifier } from '../../../src/federation/entity-id.js';

describe('§9 TV-16: Entity Configuration URL', () => {
  const table: Array<[string, string]> = [
    ['https://entity.example', 'https://entity.example/.well-known/openid-federation'],
    ['https://entity.example/', 'https://entity.example/.well-known/openid-federation'],
    ['https://ex.com/org/a', 'https://ex.com/org/a/.well-known/openid-federation'],
    ['https://ex.com:8443/t/', 'https://ex.com:8443/t/.well-known/openid-federation'],
  ];
  for (const [id, url] of table) {
    it(`${id} → ${url}`, () => {
      assert.equal(isEntityIdentifier(id), true);
      assert.equal(entityConfigurationUrl(id), url);
    });
  }
  for (const id of [
    'https://ex.com/?q=1',
    'https://ex.com/#f',
    'http://ex.com',
    '',
    'https://ex.com/\n',
  ]) {
    it(`${JSON.stringify(id)} is not an Entity Identifier`, () => {
      assert.equal(isEntityIdentifier(id), false);
    });
  }
  it('rejects identifiers longer than 2048 characters', () => {
    assert.equal(isEntityIdentifier(`https://ex.com/${'a'.repeat(2100)}`), false);
  });
});
