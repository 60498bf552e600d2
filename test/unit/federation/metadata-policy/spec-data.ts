/**
 * JSON of the spec examples used by spec-examples.test.ts, copied from the specification (TV-1,
 * TV-3, TV-4, TV-6), which reproduces the OpenID Federation 1.0 Final text exactly.
 */
import type {
  EntityTypeMetadata,
  Metadata,
} from '../../../../src/federation/metadata-policy/index.js';

/** TV-1 (§6.1.5): the Trust Anchor's Subordinate Statement policy. */
export const TV1_TA_POLICY: unknown = {
  openid_relying_party: {
    grant_types: {
      default: ['authorization_code'],
      subset_of: ['authorization_code', 'refresh_token'],
      superset_of: ['authorization_code'],
    },
    token_endpoint_auth_method: {
      one_of: ['private_key_jwt', 'self_signed_tls_client_auth'],
      essential: true,
    },
    token_endpoint_auth_signing_alg: {
      one_of: ['PS256', 'ES256'],
    },
    subject_type: {
      value: 'pairwise',
    },
    contacts: {
      add: ['helpdesk@federation.example.org'],
    },
  },
};

/** TV-1: the Intermediate's Subordinate Statement policy about the leaf. */
export const TV1_INTERMEDIATE_POLICY: unknown = {
  openid_relying_party: {
    grant_types: {
      subset_of: ['authorization_code'],
    },
    token_endpoint_auth_method: {
      one_of: ['self_signed_tls_client_auth'],
    },
    contacts: {
      add: ['helpdesk@org.example.org'],
    },
  },
};

/** TV-1: the Intermediate's Subordinate Statement metadata about the leaf. */
export const TV1_INTERMEDIATE_METADATA: Metadata = {
  openid_relying_party: {
    sector_identifier_uri: 'https://org.example.org/sector-ids.json',
    policy_uri: 'https://org.example.org/policy.html',
  },
};

/** TV-1: the expected merged policy for openid_relying_party. */
export const TV1_MERGED_RP_POLICY: unknown = {
  grant_types: {
    default: ['authorization_code'],
    superset_of: ['authorization_code'],
    subset_of: ['authorization_code'],
  },
  token_endpoint_auth_method: {
    one_of: ['self_signed_tls_client_auth'],
    essential: true,
  },
  token_endpoint_auth_signing_alg: {
    one_of: ['PS256', 'ES256'],
  },
  subject_type: {
    value: 'pairwise',
  },
  contacts: {
    add: ['helpdesk@federation.example.org', 'helpdesk@org.example.org'],
  },
};

/** TV-1: the leaf's Entity Configuration metadata. */
export const TV1_LEAF_METADATA: Metadata = {
  openid_relying_party: {
    redirect_uris: ['https://rp.example.org/callback'],
    response_types: ['code'],
    token_endpoint_auth_method: 'self_signed_tls_client_auth',
    contacts: ['rp_admins@rp.example.org'],
  },
};

/** TV-1: the expected openid_relying_party Resolved Metadata. */
export const TV1_EXPECTED_RP_METADATA: EntityTypeMetadata = {
  redirect_uris: ['https://rp.example.org/callback'],
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'self_signed_tls_client_auth',
  subject_type: 'pairwise',
  sector_identifier_uri: 'https://org.example.org/sector-ids.json',
  policy_uri: 'https://org.example.org/policy.html',
  contacts: [
    'rp_admins@rp.example.org',
    'helpdesk@federation.example.org',
    'helpdesk@org.example.org',
  ],
};

/** TV-3 (A.2.1): metadata of op.umu.se's Entity Configuration. */
export const TV3_OP_METADATA: Metadata = {
  openid_provider: {
    issuer: 'https://op.umu.se',
    signed_jwks_uri: 'https://op.umu.se/jwks.jose',
    authorization_endpoint: 'https://op.umu.se/authorization',
    client_registration_types_supported: ['automatic', 'explicit'],
    request_parameter_supported: true,
    grant_types_supported: [
      'authorization_code',
      'implicit',
      'urn:ietf:params:oauth:grant-type:jwt-bearer',
    ],
    id_token_signing_alg_values_supported: ['ES256', 'RS256'],
    logo_uri: 'https://www.umu.se/img/umu-logo-left-neg-SE.svg',
    op_policy_uri: 'https://www.umu.se/en/website/legal-information/',
    response_types_supported: ['code', 'code id_token', 'token'],
    subject_types_supported: ['pairwise', 'public'],
    token_endpoint: 'https://op.umu.se/token',
    federation_registration_endpoint: 'https://op.umu.se/fedreg',
    token_endpoint_auth_methods_supported: [
      'client_secret_post',
      'client_secret_basic',
      'client_secret_jwt',
      'private_key_jwt',
    ],
  },
};

/** TV-3 (A.2.3): policy of umu.se's statement about op.umu.se. */
export const TV3_UMU_POLICY: unknown = {
  openid_provider: {
    contacts: {
      add: ['ops@swamid.se'],
    },
    organization_name: {
      value: 'University of Umeå',
    },
    subject_types_supported: {
      value: ['pairwise'],
    },
    token_endpoint_auth_methods_supported: {
      default: ['private_key_jwt'],
      subset_of: ['private_key_jwt', 'client_secret_jwt'],
      superset_of: ['private_key_jwt'],
    },
  },
};

/** TV-3 (A.2.5): policy of swamid.se's statement about umu.se. */
export const TV3_SWAMID_POLICY: unknown = {
  openid_provider: {
    id_token_signing_alg_values_supported: {
      subset_of: ['RS256', 'ES256', 'ES384', 'ES512'],
    },
    token_endpoint_auth_methods_supported: {
      subset_of: ['client_secret_jwt', 'private_key_jwt'],
    },
    userinfo_signing_alg_values_supported: {
      subset_of: ['ES256', 'ES384', 'ES512'],
    },
  },
};

/** TV-3 (A.2.7): policy of edugain.geant.org's statement about swamid.se. */
export const TV3_EDUGAIN_POLICY: unknown = {
  openid_provider: {
    contacts: {
      add: ['ops@edugain.geant.org'],
    },
  },
  openid_relying_party: {
    contacts: {
      add: ['ops@edugain.geant.org'],
    },
  },
};

/** TV-3 (A.2.8): the expected openid_provider Resolved Metadata. */
export const TV3_EXPECTED_OP_METADATA: EntityTypeMetadata = {
  authorization_endpoint: 'https://op.umu.se/authorization',
  contacts: ['ops@swamid.se', 'ops@edugain.geant.org'],
  federation_registration_endpoint: 'https://op.umu.se/fedreg',
  client_registration_types_supported: ['automatic', 'explicit'],
  grant_types_supported: [
    'authorization_code',
    'implicit',
    'urn:ietf:params:oauth:grant-type:jwt-bearer',
  ],
  id_token_signing_alg_values_supported: ['RS256', 'ES256'],
  issuer: 'https://op.umu.se',
  signed_jwks_uri: 'https://op.umu.se/jwks.jose',
  logo_uri: 'https://www.umu.se/img/umu-logo-left-neg-SE.svg',
  organization_name: 'University of Umeå',
  op_policy_uri: 'https://www.umu.se/en/website/legal-information/',
  request_parameter_supported: true,
  response_types_supported: ['code', 'code id_token', 'token'],
  subject_types_supported: ['pairwise'],
  token_endpoint: 'https://op.umu.se/token',
  token_endpoint_auth_methods_supported: ['private_key_jwt', 'client_secret_jwt'],
};

/** TV-4 (A.3.1.2): policy of edugain.geant.org's statement about incommon.org. */
export const TV4_EDUGAIN_POLICY: unknown = {
  openid_provider: {
    contacts: {
      add: ['ops@edugain.geant.org'],
    },
  },
  openid_relying_party: {
    contacts: {
      add: ['ops@edugain.geant.org'],
    },
  },
};

/** TV-4: policy of incommon.org's statement about wiki.ligo.org. */
export const TV4_INCOMMON_POLICY: unknown = {
  openid_relying_party: {
    application_type: {
      one_of: ['web', 'native'],
    },
    contacts: {
      add: ['ops@incommon.org'],
    },
    grant_types: {
      subset_of: ['authorization_code', 'refresh_token'],
    },
  },
};

/** TV-4: the leaf's metadata. */
export const TV4_LEAF_METADATA: Metadata = {
  openid_relying_party: {
    application_type: 'web',
    client_name: 'LIGO Wiki',
    contacts: ['ops@ligo.org'],
    grant_types: ['authorization_code', 'refresh_token'],
    id_token_signing_alg_values_supported: ['ES256', 'PS256', 'RS256'],
    signed_jwks_uri: 'https://wiki.ligo.org/jwks.jose',
    redirect_uris: ['https://wiki.ligo.org/openid/callback'],
    response_types: ['code'],
    subject_type: 'public',
    token_endpoint_auth_method: 'private_key_jwt',
  },
};

/** TV-4: the expected Resolved Metadata. */
export const TV4_EXPECTED_METADATA: Metadata = {
  openid_relying_party: {
    application_type: 'web',
    client_name: 'LIGO Wiki',
    contacts: ['ops@ligo.org', 'ops@edugain.geant.org', 'ops@incommon.org'],
    grant_types: ['refresh_token', 'authorization_code'],
    id_token_signing_alg_values_supported: ['ES256', 'PS256', 'RS256'],
    signed_jwks_uri: 'https://wiki.ligo.org/jwks.jose',
    redirect_uris: ['https://wiki.ligo.org/openid/callback'],
    response_types: ['code'],
    subject_type: 'public',
    token_endpoint_auth_method: 'private_key_jwt',
  },
};

/** TV-6 (§3.3): metadata of the statement with extension claims. */
export const TV6_METADATA: Metadata = {
  openid_provider: {
    issuer: 'https://ntnu.no',
    organization_name: 'NTNU',
  },
  oauth_client: {
    organization_name: 'NTNU',
  },
};

/** TV-6: its metadata_policy (uses the non-standard regexp operator). */
export const TV6_POLICY: unknown = {
  openid_provider: {
    id_token_signing_alg_values_supported: {
      subset_of: ['RS256', 'RS384', 'RS512'],
    },
    op_policy_uri: {
      regexp: '^https://[\\w-]+\\.example\\.com/[\\w-]+\\.html',
    },
  },
  oauth_client: {
    grant_types: {
      one_of: ['authorization_code', 'client_credentials'],
    },
  },
};

/** TV-6: its metadata_policy_crit. */
export const TV6_METADATA_POLICY_CRIT: readonly string[] = ['regexp'];
