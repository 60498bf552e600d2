/**
 * What every test federation is, whoever serves it: the topology indexed, its keys, its signed
 * statements with their faults, its endpoints, the request log, and the controls a test uses to
 * change it at run time. The loopback HTTP server (federation-server.ts) and the in-memory source
 * (memory-source.ts) both sit on one of these.
 */
import type { Metadata } from '../federation/metadata-policy/types.js';
import type { TrustAnchor } from '../federation/types.js';
import { createEntityUrls, type EntityUrls } from './entity-urls.js';
import { FederationEndpoints } from './federation-endpoints.js';
import { KeyRing } from './key-ring.js';
import { MemoryRequestLog, type RequestLog } from './request-log.js';
import { StatementStore } from './statement-store.js';
import type {
  FaultTarget,
  StatementFaults,
  Topology,
  TrustMarkFaults,
  TrustMarkStatus,
  TrustMarkStatusFaults,
} from './topology.js';
import { signJwt } from './keys.js';
import { DEFAULT_ENTITY_ALG, indexTopology, type TopologyIndex } from './topology-index.js';

/** Options of {@link FederationControls.rotateKey}. */
export interface RotateKeyOptions {
  /** Keep the previous keys in the entity's published JWK Set (§11.2 rollover). Default false. */
  readonly keepOld?: boolean;
}

/** What a test can ask of and change in a test federation, however it is served. */
export interface FederationControls {
  /** Base URL of the federation; every Entity Identifier is `<url>/<name>`. */
  readonly url: string;
  /** Entity Identifier of the entity `name`: `<url>/<name>`. */
  entityId(name: string): string;
  /** `name` as a configured Trust Anchor: its identifier and its currently published keys. */
  trustAnchor(name: string): TrustAnchor;
  /** JSON text of a `trust-anchors/*.json` file for `name`: `{ entity_id, jwks: { keys } }`. */
  trustAnchorFile(name: string): string;
  /**
   * The Entity Configuration `name` serves, signature faults included (also when it does not
   * publish it). Response faults (`status`, `body`, `redirectTo`, …) do not apply here.
   */
  entityConfiguration(name: string): Promise<string>;
  /** The Subordinate Statement `issuer` serves about `subject` (as for entityConfiguration). */
  subordinateStatement(issuer: string, subject: string): Promise<string>;
  /**
   * Replaces the `metadata` of `name`'s Entity Configuration, as if the topology had said it
   * (placeholders allowed); `undefined` goes back to the topology's. Takes effect at once. For
   * metadata only known once the federation runs, such as the discovery document of an
   * application mounted under the entity (`Testbed.mount`).
   */
  setMetadata(name: string, metadata: Metadata | undefined): void;
  /** Replaces the faults of one statement; `undefined` clears them. Takes effect at once. */
  setFaults(target: FaultTarget, faults: StatementFaults | undefined): void;
  /**
   * Gives `name` a new signing key; its statements, those about it, and the configurations that
   * carry trust marks or delegations it signed or its keys as a trust mark owner are signed again.
   */
  rotateKey(name: string, options?: RotateKeyOptions): Promise<void>;
  /**
   * Signs `claims` as `name` does, with its current Federation Entity Key (header `alg` and
   * `kid`, plus `header`): what an entity of the federation sends as a client assertion (§8.8).
   */
  signAs(
    name: string,
    claims: Record<string, unknown>,
    header?: Record<string, unknown>,
  ): Promise<string>;
  /**
   * The trust mark JWT that `holder`'s Entity Configuration carries for the mark of `type` (as
   * written in the topology, or with its placeholders filled), faults included.
   */
  trustMark(holder: string, type: string): Promise<string>;
  /** Replaces the faults of one trust mark (`undefined` clears them); its holder is re-signed. */
  setTrustMarkFaults(holder: string, type: string, faults: TrustMarkFaults | undefined): void;
  /**
   * Sets what the issuer's Trust Mark Status endpoint answers about one mark (§8.4): a status
   * value, or `{ http }` for an HTTP error; `faults` replace those of its status responses.
   */
  setTrustMarkStatus(
    holder: string,
    type: string,
    status: TrustMarkStatus,
    faults?: TrustMarkStatusFaults,
  ): void;
  /** Drops every signed statement, so the next requests get a fresh `iat`/`exp`. */
  reissue(): void;
  /** What the federation was asked. */
  readonly requests: RequestLog;
}

/** A test federation's parts (for the servers built on it). */
export interface FederationModel {
  readonly urls: EntityUrls;
  readonly endpoints: FederationEndpoints;
  readonly requests: MemoryRequestLog;
  readonly controls: FederationControls;
}

/** The indexed topology and its keys: the part that does not depend on where it is served. */
export interface PreparedTopology {
  readonly index: TopologyIndex;
  readonly keys: KeyRing;
}

/** Validates `topology` (throwing a clear Error) and generates its keys. */
export async function prepareTopology(topology: Topology): Promise<PreparedTopology> {
  const index = indexTopology(topology);
  const keys = await KeyRing.create(
    [...index.entities.values()].map((entity) => ({
      name: entity.name,
      alg: entity.alg ?? DEFAULT_ENTITY_ALG,
    })),
  );
  return { index, keys };
}

/** The federation of `prepared` served at `url`, with its clock. */
export function createFederationModel(
  prepared: PreparedTopology,
  url: string,
  options: { readonly now: () => number; readonly maxLogEntries?: number | undefined },
): FederationModel {
  const { index, keys } = prepared;
  const urls = createEntityUrls(url);
  const store = new StatementStore(index, keys, urls, options.now);
  const endpoints = new FederationEndpoints(store, urls, index.entities.keys());
  const requests = new MemoryRequestLog(
    (nameOrId) => (index.entities.has(nameOrId) ? urls.entityId(nameOrId) : nameOrId),
    options.maxLogEntries,
  );
  const entityName = (name: string): string => {
    store.entity(name);
    return name;
  };
  const trustAnchor = (name: string): TrustAnchor => ({
    entity_id: urls.entityId(entityName(name)),
    jwks: keys.publicJwks(name),
  });
  const controls: FederationControls = {
    url: urls.url,
    entityId: (name) => urls.entityId(entityName(name)),
    trustAnchor,
    trustAnchorFile: (name) => `${JSON.stringify(trustAnchor(name), null, 2)}\n`,
    entityConfiguration: async (name) => (await store.entityConfiguration(name)).jwt,
    subordinateStatement: async (issuer, subject) =>
      (await store.subordinateStatement(issuer, subject)).jwt,
    setMetadata: (name, metadata) => store.setMetadata(name, metadata),
    setFaults: (target, faults) => store.setFaults(target, faults),
    rotateKey: async (name, rotateOptions = {}) => {
      await keys.rotate(entityName(name), rotateOptions.keepOld === true);
      store.invalidateEntity(name);
    },
    signAs: (name, claims, header = {}) =>
      signJwt(claims, keys.keys(entityName(name)).signing, { typ: undefined, ...header }),
    trustMark: (holder, type) => store.trustMark(holder, type),
    setTrustMarkFaults: (holder, type, faults) => store.setTrustMarkFaults(holder, type, faults),
    setTrustMarkStatus: (holder, type, status, faults) =>
      store.setTrustMarkStatus(holder, type, status, faults),
    reissue: () => store.clear(),
    requests,
  };
  return { urls, endpoints, requests, controls };
}
