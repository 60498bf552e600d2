/** The README stays true: every setting and every endpoint of the service is documented. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SETTINGS } from '../../src/config/config.js';
import { repoRoot } from '../support/paths.js';

const readme = readFileSync(join(repoRoot(), 'README.md'), 'utf8');

describe('README', () => {
  it('documents every configuration variable with its default', () => {
    for (const [name, [defaultValue]] of Object.entries(SETTINGS)) {
      // Table cells are padded by the formatter, so compare rows without their spacing.
      const row = readme
        .split('\n')
        .map((line) => line.replace(/\s*\|\s*/g, '|'))
        .find((line) => line.startsWith(`|\`${name}\`|`));
      assert.equal(
        row?.split('|')[2],
        `\`${defaultValue}\``,
        `${name} with default ${defaultValue}`,
      );
    }
  });

  it('documents every endpoint and both commands', () => {
    for (const text of [
      '/.well-known/openid-federation',
      'GET /resolve',
      '/api/v1/resolve',
      '/api/v1/explain',
      '/discovery/openid-configuration',
      '/discovery/oauth-authorization-server',
      '/healthz',
      '/readyz',
      '/metrics',
      'npm ci && npm run demo',
      'npm ci && npm test',
    ]) {
      assert.ok(readme.includes(text), text);
    }
  });
});
