/**
 * A small but realistic federation for `npm run demo`, examples and benchmarks:
 *
 * ```
 * ta                      Trust Anchor (ES256)
 * ├── university          Intermediate (PS256)
 * │   ├── op-university   OpenID Provider
 * │   ├── op-research     (its second authority hint)
 * │   └── rp-broken       Relying Party; the university's statement about it has expired
 * ├── research            Intermediate (ES384)
 * │   ├── op-research     OpenID Provider (EdDSA), also under the university
 * │   └── rp-lab          Relying Party
 * ├── rp-shop             Relying Party directly under the anchor (RS256)
 * ├── certifier           Trust Mark Issuer (leaf, ES256) with a status endpoint at <id>/status
 * └── accreditation-body  Trust Mark owner of the Sirtfi mark (leaf, ES384)
 * ```
 *
 * Trust marks (§7), with types `{{url}}/marks/certified` and `{{url}}/marks/sirtfi`:
 * - `ta` accredits `certifier` for both types (`trust_mark_issuers`) and names
 *   `accreditation-body` as the owner of the Sirtfi type (`trust_mark_owners`, with its keys).
 * - `op-university` holds both marks from `certifier`; the Sirtfi mark carries a delegation
 *   signed by `accreditation-body` (§7.2.1). Both are valid and `active` at the status endpoint.
 * - `rp-shop` holds a certified mark that expired an hour ago; the status endpoint says
 *   `expired`. Its chain is still valid: a bad mark does not break resolution (§8.3.2).
 *
 * Every trust chain of the tree above validates except the one of `rp-broken`.
 */
import type { EntityTypeMetadata } from '../federation/metadata-policy/types.js';
import type { Topology } from './topology.js';

/** OpenID Provider metadata (OIDC Discovery, §5.1.3) of an OP called `name`. */
function openIdProvider(name: string): EntityTypeMetadata {
  return {
    // §5.1.3: an OP's issuer MUST equal its Entity Identifier.
    issuer: '{{self}}',
    authorization_endpoint: '{{self}}/authorize',
    token_endpoint: '{{self}}/token',
    userinfo_endpoint: '{{self}}/userinfo',
    pushed_authorization_request_endpoint: '{{self}}/par',
    federation_registration_endpoint: '{{self}}/fedreg',
    jwks_uri: '{{self}}/jwks.json',
    client_registration_types_supported: ['automatic', 'explicit'],
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    subject_types_supported: ['pairwise', 'public'],
    scopes_supported: ['openid', 'email', 'profile', 'offline_access'],
    id_token_signing_alg_values_supported: ['ES256', 'PS256', 'RS256', 'HS256'],
    request_object_signing_alg_values_supported: ['ES256', 'PS256'],
    token_endpoint_auth_methods_supported: ['private_key_jwt', 'client_secret_basic'],
    token_endpoint_auth_signing_alg_values_supported: ['ES256', 'PS256'],
    op_policy_uri: '{{self}}/policy',
    display_name: name,
  };
}

/** Relying Party metadata (OIDC Dynamic Registration, §5.1.2) of an RP called `name`. */
function openIdRelyingParty(name: string, contact: string): EntityTypeMetadata {
  return {
    application_type: 'web',
    client_name: name,
    client_registration_types: ['automatic'],
    redirect_uris: ['{{self}}/callback'],
    response_types: ['code'],
    grant_types: ['authorization_code', 'refresh_token', 'implicit'],
    token_endpoint_auth_method: 'private_key_jwt',
    id_token_signed_response_alg: 'ES256',
    jwks_uri: '{{self}}/jwks.json',
    contacts: [contact],
  };
}

/** The trust mark types of the sample federation (placeholders; filled when signed). */
const CERTIFIED = '{{url}}/marks/certified';
const SIRTFI = '{{url}}/marks/sirtfi';

/**
 * The sample federation. Every chain validates except the one of `rp-broken`, whose superior's
 * statement about it has expired. Its metadata policies, `metadata` override and constraints are
 * chosen so that the Resolved Metadata visibly differs from what the leaves publish. Its trust
 * marks include a delegated one and an expired one (see the module comment).
 */
export function sampleFederation(): Topology {
  return {
    entities: [
      // The Trust Anchor: no authority hints; pinned by resolvers through trustAnchorFile('ta').
      // §7.2: it names who may issue each trust mark type, and who owns the Sirtfi type.
      {
        name: 'ta',
        alg: 'ES256',
        metadata: {
          federation_entity: {
            organization_name: 'Example Federation',
            organization_uri: '{{self}}',
            contacts: ['operations@federation.example'],
            policy_uri: '{{self}}/policy',
          },
        },
        trustMarkIssuers: { [CERTIFIED]: ['certifier'], [SIRTFI]: ['certifier'] },
        trustMarkOwners: { [SIRTFI]: 'accreditation-body' },
      },
      // Intermediate of a university. Signs with PS256: one chain may mix algorithms (§1.1).
      {
        name: 'university',
        alg: 'PS256',
        authorityHints: ['ta'],
        metadata: { federation_entity: { organization_name: 'Example University' } },
      },
      // Intermediate of a research network. Signs with ES384.
      {
        name: 'research',
        alg: 'ES384',
        authorityHints: ['ta'],
        metadata: { federation_entity: { organization_name: 'Research Network' } },
      },
      // The university's OpenID Provider: chain op-university → university → ta. It is
      // certified, and Sirtfi-compliant under the owner's delegation to the certifier (§7.2.1).
      {
        name: 'op-university',
        authorityHints: ['university'],
        metadata: {
          openid_provider: openIdProvider('University Login'),
          federation_entity: { organization_name: 'Example University IT' },
        },
        trustMarks: [
          {
            type: CERTIFIED,
            issuer: 'certifier',
            claims: { ref: '{{entity:certifier}}/certified/op-university' },
          },
          { type: SIRTFI, issuer: 'certifier', delegatedBy: 'accreditation-body' },
        ],
      },
      // An OpenID Provider of the research network that the university also vouches for: two
      // authority hints, hence two valid chains with different Resolved Metadata (§10.3).
      {
        name: 'op-research',
        alg: 'EdDSA',
        authorityHints: ['research', 'university'],
        metadata: {
          openid_provider: openIdProvider('Research Login'),
          federation_entity: { organization_name: 'Research Network Identity' },
        },
      },
      // A shop's Relying Party directly under the Trust Anchor, signing with RS256. Its
      // certification has lapsed: the mark expired and the certifier says so (§8.4.2).
      {
        name: 'rp-shop',
        alg: 'RS256',
        authorityHints: ['ta'],
        metadata: {
          openid_relying_party: openIdRelyingParty('Example Shop', 'support@shop.example'),
        },
        trustMarks: [
          { type: CERTIFIED, issuer: 'certifier', faults: { expired: true }, status: 'expired' },
        ],
      },
      // A laboratory's Relying Party under the research network.
      {
        name: 'rp-lab',
        authorityHints: ['research'],
        metadata: {
          openid_relying_party: openIdRelyingParty('Lab Notebook', 'it@lab.example'),
        },
      },
      // A Relying Party with a broken chain: the university's statement about it has expired.
      {
        name: 'rp-broken',
        authorityHints: ['university'],
        metadata: {
          openid_relying_party: openIdRelyingParty('Forgotten Portal', 'nobody@portal.example'),
        },
      },
      // The Trust Mark Issuer, an ordinary leaf under the anchor so that its own chain resolves
      // (§7.3: trust in the issuer first). Its status endpoint is added to its metadata.
      {
        name: 'certifier',
        authorityHints: ['ta'],
        metadata: { federation_entity: { organization_name: 'Federation Certification Service' } },
      },
      // The owner of the Sirtfi trust mark type: it issues no marks itself, it delegates (§7.2).
      {
        name: 'accreditation-body',
        alg: 'ES384',
        authorityHints: ['ta'],
        metadata: { federation_entity: { organization_name: 'Security Accreditation Body' } },
      },
    ],
    subordinates: [
      // The TA limits the university to one level of Intermediates below the TA and narrows the
      // signing algorithms of every OP below it; it also adds its contact (§6.1.3.1 `add`).
      {
        issuer: 'ta',
        subject: 'university',
        constraints: { max_path_length: 1 },
        metadata_policy: {
          openid_provider: {
            id_token_signing_alg_values_supported: {
              subset_of: ['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA'],
            },
            contacts: { add: ['operations@federation.example'] },
          },
        },
      },
      // The TA admits only OPs and RPs below the research network (§6.2.3) and requires the
      // authorization code grant of its RPs.
      {
        issuer: 'ta',
        subject: 'research',
        constraints: {
          max_path_length: 1,
          allowed_entity_types: ['openid_provider', 'openid_relying_party'],
        },
        metadata_policy: {
          openid_relying_party: {
            grant_types: {
              subset_of: ['authorization_code', 'refresh_token'],
              superset_of: ['authorization_code'],
            },
          },
        },
      },
      // The TA's statement about the shop: only private_key_jwt client authentication.
      {
        issuer: 'ta',
        subject: 'rp-shop',
        metadata_policy: {
          openid_relying_party: {
            token_endpoint_auth_method: { one_of: ['private_key_jwt'] },
            grant_types: { subset_of: ['authorization_code', 'refresh_token'] },
          },
        },
      },
      // The university fixes its OP's organization name and client authentication methods.
      {
        issuer: 'university',
        subject: 'op-university',
        metadata_policy: {
          openid_provider: {
            organization_name: { value: 'Example University' },
            token_endpoint_auth_methods_supported: {
              subset_of: ['private_key_jwt', 'client_secret_jwt'],
              superset_of: ['private_key_jwt'],
            },
          },
        },
      },
      // Through the university, the research OP gets a different display name (§3.1.3 metadata).
      {
        issuer: 'university',
        subject: 'op-research',
        metadata: { openid_provider: { display_name: 'Research Login (university partner)' } },
      },
      // The research network adds its security contact to its RPs.
      {
        issuer: 'research',
        subject: 'rp-lab',
        metadata_policy: {
          openid_relying_party: { contacts: { add: ['security@research.example'] } },
        },
      },
      // The broken chain of the sample.
      { issuer: 'university', subject: 'rp-broken', faults: { expired: true } },
    ],
  };
}
