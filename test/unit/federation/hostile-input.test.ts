/** Property-based tests: hostile input never makes the core throw anything but its own errors. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeEntityStatement } from '../../../src/federation/entity-statement.js';
import { FederationError } from '../../../src/federation/errors.js';
import { resolveTrustChainJwts } from '../../../src/federation/trust-chain.js';
import {
  NOW,
  configurationClaims,
  createEntity,
  forgeJws,
  sign,
} from '../../support/statements.js';

const HEADER = { typ: 'entity-statement+jwt', alg: 'ES256', kid: 'k' };
const ta = await createEntity('https://ta.example.org');
const anchor = { entity_id: ta.id, jwks: ta.jwks };
const valid = configurationClaims(ta, {
  metadata: { federation_entity: { organization_name: 'TA' } },
});

function onlyOwnErrors(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (error) {
    return error instanceof FederationError;
  }
}

/** Valid claims with one member replaced by arbitrary JSON (or removed). */
const mutatedClaims = fc
  .tuple(
    fc.constantFrom(
      ...Object.keys(valid),
      'authority_hints',
      'metadata_policy',
      'constraints',
      'crit',
      'trust_marks',
      'trust_mark_owners',
      'source_endpoint',
    ),
    fc.option(fc.jsonValue(), { nil: undefined }),
  )
  .map(([claim, value]) => ({ ...valid, [claim]: value }));

describe('hostile input (property-based)', () => {
  it('decodeEntityStatement throws only FederationError for arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (input) =>
        onlyOwnErrors(() => decodeEntityStatement(input)),
      ),
      { numRuns: 500 },
    );
  });

  it('decodeEntityStatement throws only FederationError for arbitrary JSON header and claims', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (header, claims) =>
        onlyOwnErrors(() => decodeEntityStatement(forgeJws(header, claims))),
      ),
      { numRuns: 500 },
    );
  });

  it('decodeEntityStatement throws only FederationError when one claim of a valid statement is replaced', () => {
    fc.assert(
      fc.property(mutatedClaims, (claims) =>
        onlyOwnErrors(() => decodeEntityStatement(forgeJws(HEADER, claims))),
      ),
      {
        numRuns: 500,
      },
    );
  });

  it('resolveTrustChainJwts rejects only with FederationError for signed hostile claims', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedClaims, async (claims) => {
        const jwt = await sign(claims, ta.key);
        try {
          await resolveTrustChainJwts([jwt], anchor, { now: NOW });
          return true;
        } catch (error) {
          return error instanceof FederationError;
        }
      }),
      { numRuns: 150 },
    );
  });

  it('resolveTrustChainJwts rejects only with FederationError for arbitrary arrays', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.string(), fc.jsonValue()), { maxLength: 20 }),
        async (input) => {
          await assert.rejects(resolveTrustChainJwts(input, anchor, { now: NOW }), FederationError);
        },
      ),
      { numRuns: 200 },
    );
  });
});
