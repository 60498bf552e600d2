/** Small topologies for integration tests. */
import type { Topology } from '../../src/testbed/index.js';

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
