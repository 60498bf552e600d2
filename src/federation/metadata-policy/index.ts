/** Public surface of the metadata policy engine (§6.1). */
export { applyMetadataPolicy } from './apply.js';
export { mergeMetadataPolicies } from './merge.js';
export type { MergeMetadataPoliciesOptions } from './merge.js';
export { applySuperiorMetadata } from './superior-metadata.js';
export { validateMetadataPolicy } from './validate.js';
export type { ValidateMetadataPolicyOptions } from './validate.js';
export type {
  EntityTypeMetadata,
  EntityTypePolicy,
  Metadata,
  MetadataPolicy,
  ParameterPolicy,
} from './types.js';
