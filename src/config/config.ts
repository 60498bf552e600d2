/**
 * Service configuration from the environment: validated once at boot, secure defaults, frozen.
 * An invalid setting stops the service with a message naming the variable (docs/architecture.md).
 */
import { isIP } from 'node:net';
import { DEFAULT_SIGNING_ALGORITHMS } from '../federation/constants.js';
import { isEntityIdentifier } from '../federation/entity-id.js';
import { assertSigningAlgorithms } from '../federation/entity-statement.js';
import { TOLERANCE_NAMES, isToleranceName, type ToleranceName } from '../federation/tolerances.js';
import type { CrawlSettings } from '../engine/crawler.js';
import { STATUS_CHECK_MODES, type StatusCheckMode } from '../engine/trust-mark-service.js';

/** Log levels pino understands. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/** The validated configuration of one resolver process. */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly entityId: string;
  readonly organizationName: string;
  readonly authorityHints: readonly string[];
  readonly trustAnchorsDir: string;
  readonly keysFile: string | undefined;
  readonly allowInsecureHttp: boolean;
  readonly allowPrivateNetwork: boolean;
  readonly logLevel: LogLevel;
  readonly signingAlgorithms: readonly string[];
  readonly clockSkewSeconds: number;
  readonly fetchTimeoutMs: number;
  readonly maxResponseBytes: number;
  readonly resolutionTimeoutMs: number;
  readonly maxChainDepth: number;
  readonly maxAuthorityHints: number;
  readonly maxFetchesPerResolution: number;
  readonly maxConcurrentResolutions: number;
  readonly resolutionWorkers: number;
  readonly resolutionQueueTimeoutMs: number;
  readonly clientColdRate: number;
  readonly clientColdBurst: number;
  readonly trustedProxies: readonly string[];
  readonly cacheMaxBytes: number;
  readonly transientFailureTtlSeconds: number;
  readonly maxUpstreamConnectionsPerOrigin: number;
  readonly fetchQueueTimeoutMs: number;
  readonly circuitBreakerFailures: number;
  readonly circuitBreakerOpenSeconds: number;
  readonly maxConnections: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly shutdownGraceMs: number;
  readonly metricsToken: string | undefined;
  readonly adminToken: string | undefined;
  /** The crawl, or undefined when CRAWL is off. */
  readonly crawl: Omit<CrawlSettings, 'refreshAheadSeconds' | 'allowHttp'> | undefined;
  /** Whether subjects not yet cached are resolved live (§18.1). */
  readonly resolveLive: 'always' | 'never' | 'authenticated';
  readonly collectionMaxLimit: number;
  /** Whether the explorer page is served at /explorer (and / redirects to it). */
  readonly explorer: boolean;
  /** The shared tier; undefined without REDIS_URL and REDIS_SENTINELS. */
  readonly redis:
    | {
        readonly url?: string;
        readonly sentinels?: ReadonlyArray<{ readonly host: string; readonly port: number }>;
        readonly sentinelName: string;
        readonly keyPrefix: string;
        readonly timeoutMs: number;
        readonly retrySeconds: number;
      }
    | undefined;
  readonly statementCacheMaxEntries: number;
  readonly statementCacheMaxTtlSeconds: number;
  readonly resolutionCacheMaxEntries: number;
  readonly negativeCacheTtlSeconds: number;
  readonly refreshAheadSeconds: number;
  readonly trustMarkStatusCheck: StatusCheckMode;
  readonly trustMarkStatusCacheSeconds: number;
  readonly trustMarkTyps: readonly string[];
  /** Deviations of deployed software accepted (docs/tolerances.md); empty: the Final only. */
  readonly tolerate: readonly ToleranceName[];
  readonly maxTrustMarks: number;
  /** Settings that work but should be changed, one sentence each, logged at boot. */
  readonly deprecations: readonly string[];
}

/** A setting that cannot be used; the message names the variable. */
export class ConfigError extends Error {
  readonly variable: string;

  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

/** Documentation of every setting: variable, default and meaning (the README table mirrors it). */
export const SETTINGS = {
  PORT: ['8080', 'TCP port to listen on'],
  HOST: ['0.0.0.0', 'address to listen on'],
  RESOLVER_ENTITY_ID: [
    'http://localhost:$PORT',
    "the resolver's own Entity Identifier (iss of its responses)",
  ],
  RESOLVER_ORGANIZATION_NAME: [
    'federation-resolver',
    'organization_name in its Entity Configuration',
  ],
  RESOLVER_AUTHORITY_HINTS: [
    '(none)',
    'comma-separated superiors of the resolver, published as authority_hints',
  ],
  TRUST_ANCHORS_DIR: ['./trust-anchors', 'folder of trust anchor files (*.json)'],
  RESOLVER_KEYS_FILE: [
    '(ephemeral key)',
    'private JWK Set used to sign; the last key signs, all are published',
  ],
  ALLOW_INSECURE_HTTP: [
    'false',
    'accept http:// Entity Identifiers and endpoints (tests and demos only)',
  ],
  ALLOW_PRIVATE_NETWORK: ['false', 'allow fetches to loopback, private and link-local addresses'],
  LOG_LEVEL: ['info', `one of ${LOG_LEVELS.join(', ')}`],
  SIGNING_ALGORITHMS: [
    DEFAULT_SIGNING_ALGORITHMS.join(','),
    'accepted JWS algorithms of statements (never none or HMAC)',
  ],
  CLOCK_SKEW_SECONDS: ['60', 'leeway applied to iat and exp'],
  FETCH_TIMEOUT_MS: ['3000', 'timeout of one upstream request'],
  MAX_RESPONSE_BYTES: ['262144', 'largest upstream response body accepted'],
  RESOLUTION_TIMEOUT_MS: ['10000', 'deadline of one resolution (all of its fetches)'],
  MAX_CHAIN_DEPTH: ['6', 'most superiors above the subject on one path'],
  MAX_AUTHORITY_HINTS: ['10', 'most authority_hints followed per entity'],
  MAX_FETCHES_PER_RESOLUTION: ['64', 'most statements requested by one resolution'],
  MAX_CONCURRENT_RESOLUTIONS: [
    '64',
    'most cold resolutions in progress; beyond it requests wait for a fair turn',
  ],
  RESOLUTION_WORKERS: [
    '0',
    'worker threads that run cold resolutions off the event loop, so warm answers stay fast during crawls and cold bursts (0: none)',
  ],
  RESOLUTION_QUEUE_TIMEOUT_MS: [
    '5000',
    'longest wait for a cold-resolution slot when all are taken; then 503 overloaded',
  ],
  CLIENT_COLD_RATE: [
    '10',
    'new (uncached) resolutions one client may start per second; 0 turns the budget off',
  ],
  CLIENT_COLD_BURST: ['20', 'new resolutions one client may start at once'],
  TRUSTED_PROXIES: [
    '(none)',
    'comma-separated addresses of reverse proxies whose X-Forwarded-For names the client',
  ],
  CACHE_MAX_BYTES: [
    '268435456',
    'memory all caches may hold together (statements, resolutions, responses, signatures, keys)',
  ],
  TRANSIENT_FAILURE_TTL_SECONDS: [
    '2',
    'how long a failure a retry may cure is served again (at most NEGATIVE_CACHE_TTL_SECONDS)',
  ],
  MAX_UPSTREAM_CONNECTIONS_PER_ORIGIN: [
    '16',
    'most concurrent requests to one upstream origin; further ones wait for a connection',
  ],
  FETCH_QUEUE_TIMEOUT_MS: [
    '5000',
    'longest wait for a connection to one upstream origin (not part of FETCH_TIMEOUT_MS)',
  ],
  CIRCUIT_BREAKER_FAILURES: [
    '5',
    'transient failures of one upstream origin within 10 s, outnumbering its successes, that open its circuit; 0 turns it off',
  ],
  CIRCUIT_BREAKER_OPEN_SECONDS: [
    '30',
    'how long an open circuit refuses requests to its origin before one is tried again',
  ],
  MAX_CONNECTIONS: ['4096', 'most client connections held at once; further ones are refused'],
  HEADERS_TIMEOUT_MS: ['10000', 'time a client has to send the request headers'],
  REQUEST_TIMEOUT_MS: ['30000', 'time a client has to send a whole request'],
  KEEP_ALIVE_TIMEOUT_MS: ['5000', 'how long an idle client connection is kept open'],
  SHUTDOWN_GRACE_MS: [
    '10000',
    'on SIGTERM or SIGINT, how long requests in progress may take before connections close',
  ],
  METRICS_TOKEN: ['(none)', 'when set, /metrics answers only Authorization: Bearer <token>'],
  ADMIN_TOKEN: [
    '(none)',
    'when set, the admin API (POST /admin/cache/purge) answers Authorization: Bearer <token>; unset, it does not exist',
  ],
  REDIS_URL: [
    '(none)',
    'redis:// or rediss:// URL of the tier shared by every replica; unset, each process caches alone',
  ],
  REDIS_SENTINELS: [
    '(none)',
    'comma-separated host:port of Redis Sentinels (instead of REDIS_URL); the primary is followed across failovers',
  ],
  REDIS_SENTINEL_NAME: ['mymaster', 'name of the primary the sentinels monitor'],
  REDIS_KEY_PREFIX: [
    'fedres:',
    'prefix of every shared key and channel: deployments with different prefixes share one Redis safely',
  ],
  REDIS_TIMEOUT_MS: ['100', 'longest wait for one Redis command'],
  CRAWL: [
    'off',
    'on: crawl every trust anchor top-down through its list endpoints (first pass at boot) and keep the members resolved',
  ],
  CRAWL_INTERVAL_SECONDS: [
    '3600',
    'seconds between two crawl passes over one trust anchor (at least 10)',
  ],
  CRAWL_CONCURRENCY: ['8', 'listings and resolutions a crawl pass runs at once'],
  CRAWL_MAX_ENTITIES: ['50000', 'most members crawled per trust anchor'],
  CRAWL_MAX_DEPTH: ['8', 'most levels of intermediates below a trust anchor that are listed'],
  CRAWL_MAX_LIST_ENTRIES: ['100000', 'most entries read from one subordinate listing'],
  CRAWL_PASS_TIMEOUT_SECONDS: ['1800', 'longest time of one crawl pass over one trust anchor'],
  RESOLVE_LIVE: [
    'always',
    'always: resolve unknown subjects live; never: answer only from what the crawl and earlier resolutions cached; authenticated: live only for callers of POST /resolve with a private_key_jwt client assertion (§18.1, §8.8)',
  ],
  COLLECTION_MAX_LIMIT: [
    '1000',
    'most entities on one page of /collection (also the page size when limit is absent)',
  ],
  EXPLORER: [
    'on',
    'on: serve the explorer page at /explorer (and redirect / to it) from the explorer/ folder next to dist/, which must be there or the service does not start; off: neither exists',
  ],
  REDIS_RETRY_SECONDS: ['5', 'how often a Redis that stopped answering is tried again'],
  STATEMENT_CACHE_MAX_ENTRIES: ['10000', 'entries of the raw statement cache'],
  STATEMENT_CACHE_MAX_TTL_SECONDS: [
    '3600',
    'longest time a statement is cached (never past its exp)',
  ],
  RESOLUTION_CACHE_MAX_ENTRIES: ['10000', 'entries of the resolved-result cache'],
  NEGATIVE_CACHE_TTL_SECONDS: ['10', 'how long failures are cached'],
  REFRESH_AHEAD_SECONDS: [
    '60',
    'refresh a cached resolution in the background when it is served this close to expiry',
  ],
  TRUST_MARK_STATUS_CHECK: [
    'when-no-exp',
    `when to ask a trust mark issuer's status endpoint: ${STATUS_CHECK_MODES.join(', ')}`,
  ],
  TRUST_MARK_STATUS_CACHE_SECONDS: [
    '60',
    'how long a status answer is reused; trust marks are re-evaluated at least this often',
  ],
  TRUST_MARK_TYPS: [
    '(none)',
    'comma-separated JWT typ values accepted for trust marks besides trust-mark+jwt',
  ],
  MAX_TRUST_MARKS: [
    '16',
    'most trust marks of one entity evaluated (each may need an issuer resolution)',
  ],
  TOLERATE: [
    '(none)',
    `comma-separated tolerances of deployed software that bends the spec (docs/tolerances.md): ${TOLERANCE_NAMES.join(', ')}`,
  ],
  ACCEPT_LEGACY_TRUST_MARK_CLAIMS: [
    'false',
    'deprecated alias of TOLERATE=legacy-trust-mark-claims',
  ],
} as const satisfies Record<string, readonly [string, string]>;

type Env = Readonly<Record<string, string | undefined>>;

function read(env: Env, name: keyof typeof SETTINGS): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function integer(env: Env, name: keyof typeof SETTINGS, min: number, max: number): number {
  const raw = read(env, name) ?? SETTINGS[name][0];
  if (!/^\d+$/.test(raw))
    throw new ConfigError(name, `must be a whole number, got ${JSON.stringify(raw)}`);
  const value = Number(raw);
  if (value < min || value > max)
    throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function boolean(env: Env, name: keyof typeof SETTINGS): boolean {
  const raw = (read(env, name) ?? SETTINGS[name][0]).toLowerCase();
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(name, `must be true or false, got ${JSON.stringify(raw)}`);
}

function entityIdList(env: Env, name: keyof typeof SETTINGS, allowHttp: boolean): string[] {
  const raw = read(env, name);
  if (raw === undefined) return [];
  const ids = raw
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id.length > 0);
  for (const id of ids) {
    if (!isEntityIdentifier(id, { allowHttp }))
      throw new ConfigError(name, `${JSON.stringify(id)} is not an Entity Identifier`);
  }
  return ids;
}

function statusCheckMode(env: Env): StatusCheckMode {
  const raw = read(env, 'TRUST_MARK_STATUS_CHECK') ?? SETTINGS.TRUST_MARK_STATUS_CHECK[0];
  const mode = STATUS_CHECK_MODES.find((candidate) => candidate === raw);
  if (mode === undefined)
    throw new ConfigError(
      'TRUST_MARK_STATUS_CHECK',
      `must be one of ${STATUS_CHECK_MODES.join(', ')}`,
    );
  return mode;
}

/** A comma-separated list of IP addresses (IPv4 or IPv6). */
function addressList(env: Env, name: keyof typeof SETTINGS): string[] {
  const addresses = list(env, name);
  for (const address of addresses) {
    if (isIP(address) === 0) {
      throw new ConfigError(name, `${JSON.stringify(address)} is not an IP address`);
    }
  }
  return addresses;
}

function list(env: Env, name: keyof typeof SETTINGS): string[] {
  return (read(env, name) ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/** The shared tier's settings: REDIS_URL or REDIS_SENTINELS, checked at boot. */
function redisSettings(env: Env): Config['redis'] {
  const url = read(env, 'REDIS_URL');
  const sentinels = list(env, 'REDIS_SENTINELS').map((entry) => {
    const match = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(entry);
    const port = Number(match?.[2]);
    if (match?.[1] === undefined || !(port >= 1 && port <= 65535)) {
      throw new ConfigError('REDIS_SENTINELS', `${JSON.stringify(entry)} is not host:port`);
    }
    return { host: match[1], port };
  });
  if (url === undefined && sentinels.length === 0) return undefined;
  if (url !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ConfigError('REDIS_URL', `${JSON.stringify(url)} is not a URL`);
    }
    if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
      throw new ConfigError('REDIS_URL', 'must be a redis:// or rediss:// URL');
    }
    if (sentinels.length > 0) {
      throw new ConfigError('REDIS_SENTINELS', 'set either REDIS_URL or REDIS_SENTINELS, not both');
    }
  }
  const keyPrefix = read(env, 'REDIS_KEY_PREFIX') ?? SETTINGS.REDIS_KEY_PREFIX[0];
  if (!/^[\x21-\x7e]{1,64}$/.test(keyPrefix)) {
    throw new ConfigError(
      'REDIS_KEY_PREFIX',
      'must be 1 to 64 printable characters without spaces',
    );
  }
  return {
    ...(url === undefined ? { sentinels } : { url }),
    sentinelName: read(env, 'REDIS_SENTINEL_NAME') ?? SETTINGS.REDIS_SENTINEL_NAME[0],
    keyPrefix,
    timeoutMs: integer(env, 'REDIS_TIMEOUT_MS', 1, 60_000),
    retrySeconds: integer(env, 'REDIS_RETRY_SECONDS', 1, 3600),
  };
}

/** One of `choices`, or a ConfigError naming them. */
function choice<T extends string>(env: Env, name: keyof typeof SETTINGS, choices: readonly T[]): T {
  const raw = read(env, name) ?? SETTINGS[name][0];
  const found = choices.find((candidate) => candidate === raw);
  if (found === undefined) throw new ConfigError(name, `must be one of ${choices.join(', ')}`);
  return found;
}

/** The crawl settings, when CRAWL is on. */
function crawlSettings(env: Env): Config['crawl'] {
  if (choice(env, 'CRAWL', ['off', 'on'] as const) === 'off') return undefined;
  return {
    intervalSeconds: integer(env, 'CRAWL_INTERVAL_SECONDS', 10, 30 * 86_400),
    concurrency: integer(env, 'CRAWL_CONCURRENCY', 1, 1000),
    maxEntities: integer(env, 'CRAWL_MAX_ENTITIES', 1, 10_000_000),
    maxDepth: integer(env, 'CRAWL_MAX_DEPTH', 1, 32),
    maxListEntries: integer(env, 'CRAWL_MAX_LIST_ENTRIES', 1, 10_000_000),
    passTimeoutSeconds: integer(env, 'CRAWL_PASS_TIMEOUT_SECONDS', 1, 86_400),
  };
}

/** The crawl settings of `CRAWL=on` with every other setting at its default. */
export const DEFAULT_CRAWL_SETTINGS = crawlSettings({ CRAWL: 'on' }) as NonNullable<
  Config['crawl']
>;

/** `TOLERATE`, with the deprecated `ACCEPT_LEGACY_TRUST_MARK_CLAIMS` folded in. */
function tolerances(env: Env, deprecations: string[]): ToleranceName[] {
  const names: ToleranceName[] = [];
  for (const name of list(env, 'TOLERATE')) {
    if (!isToleranceName(name)) {
      throw new ConfigError(
        'TOLERATE',
        `${JSON.stringify(name)} is not a tolerance; known: ${TOLERANCE_NAMES.join(', ')}`,
      );
    }
    if (!names.includes(name)) names.push(name);
  }
  if (boolean(env, 'ACCEPT_LEGACY_TRUST_MARK_CLAIMS')) {
    deprecations.push(
      'ACCEPT_LEGACY_TRUST_MARK_CLAIMS is deprecated: use TOLERATE=legacy-trust-mark-claims',
    );
    if (!names.includes('legacy-trust-mark-claims')) names.push('legacy-trust-mark-claims');
  }
  return names;
}

/** Reads and validates the configuration; throws {@link ConfigError} naming the bad variable. */
export function loadConfig(env: Env): Config {
  const port = integer(env, 'PORT', 0, 65535);
  const allowInsecureHttp = boolean(env, 'ALLOW_INSECURE_HTTP');
  const entityId = read(env, 'RESOLVER_ENTITY_ID') ?? `http://localhost:${port}`;
  // The resolver's own identifier may be http only when that is explicitly allowed, or when it is
  // the documented local default.
  const defaultId = read(env, 'RESOLVER_ENTITY_ID') === undefined;
  if (!isEntityIdentifier(entityId, { allowHttp: allowInsecureHttp || defaultId })) {
    throw new ConfigError(
      'RESOLVER_ENTITY_ID',
      `${JSON.stringify(entityId)} is not an https URL without query or fragment`,
    );
  }
  const logLevel = read(env, 'LOG_LEVEL') ?? SETTINGS.LOG_LEVEL[0];
  if (!isLogLevel(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const signingAlgorithms = list(env, 'SIGNING_ALGORITHMS');
  try {
    // The core's own check: asymmetric only, never none or HMAC (§1.1).
    assertSigningAlgorithms(
      signingAlgorithms.length === 0 ? DEFAULT_SIGNING_ALGORITHMS : signingAlgorithms,
    );
  } catch (error) {
    throw new ConfigError(
      'SIGNING_ALGORITHMS',
      error instanceof Error ? error.message : 'is not usable',
    );
  }
  const deprecations: string[] = [];
  const config: Config = {
    port,
    host: read(env, 'HOST') ?? SETTINGS.HOST[0],
    entityId,
    organizationName:
      read(env, 'RESOLVER_ORGANIZATION_NAME') ?? SETTINGS.RESOLVER_ORGANIZATION_NAME[0],
    authorityHints: entityIdList(env, 'RESOLVER_AUTHORITY_HINTS', allowInsecureHttp),
    trustAnchorsDir: read(env, 'TRUST_ANCHORS_DIR') ?? SETTINGS.TRUST_ANCHORS_DIR[0],
    keysFile: read(env, 'RESOLVER_KEYS_FILE'),
    allowInsecureHttp,
    allowPrivateNetwork: boolean(env, 'ALLOW_PRIVATE_NETWORK'),
    logLevel,
    signingAlgorithms:
      signingAlgorithms.length === 0 ? DEFAULT_SIGNING_ALGORITHMS : signingAlgorithms,
    clockSkewSeconds: integer(env, 'CLOCK_SKEW_SECONDS', 0, 3600),
    fetchTimeoutMs: integer(env, 'FETCH_TIMEOUT_MS', 10, 120_000),
    maxResponseBytes: integer(env, 'MAX_RESPONSE_BYTES', 1024, 16 * 1024 * 1024),
    resolutionTimeoutMs: integer(env, 'RESOLUTION_TIMEOUT_MS', 10, 600_000),
    maxChainDepth: integer(env, 'MAX_CHAIN_DEPTH', 1, 32),
    maxAuthorityHints: integer(env, 'MAX_AUTHORITY_HINTS', 1, 100),
    maxFetchesPerResolution: integer(env, 'MAX_FETCHES_PER_RESOLUTION', 1, 10_000),
    maxConcurrentResolutions: integer(env, 'MAX_CONCURRENT_RESOLUTIONS', 1, 100_000),
    resolutionWorkers: integer(env, 'RESOLUTION_WORKERS', 0, 64),
    resolutionQueueTimeoutMs: integer(env, 'RESOLUTION_QUEUE_TIMEOUT_MS', 1, 600_000),
    clientColdRate: integer(env, 'CLIENT_COLD_RATE', 0, 1_000_000),
    clientColdBurst: integer(env, 'CLIENT_COLD_BURST', 1, 1_000_000),
    trustedProxies: addressList(env, 'TRUSTED_PROXIES'),
    cacheMaxBytes: integer(env, 'CACHE_MAX_BYTES', 1024 * 1024, 64 * 1024 ** 3),
    transientFailureTtlSeconds: integer(env, 'TRANSIENT_FAILURE_TTL_SECONDS', 0, 3600),
    maxUpstreamConnectionsPerOrigin: integer(env, 'MAX_UPSTREAM_CONNECTIONS_PER_ORIGIN', 1, 1024),
    fetchQueueTimeoutMs: integer(env, 'FETCH_QUEUE_TIMEOUT_MS', 1, 600_000),
    circuitBreakerFailures: integer(env, 'CIRCUIT_BREAKER_FAILURES', 0, 10_000),
    circuitBreakerOpenSeconds: integer(env, 'CIRCUIT_BREAKER_OPEN_SECONDS', 1, 3600),
    maxConnections: integer(env, 'MAX_CONNECTIONS', 1, 1_000_000),
    headersTimeoutMs: integer(env, 'HEADERS_TIMEOUT_MS', 100, 600_000),
    requestTimeoutMs: integer(env, 'REQUEST_TIMEOUT_MS', 100, 3_600_000),
    keepAliveTimeoutMs: integer(env, 'KEEP_ALIVE_TIMEOUT_MS', 0, 600_000),
    shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_MS', 0, 3_600_000),
    metricsToken: read(env, 'METRICS_TOKEN'),
    adminToken: read(env, 'ADMIN_TOKEN'),
    crawl: crawlSettings(env),
    resolveLive: choice(env, 'RESOLVE_LIVE', ['always', 'never', 'authenticated'] as const),
    collectionMaxLimit: integer(env, 'COLLECTION_MAX_LIMIT', 1, 100_000),
    explorer: choice(env, 'EXPLORER', ['on', 'off'] as const) === 'on',
    redis: redisSettings(env),
    statementCacheMaxEntries: integer(env, 'STATEMENT_CACHE_MAX_ENTRIES', 1, 10_000_000),
    statementCacheMaxTtlSeconds: integer(env, 'STATEMENT_CACHE_MAX_TTL_SECONDS', 1, 30 * 86_400),
    resolutionCacheMaxEntries: integer(env, 'RESOLUTION_CACHE_MAX_ENTRIES', 1, 10_000_000),
    negativeCacheTtlSeconds: integer(env, 'NEGATIVE_CACHE_TTL_SECONDS', 0, 3600),
    refreshAheadSeconds: integer(env, 'REFRESH_AHEAD_SECONDS', 0, 86_400),
    trustMarkStatusCheck: statusCheckMode(env),
    trustMarkStatusCacheSeconds: integer(env, 'TRUST_MARK_STATUS_CACHE_SECONDS', 1, 86_400),
    trustMarkTyps: list(env, 'TRUST_MARK_TYPS'),
    tolerate: tolerances(env, deprecations),
    maxTrustMarks: integer(env, 'MAX_TRUST_MARKS', 0, 1000),
    deprecations,
  };
  if (config.requestTimeoutMs < config.headersTimeoutMs) {
    throw new ConfigError(
      'REQUEST_TIMEOUT_MS',
      `must be at least HEADERS_TIMEOUT_MS (${config.headersTimeoutMs})`,
    );
  }
  return Object.freeze(config);
}
