/**
 * The subject's Resolved Metadata for a validated chain (§6.1.4, §3.1.3, §6.2.3): the subject's
 * metadata, then the Immediate Superior's `metadata`, then `allowed_entity_types`, then the
 * merged metadata policy.
 */
import { applyAllowedEntityTypes } from './constraints.js';
import { FederationError, InvalidMetadataError } from './errors.js';
import {
  applyMetadataPolicy,
  applySuperiorMetadata,
  mergeMetadataPolicies,
} from './metadata-policy/index.js';
import type { Metadata } from './metadata-policy/types.js';
import type { DecodedEntityStatement } from './types.js';

/**
 * Entity Types whose `issuer` parameter MUST be the entity's own Entity Identifier: §5.1.3 for an
 * OpenID Provider (OpenID Connect Discovery's issuer), §5.1.4 for an OAuth Authorization Server
 * (RFC 8414's issuer). No other Entity Type defined by the spec ties a parameter to it.
 */
export const ISSUER_BOUND_ENTITY_TYPES: Readonly<Record<string, string>> = {
  openid_provider: '§5.1.3',
  oauth_authorization_server: '§5.1.4',
};

/**
 * §5.1.3, §5.1.4: the Resolved Metadata, after every policy, must name the subject as `issuer`
 * (§6.1.4.2: metadata that is not correct MUST NOT be used). A present value that differs, or is
 * not a string, fails the chain with `issuer_mismatch`; an absent one is left to the protocol
 * (docs/decisions.md).
 */
export function assertIssuerIsEntity(metadata: Metadata, entityId: string): void {
  for (const [entityType, section] of Object.entries(ISSUER_BOUND_ENTITY_TYPES)) {
    const typeMetadata = metadata[entityType];
    if (typeMetadata === undefined || !Object.hasOwn(typeMetadata, 'issuer')) continue;
    const issuer = typeMetadata['issuer'];
    if (issuer === entityId) continue;
    throw new InvalidMetadataError(
      `the ${entityType} issuer ${JSON.stringify(issuer)} is not the Entity Identifier ${entityId}`,
      {
        reason: 'issuer_mismatch',
        section,
        statementIndex: 0,
        iss: entityId,
        sub: entityId,
        entityType,
        parameter: 'issuer',
      },
    );
  }
}

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
  let resolved: Metadata;
  try {
    const policy = mergeMetadataPolicies(policies, { crit });
    resolved = applyMetadataPolicy(metadata, policy);
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
  assertIssuerIsEntity(resolved, subject.claims.sub);
  return resolved;
}
