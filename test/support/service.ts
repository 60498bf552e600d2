/**
 * Integration harness: a testbed federation on loopback and the real resolver service (port 0)
 * configured with some of its entities as trust anchors. Everything stops in `close()`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { pino, type Logger } from 'pino';
import { loadConfig } from '../../src/config/config.js';
import { startServer, type RunningService } from '../../src/server.js';
import { startTestbed, type Testbed, type Topology } from '../../src/testbed/index.js';

/** A federation plus a resolver in front of it. */
export interface Harness {
  readonly testbed: Testbed;
  readonly resolver: RunningService;
  /** The resolver's TRUST_ANCHORS_DIR (a temporary folder). */
  readonly anchorsDir: string;
  /** GET `path` on the resolver with query parameters (arrays repeat a parameter). */
  get(path: string, params?: Record<string, string | readonly string[]>): Promise<Response>;
  /** Query parameters of a resolve request for testbed names. */
  query(
    subject: string,
    anchors?: string | readonly string[],
    extra?: Record<string, string | readonly string[]>,
  ): Record<string, string | readonly string[]>;
  close(): Promise<void>;
}

/** The Entity Identifier the resolver under test uses. */
export const RESOLVER_ID = 'https://resolver.test.example';

/** A resolver service configured for a testbed: loopback allowed, quiet, anchors in a temp folder. */
export interface TestResolver {
  readonly service: RunningService;
  /** Its TRUST_ANCHORS_DIR. */
  readonly anchorsDir: string;
  /** Stops the service and removes the folder. */
  close(): Promise<void>;
}

/** Starts a resolver trusting the testbed entities named in `anchors` (plus `env` settings). */
export async function startTestResolver(
  testbed: Testbed,
  anchors: readonly string[],
  env: Readonly<Record<string, string>> = {},
  logger: Logger = pino({ level: 'silent' }),
): Promise<TestResolver> {
  const dir = mkdtempSync(join(tmpdir(), 'trust-anchors-'));
  try {
    for (const name of anchors)
      writeFileSync(join(dir, `${name}.json`), testbed.trustAnchorFile(name));
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      RESOLVER_ENTITY_ID: RESOLVER_ID,
      TRUST_ANCHORS_DIR: dir,
      ALLOW_INSECURE_HTTP: 'true',
      ALLOW_PRIVATE_NETWORK: 'true',
      LOG_LEVEL: 'silent',
      // A testbed serves every entity from one origin and every test request comes from one
      // address: the per-client budget and the per-origin circuit are tested on their own.
      CLIENT_COLD_RATE: '0',
      CIRCUIT_BREAKER_FAILURES: '0',
      ...env,
    });
    const service = await startServer(config, { logger });
    return {
      service,
      anchorsDir: dir,
      async close() {
        await service.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Starts `topology` and a resolver trusting the entities named in `anchors`. */
export async function startHarness(
  topology: Topology,
  anchors: readonly string[],
  env: Record<string, string> = {},
): Promise<Harness> {
  const testbed = await startTestbed(topology);
  let started: TestResolver;
  try {
    started = await startTestResolver(testbed, anchors, env);
  } catch (error) {
    await testbed.close();
    throw error;
  }
  const resolver = started.service;
  const dir = started.anchorsDir;
  const defaultAnchor = anchors[0] ?? '';
  return {
    testbed,
    resolver,
    anchorsDir: dir,
    get(path, params = {}) {
      const search = new URLSearchParams();
      for (const [name, value] of Object.entries(params)) {
        for (const v of typeof value === 'string' ? [value] : value) search.append(name, v);
      }
      const qs = search.toString();
      return fetch(`${resolver.url}${path}${qs === '' ? '' : `?${qs}`}`);
    },
    query(subject, anchor = defaultAnchor, extra = {}) {
      const names = typeof anchor === 'string' ? [anchor] : anchor;
      return {
        sub: testbed.entityId(subject),
        trust_anchor: names.map((name) => testbed.entityId(name)),
        ...extra,
      };
    },
    async close() {
      await started.close();
      await testbed.close();
    },
  };
}

/** Header and claims of a JWT response body, without verification. */
export function peek(jwt: string): {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
} {
  return { header: decodeProtectedHeader(jwt), claims: decodeJwt(jwt) };
}
