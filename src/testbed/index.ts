/** The testbed's public surface: a loopback federation built from a topology described as data. */
export { startTestbed, type Testbed, type TestbedOptions } from './federation-server.js';
export type { FederationControls, RotateKeyOptions } from './federation-model.js';
export {
  createMemoryFederation,
  type MemoryFederation,
  type MemoryFederationOptions,
} from './memory-source.js';
export {
  generateSigningKey,
  publicJwks,
  signJwt,
  type PrivateKey,
  type SigningKey,
} from './keys.js';
export {
  DEFAULT_MAX_LOG_ENTRIES,
  type RequestFilter,
  type RequestLog,
  type RequestLogEntry,
  type TestbedRequestKind,
} from './request-log.js';
export { sampleFederation } from './sample-federation.js';
export { PADDING_CLAIM, TIME_FAULT_OFFSET_SECONDS } from './statement-builder.js';
export type {
  FaultTarget,
  StatementFaults,
  SubordinateSpec,
  Topology,
  TopologyEntity,
  TrustMarkFaults,
  TrustMarkSpec,
  TrustMarkStatus,
  TrustMarkStatusFaults,
  TrustMarkStatusValue,
} from './topology.js';
export {
  DEFAULT_ENTITY_ALG,
  DEFAULT_LIFETIME_SECONDS,
  validateTopology,
} from './topology-index.js';
