/** The Immediate Superior's `metadata` override of the subject's metadata (§3.1.3, §6.1.4.2). */
import { readMetadata } from './read-metadata.js';
import type { Metadata } from './types.js';
import { defineOwn } from './values.js';

/**
 * Overrides same-named parameters of the subject's metadata with those in the Immediate
 * Superior's Subordinate Statement `metadata`, only for Entity Types the subject already has.
 * `undefined` means the statement has no `metadata`. Returns a new object; throws
 * `InvalidMetadataError` for invalid or null-bearing metadata.
 */
export function applySuperiorMetadata(metadata: Metadata, superiorMetadata: unknown): Metadata {
  // Chain indexes per §4: ES[0] is the subject's configuration, ES[1] its superior's statement.
  const result = readMetadata(metadata, { statementIndex: 0 });
  if (superiorMetadata === undefined) return result;
  const superior = readMetadata(superiorMetadata, { statementIndex: 1 });
  for (const entityType of Object.keys(superior)) {
    const target = Object.hasOwn(result, entityType) ? result[entityType] : undefined;
    const overrides = superior[entityType];
    // §3.1.3: only Entity Types already present in the subject's metadata are affected.
    if (target === undefined || overrides === undefined) continue;
    for (const parameter of Object.keys(overrides)) {
      defineOwn(target, parameter, overrides[parameter]);
    }
  }
  return result;
}
