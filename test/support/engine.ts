/**
 * The engine wired as the composition root wires it, over an in-memory federation and with a
 * clock the test moves: no socket, no container. Unit tests of the engine's use cases use it.
 */
import {
  Admission,
  CachingStatementSource,
  ResolutionService,
  ResolverEngine,
  ResolverIdentity,
  TrustMarkService,
  type CachedStatement,
  type ResolutionEntry,
  type ResolutionServiceOptions,
  type StatusAnswer,
  type StatusCheckMode,
  type TrustAnchorSource,
} from '../../src/engine/index.js';
import { TrustChainResolver, type TrustAnchor } from '../../src/federation/index.js';
import { NodeSignatureVerifier } from '../../src/infrastructure/keys/node-signature-verifier.js';
import { MemoryTier } from '../../src/infrastructure/cache/memory-tier.js';
import { JwksSigner } from '../../src/infrastructure/keys/signing-keys.js';
import type { MemoryFederation } from '../../src/testbed/index.js';
import { NOW } from './statements.js';

/** A clock the test sets and moves by hand (seconds). */
export interface TestClock {
  now(): number;
  set(seconds: number): void;
  advance(seconds: number): void;
}

/** A clock starting at `start`. */
export function testClock(start = NOW): TestClock {
  let now = start;
  return {
    now: () => now,
    set: (seconds) => (now = seconds),
    advance: (seconds) => (now += seconds),
  };
}

/** Trust anchors held in memory; `replace` stands for a reload. */
export class TestAnchors implements TrustAnchorSource {
  #anchors: readonly TrustAnchor[];
  #version = 1;

  constructor(anchors: readonly TrustAnchor[]) {
    this.#anchors = anchors;
  }

  get version(): number {
    return this.#version;
  }

  get(entityId: string): TrustAnchor | undefined {
    return this.#anchors.find((anchor) => anchor.entity_id === entityId);
  }

  all(): readonly TrustAnchor[] {
    return this.#anchors;
  }

  replace(anchors: readonly TrustAnchor[]): void {
    this.#anchors = anchors;
    this.#version++;
  }
}

/** Settings of {@link createTestEngine}. */
export interface TestEngineOptions extends Partial<ResolutionServiceOptions> {
  readonly clock?: TestClock;
  readonly maxConcurrentResolutions?: number;
  readonly clientColdRate?: number;
  readonly clientColdBurst?: number;
  readonly statusCheck?: StatusCheckMode;
  readonly statusCacheSeconds?: number;
  readonly maxTrustMarks?: number;
  readonly negativeStatementTtlSeconds?: number;
}

/** The engine over `federation`, trusting the entities named in `anchors`. */
export async function createTestEngine(
  federation: MemoryFederation,
  anchorNames: readonly string[],
  options: TestEngineOptions = {},
) {
  const clock = options.clock ?? testClock();
  const anchors = new TestAnchors(anchorNames.map((name) => federation.trustAnchor(name)));
  const verifier = new NodeSignatureVerifier();
  const statementTier = new MemoryTier<CachedStatement>({ maxEntries: 1000 });
  const statements = new CachingStatementSource({
    upstream: federation,
    tier: statementTier,
    clock,
    options: {
      maxTtlSeconds: 3600,
      negativeTtlSeconds: options.negativeStatementTtlSeconds ?? 5,
      transientTtlSeconds: 2,
    },
  });
  const resolver = new TrustChainResolver({
    source: statements,
    clock,
    validation: { verifier },
  });
  const trustMarks = new TrustMarkService({
    statusSource: federation,
    statusTier: new MemoryTier<StatusAnswer>({ maxEntries: 1000 }),
    clock,
    options: {
      verification: { verifier },
      statusCheck: options.statusCheck ?? 'when-no-exp',
      statusCacheSeconds: options.statusCacheSeconds ?? 60,
      maxTrustMarks: options.maxTrustMarks ?? 16,
    },
  });
  const resolved = new MemoryTier<ResolutionEntry>({ maxEntries: 1000 });
  const failed = new MemoryTier<ResolutionEntry>({ maxEntries: 1000 });
  const resolutions = new ResolutionService({
    resolver,
    anchors,
    resolved,
    failed,
    statements,
    trustMarks,
    clock,
    admission: new Admission(
      {
        clientRate: options.clientColdRate ?? 0,
        clientBurst: options.clientColdBurst ?? 20,
        slots: options.maxConcurrentResolutions ?? 10,
        maxWaitMs: 200,
        maxWaiting: 40,
      },
      clock,
    ),
    options: {
      resolutionTimeoutMs: options.resolutionTimeoutMs ?? 5000,
      negativeTtlSeconds: options.negativeTtlSeconds ?? 5,
      transientTtlSeconds: options.transientTtlSeconds ?? 2,
      refreshAheadSeconds: options.refreshAheadSeconds ?? 60,
    },
  });
  const signer = await JwksSigner.ephemeral();
  const identity = new ResolverIdentity({
    signer,
    clock,
    responses: new MemoryTier<string>({ maxEntries: 1000 }),
    identity: {
      entityId: 'https://resolver.test',
      organizationName: 'test resolver',
      authorityHints: [],
    },
  });
  const engine = new ResolverEngine({ resolutions, identity, anchors });
  return { engine, resolutions, identity, anchors, clock, statementTier, resolved, failed, signer };
}
