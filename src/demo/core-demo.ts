/**
 * `npm run demo`: builds a small sample federation in memory (a trust anchor, a university
 * intermediate, an OpenID provider, two relying parties, one of them with a broken chain), then
 * validates each trust chain with the federation core and prints the result or the exact reason
 * of the rejection.
 */
import { FederationError } from '../federation/errors.js';
import { resolveTrustChainJwts } from '../federation/trust-chain.js';
import type { TrustAnchor } from '../federation/types.js';
import { generateSigningKey, publicJwks, signJwt, type SigningKey } from '../testbed/keys.js';

interface DemoEntity {
  readonly id: string;
  readonly key: SigningKey;
}

const now = Math.floor(Date.now() / 1000);
const DAY = 86_400;

async function entity(id: string, alg: string): Promise<DemoEntity> {
  return { id, key: await generateSigningKey(alg) };
}

function configuration(subject: DemoEntity, extra: Record<string, unknown>): Promise<string> {
  const claims = {
    iss: subject.id,
    sub: subject.id,
    iat: now,
    exp: now + DAY,
    jwks: publicJwks(subject.key),
    ...extra,
  };
  return signJwt(claims, subject.key);
}

function subordinate(
  issuer: DemoEntity,
  subject: DemoEntity,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const claims = {
    iss: issuer.id,
    sub: subject.id,
    iat: now,
    exp: now + DAY,
    jwks: publicJwks(subject.key),
    ...extra,
  };
  return signJwt(claims, issuer.key);
}

async function main(): Promise<void> {
  const ta = await entity('https://ta.federation.example', 'ES256');
  const university = await entity('https://university.example', 'PS256');
  const op = await entity('https://op.university.example', 'ES256');
  const rp = await entity('https://rp.example', 'EdDSA');
  const brokenRp = await entity('https://broken-rp.university.example', 'ES256');
  const anchor: TrustAnchor = { entity_id: ta.id, jwks: publicJwks(ta.key) };

  const taConfiguration = await configuration(ta, {
    metadata: {
      federation_entity: {
        organization_name: 'Demo Federation',
        federation_fetch_endpoint: `${ta.id}/fetch`,
      },
    },
  });
  const taAboutUniversity = await subordinate(ta, university, {
    metadata_policy: {
      openid_provider: {
        contacts: { add: ['ops@ta.federation.example'] },
        id_token_signing_alg_values_supported: { subset_of: ['ES256', 'PS256', 'RS256'] },
      },
    },
    constraints: {
      max_path_length: 1,
      naming_constraints: { permitted: ['university.example', '.university.example'] },
    },
  });

  const chains: Record<string, Promise<string[]>> = {
    'OpenID provider via the university': Promise.all([
      configuration(op, {
        authority_hints: [university.id],
        metadata: {
          openid_provider: {
            issuer: op.id,
            authorization_endpoint: `${op.id}/authorize`,
            token_endpoint: `${op.id}/token`,
            id_token_signing_alg_values_supported: ['ES256', 'HS256'],
            token_endpoint_auth_methods_supported: ['private_key_jwt', 'client_secret_basic'],
          },
        },
      }),
      subordinate(university, op, {
        metadata_policy: {
          openid_provider: {
            organization_name: { value: 'Example University' },
            token_endpoint_auth_methods_supported: {
              subset_of: ['private_key_jwt'],
              superset_of: ['private_key_jwt'],
            },
          },
        },
      }),
      taAboutUniversity,
      taConfiguration,
    ]),
    'Relying party directly under the trust anchor': Promise.all([
      configuration(rp, {
        authority_hints: [ta.id],
        metadata: {
          openid_relying_party: {
            redirect_uris: [`${rp.id}/callback`],
            scope: 'openid email profile',
          },
        },
      }),
      subordinate(ta, rp, {
        metadata_policy: { openid_relying_party: { scope: { subset_of: ['openid', 'email'] } } },
      }),
      taConfiguration,
    ]),
    'Relying party whose superior statement has expired': Promise.all([
      configuration(brokenRp, {
        authority_hints: [university.id],
        metadata: { openid_relying_party: { client_name: 'Broken' } },
      }),
      subordinate(university, brokenRp, { iat: now - 3 * DAY, exp: now - DAY }),
      taAboutUniversity,
      taConfiguration,
    ]),
  };

  console.log(`Trust anchor: ${ta.id} (pinned key ${ta.key.kid})\n`);
  for (const [title, jwts] of Object.entries(chains)) {
    console.log(`== ${title}`);
    try {
      const chain = await resolveTrustChainJwts(await jwts, anchor, { now });
      console.log(`   valid chain: ${chain.path.join(' -> ')}`);
      console.log(`   expires:     ${new Date(chain.exp * 1000).toISOString()}`);
      console.log(
        `   resolved metadata:\n${JSON.stringify(chain.metadata, null, 2).replace(/^/gm, '     ')}`,
      );
    } catch (error) {
      if (!(error instanceof FederationError)) throw error;
      const detail = error.toDetail();
      console.log(`   REJECTED (${detail.code}): ${detail.message}`);
      console.log(
        `   reason ${detail.reason}, statement ${String(detail.statementIndex)} (${String(detail.iss)} about ${String(detail.sub)}), spec ${String(detail.section)}`,
      );
    }
    console.log('');
  }
}

await main();
