import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, SETTINGS } from '../../../src/config/config.js';

function failsOn(env: Record<string, string>, variable: string): void {
  assert.throws(
    () => loadConfig(env),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.variable === variable &&
      error.message.startsWith(`${variable}:`),
  );
}

describe('loadConfig', () => {
  it('has secure, documented defaults', () => {
    const config = loadConfig({});
    assert.equal(config.port, 8080);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.entityId, 'http://localhost:8080');
    assert.equal(config.trustAnchorsDir, './trust-anchors');
    assert.equal(config.allowInsecureHttp, false);
    assert.equal(config.allowPrivateNetwork, false);
    assert.equal(config.logLevel, 'info');
    assert.equal(config.keysFile, undefined);
    assert.ok(Object.isFrozen(config));
    // Every numeric default in the table is what loadConfig uses.
    assert.equal(String(config.fetchTimeoutMs), SETTINGS.FETCH_TIMEOUT_MS[0]);
    assert.equal(String(config.maxFetchesPerResolution), SETTINGS.MAX_FETCHES_PER_RESOLUTION[0]);
  });

  it('EXPLORER: on by default, off removes the page, nothing else accepted', () => {
    assert.equal(loadConfig({}).explorer, true);
    assert.equal(loadConfig({ EXPLORER: 'on' }).explorer, true);
    assert.equal(loadConfig({ EXPLORER: 'off' }).explorer, false);
    failsOn({ EXPLORER: 'true' }, 'EXPLORER');
  });

  it('TOLERATE: named tolerances only, with the deprecated alias folded in and reported', () => {
    assert.deepEqual(loadConfig({}).tolerate, []);
    assert.deepEqual(
      loadConfig({ TOLERATE: 'legacy-trust-mark-claims, constraints-in-entity-configuration' })
        .tolerate,
      ['legacy-trust-mark-claims', 'constraints-in-entity-configuration'],
    );
    failsOn({ TOLERATE: 'legacy-trust-mark-claims,anything-goes' }, 'TOLERATE');
    const alias = loadConfig({ ACCEPT_LEGACY_TRUST_MARK_CLAIMS: 'true' });
    assert.deepEqual(alias.tolerate, ['legacy-trust-mark-claims']);
    assert.match(alias.deprecations[0] ?? '', /ACCEPT_LEGACY_TRUST_MARK_CLAIMS is deprecated/);
    assert.deepEqual(loadConfig({}).deprecations, []);
  });

  it('the shared tier: off without REDIS_URL; a malformed URL or sentinel list stops the boot', () => {
    assert.equal(loadConfig({}).redis, undefined);
    const redis = loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379/0' }).redis;
    assert.equal(redis?.url, 'redis://127.0.0.1:6379/0');
    assert.equal(redis?.keyPrefix, 'fedres:');
    assert.equal(redis?.timeoutMs, 100);
    assert.equal(redis?.retrySeconds, 5);
    assert.deepEqual(
      loadConfig({ REDIS_SENTINELS: '127.0.0.1:26379, [::1]:26380', REDIS_SENTINEL_NAME: 'p' })
        .redis?.sentinels,
      [
        { host: '127.0.0.1', port: 26379 },
        { host: '::1', port: 26380 },
      ],
    );
    failsOn({ REDIS_URL: 'not a url' }, 'REDIS_URL');
    failsOn({ REDIS_URL: 'http://127.0.0.1:6379' }, 'REDIS_URL');
    failsOn({ REDIS_SENTINELS: '127.0.0.1' }, 'REDIS_SENTINELS');
    failsOn({ REDIS_SENTINELS: 'host:99999' }, 'REDIS_SENTINELS');
    failsOn(
      { REDIS_URL: 'redis://127.0.0.1:6379', REDIS_SENTINELS: '127.0.0.1:26379' },
      'REDIS_SENTINELS',
    );
    failsOn({ REDIS_URL: 'redis://127.0.0.1', REDIS_KEY_PREFIX: 'has space' }, 'REDIS_KEY_PREFIX');
    failsOn({ REDIS_URL: 'redis://127.0.0.1', REDIS_TIMEOUT_MS: '0' }, 'REDIS_TIMEOUT_MS');
  });

  it('the crawl: off by default; its bounds checked; RESOLVE_LIVE always or never', () => {
    assert.equal(loadConfig({}).crawl, undefined);
    assert.equal(loadConfig({}).resolveLive, 'always');
    const crawl = loadConfig({ CRAWL: 'on', CRAWL_INTERVAL_SECONDS: '60' }).crawl;
    assert.equal(crawl?.intervalSeconds, 60);
    assert.equal(crawl?.concurrency, 8);
    assert.equal(crawl?.maxEntities, 50_000);
    failsOn({ CRAWL: 'yes' }, 'CRAWL');
    failsOn({ CRAWL: 'on', CRAWL_INTERVAL_SECONDS: '9' }, 'CRAWL_INTERVAL_SECONDS');
    failsOn({ CRAWL: 'on', CRAWL_CONCURRENCY: '0' }, 'CRAWL_CONCURRENCY');
    failsOn({ RESOLVE_LIVE: 'sometimes' }, 'RESOLVE_LIVE');
    assert.equal(loadConfig({ RESOLVE_LIVE: 'never' }).resolveLive, 'never');
    assert.equal(loadConfig({ RESOLVE_LIVE: 'authenticated' }).resolveLive, 'authenticated');
    failsOn({ COLLECTION_MAX_LIMIT: '0' }, 'COLLECTION_MAX_LIMIT');
  });

  it('derives the default entity id from PORT', () => {
    assert.equal(loadConfig({ PORT: '9000' }).entityId, 'http://localhost:9000');
  });

  it('stops at boot naming the variable of an invalid setting', () => {
    failsOn({ PORT: 'eighty' }, 'PORT');
    failsOn({ PORT: '70000' }, 'PORT');
    failsOn({ ALLOW_INSECURE_HTTP: 'yes please' }, 'ALLOW_INSECURE_HTTP');
    failsOn({ ALLOW_PRIVATE_NETWORK: '2' }, 'ALLOW_PRIVATE_NETWORK');
    failsOn({ LOG_LEVEL: 'loud' }, 'LOG_LEVEL');
    failsOn({ RESOLVER_ENTITY_ID: 'https://r.example?x=1' }, 'RESOLVER_ENTITY_ID');
    failsOn({ RESOLVER_ENTITY_ID: 'http://r.example' }, 'RESOLVER_ENTITY_ID');
    failsOn({ SIGNING_ALGORITHMS: 'RS256,none' }, 'SIGNING_ALGORITHMS');
    failsOn({ SIGNING_ALGORITHMS: 'HS256' }, 'SIGNING_ALGORITHMS');
    failsOn({ FETCH_TIMEOUT_MS: '-1' }, 'FETCH_TIMEOUT_MS');
    failsOn({ MAX_CHAIN_DEPTH: '0' }, 'MAX_CHAIN_DEPTH');
    failsOn(
      { RESOLVER_AUTHORITY_HINTS: 'https://ok.example, not-a-url' },
      'RESOLVER_AUTHORITY_HINTS',
    );
    failsOn({ TRUSTED_PROXIES: '10.0.0.1, proxy.internal' }, 'TRUSTED_PROXIES');
    failsOn({ TRUSTED_PROXIES: '10.0.0.0/8' }, 'TRUSTED_PROXIES');
    // A request may not be given less time than its headers alone.
    failsOn({ HEADERS_TIMEOUT_MS: '10000', REQUEST_TIMEOUT_MS: '5000' }, 'REQUEST_TIMEOUT_MS');
  });

  it('reads trusted proxies as a list of IP addresses', () => {
    assert.deepEqual(loadConfig({ TRUSTED_PROXIES: ' 10.0.0.1 , ::1 ' }).trustedProxies, [
      '10.0.0.1',
      '::1',
    ]);
  });

  it('accepts an http entity id only with ALLOW_INSECURE_HTTP', () => {
    assert.equal(
      loadConfig({ RESOLVER_ENTITY_ID: 'http://r.example', ALLOW_INSECURE_HTTP: 'true' }).entityId,
      'http://r.example',
    );
  });

  it('parses lists and switches', () => {
    const config = loadConfig({
      RESOLVER_AUTHORITY_HINTS: 'https://a.example, https://b.example',
      SIGNING_ALGORITHMS: 'ES256, PS256',
      ALLOW_PRIVATE_NETWORK: '1',
    });
    assert.deepEqual(config.authorityHints, ['https://a.example', 'https://b.example']);
    assert.deepEqual(config.signingAlgorithms, ['ES256', 'PS256']);
    assert.equal(config.allowPrivateNetwork, true);
  });
});
