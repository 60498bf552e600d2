/** Small topologies for integration tests. */
import type { FederationControls, Topology, TopologyEntity } from '../../src/testbed/index.js';

/** OP metadata whose `issuer` is the entity itself. */
export const OP_METADATA = {
  openid_provider: {
    issuer: '{{self}}',
    authorization_endpoint: '{{self}}/authorize',
    token_endpoint: '{{self}}/token',
    jwks_uri: '{{self}}/jwks.json',
    response_types_supported: ['code'],
    subject_types_supported: ['public', 'pairwise'],
    id_token_signing_alg_values_supported: ['ES256', 'RS256', 'HS256'],
    display_name: 'OP as published',
  },
  oauth_authorization_server: {
    issuer: '{{self}}',
    token_endpoint: '{{self}}/token',
  },
  federation_entity: { organization_name: 'The OP' },
};

/**
 * ta ← inter ← op (3 levels: [op EC, inter→op, ta→inter, ta EC]) and ta ← rp (2 levels). The
 * statement inter→op carries a metadata override and a policy.
 */
export function threeLevel(): Topology {
  return {
    entities: [
      { name: 'ta' },
      { name: 'inter', alg: 'PS256', authorityHints: ['ta'] },
      { name: 'op', authorityHints: ['inter'], metadata: OP_METADATA },
      {
        name: 'rp',
        alg: 'EdDSA',
        authorityHints: ['ta'],
        metadata: {
          openid_relying_party: {
            client_name: 'RP',
            redirect_uris: ['{{self}}/cb'],
            scope: 'openid email phone',
          },
        },
      },
    ],
    subordinates: [
      {
        issuer: 'inter',
        subject: 'op',
        metadata: {
          openid_provider: { display_name: 'OP as the intermediate says' },
          openid_relying_party: { ignored: true },
        },
        metadata_policy: {
          openid_provider: {
            id_token_signing_alg_values_supported: { subset_of: ['ES256', 'RS256'] },
          },
        },
      },
      {
        issuer: 'ta',
        subject: 'inter',
        metadata_policy: {
          openid_provider: {
            id_token_signing_alg_values_supported: { subset_of: ['ES256', 'PS256'] },
            contacts: { add: ['ops@ta.example'] },
          },
          openid_relying_party: { scope: { subset_of: ['openid', 'email'] } },
        },
      },
      {
        issuer: 'ta',
        subject: 'rp',
        metadata_policy: { openid_relying_party: { scope: { subset_of: ['openid', 'email'] } } },
      },
    ],
  };
}

/** s → m0…m9 (10 hints); m0…m8 → 10 dead ends each; m9 → 9 dead ends, then ta. */
export function fanOut(): Topology {
  const entities: TopologyEntity[] = [{ name: 'ta' }];
  const middles: string[] = [];
  for (let i = 0; i < 10; i++) {
    const hints: string[] = [];
    for (let j = 0; j < (i === 9 ? 9 : 10); j++) {
      entities.push({ name: `d${i}-${j}` });
      hints.push(`d${i}-${j}`);
    }
    if (i === 9) hints.push('ta');
    entities.push({ name: `m${i}`, authorityHints: hints });
    middles.push(`m${i}`);
  }
  entities.push({ name: 's', authorityHints: middles });
  return { entities };
}

/** s → [dead, a]; dead → 10 hints of 10 hints each; a → b → ta (three hops). */
export function deadEndBesideValid(): Topology {
  const entities: TopologyEntity[] = [
    { name: 'ta' },
    { name: 'b', authorityHints: ['ta'] },
    { name: 'a', authorityHints: ['b'] },
  ];
  const level: string[] = [];
  for (let i = 0; i < 10; i++) {
    const leaves: string[] = [];
    for (let j = 0; j < 10; j++) {
      entities.push({ name: `x${i}-${j}` });
      leaves.push(`x${i}-${j}`);
    }
    entities.push({ name: `w${i}`, authorityHints: leaves });
    level.push(`w${i}`);
  }
  entities.push({ name: 'dead', authorityHints: level });
  entities.push({ name: 's', authorityHints: ['dead', 'a'] });
  return { entities };
}

/** Gives every statement of the federation another random delay of 0–4 ms. */
export function shuffleDelays(
  federation: Pick<FederationControls, 'setFaults'>,
  topology: Topology,
): void {
  const delay = () => ({ delayMs: Math.floor(Math.random() * 5) });
  for (const entity of topology.entities) {
    federation.setFaults({ entity: entity.name }, delay());
    for (const issuer of entity.authorityHints ?? []) {
      federation.setFaults({ issuer, subject: entity.name }, delay());
    }
  }
}
