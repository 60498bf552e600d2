/**
 * The subject's Resolved Metadata for a validated chain (§6.1.4, §3.1.3, §6.2.3): the subject's
 * metadata, then the Immediate Superior's `metadata`, then `allowed_entity_types`, then the
 * merged metadata policy.
 */
import { applyAllowedEntityTypes } from './constraints.js';
import { FederationError } from './errors.js';
import {
  applyMetadataPolicy,
  applySuperiorMetadata,
  mergeMetadataPolicies,
} from './metadata-policy/index.js';
import type { Metadata } from './metadata-policy/types.js';
import type { DecodedEntityStatement } from './types.js';

/**
 * Resolves the metadata of ES[0] through the chain's Subordinate Statements. Policy errors carry
 * the chain index of the statement whose policy failed.
 */
export function resolveChainMetadata(statements: readonly DecodedEntityStatement[]): Metadata {
  const subject = statements[0];
  if (subject === undefined) return {};
  let metadata: Metadata = subject.claims.metadata ?? {};

  // §3.1.3: only the Immediate Superior's statement about the subject overrides its metadata.
  const superior = statements[1];
  if (superior?.kind === 'subordinate_statement' && superior.claims.metadata !== undefined) {
    metadata = applySuperiorMetadata(metadata, superior.claims.metadata);
  }
  // §6.2.3: filter Entity Types after the superior's metadata and before the policy.
  metadata = applyAllowedEntityTypes(metadata, statements);

  // §6.1.4.1: policies from the Trust Anchor's statement down to the Immediate Superior's.
  const subordinateIndexes = statements
    .map((statement, index) => (statement.kind === 'subordinate_statement' ? index : -1))
    .filter((index) => index > 0)
    .reverse();
  const policies = subordinateIndexes.map(
    (index) => statements[index]?.claims.metadata_policy ?? null,
  );
  const crit = [
    ...new Set(
      subordinateIndexes.flatMap((index) => statements[index]?.claims.metadata_policy_crit ?? []),
    ),
  ];
  try {
    const policy = mergeMetadataPolicies(policies, { crit });
    return applyMetadataPolicy(metadata, policy);
  } catch (error) {
    if (error instanceof FederationError && error.location.policyIndex !== undefined) {
      const index = subordinateIndexes[error.location.policyIndex];
      const statement = index === undefined ? undefined : statements[index];
      if (index !== undefined && statement !== undefined) {
        throw error.withLocation({
          statementIndex: index,
          iss: statement.claims.iss,
          sub: statement.claims.sub,
        });
      }
    }
    throw error;
  }
}
