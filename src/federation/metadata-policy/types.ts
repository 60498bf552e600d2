/** Shapes of metadata and metadata policy after validation (§5, §6.1.2). */

/** Operators of one parameter: operator name → operator value. */
export type ParameterPolicy = { [operator: string]: unknown };

/** Policies of one Entity Type: parameter name (possibly language-tagged) → operators. */
export type EntityTypePolicy = { [parameter: string]: ParameterPolicy };

/** A `metadata_policy` claim value: Entity Type Identifier → parameter policies. */
export type MetadataPolicy = { [entityType: string]: EntityTypePolicy };

/** Metadata of one Entity Type: parameter name → value (never `null`, §5). */
export type EntityTypeMetadata = { [parameter: string]: unknown };

/** A `metadata` claim value: Entity Type Identifier → that type's metadata. */
export type Metadata = { [entityType: string]: EntityTypeMetadata };
