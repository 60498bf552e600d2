/**
 * Micro-benchmark of the federation core (`npm run bench`). Every figure is reported next to a
 * baseline measured in the same run (one raw `jose` signature verification), because the
 * machines are shared and noisy: compare ratios, not absolute numbers.
 */
import { compactVerify, importJWK } from 'jose';
import {
  decodeEntityStatement,
  verifyEntityStatement,
} from '../../src/federation/entity-statement.js';
import { NodeSignatureVerifier } from '../../src/infrastructure/keys/node-signature-verifier.js';
import {
  applyMetadataPolicy,
  mergeMetadataPolicies,
} from '../../src/federation/metadata-policy/index.js';
import { validateTrustChain } from '../../src/federation/trust-chain.js';
import {
  NOW,
  configurationClaims,
  createEntity,
  sign,
  subordinateClaims,
} from '../support/statements.js';

const ROUNDS = 7;
const ROUND_MS = 400;

/** Runs `fn` repeatedly for about `ms` milliseconds and returns operations per second. */
async function opsPerSecond(fn: () => unknown, ms = ROUND_MS): Promise<number> {
  let ops = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 16; i++) await fn();
    ops += 16;
    now = process.hrtime.bigint();
  }
  return ops / (Number(now - start) / 1e9);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** Interleaves the cases round by round so that machine noise hits them alike. */
async function measure(cases: Record<string, () => unknown>): Promise<Record<string, number>> {
  const samples: Record<string, number[]> = Object.fromEntries(
    Object.keys(cases).map((name) => [name, []]),
  );
  for (const fn of Object.values(cases)) await opsPerSecond(fn, 100); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, fn] of Object.entries(cases)) samples[name]?.push(await opsPerSecond(fn));
  }
  return Object.fromEntries(
    Object.entries(samples).map(([name, values]) => [name, median(values)]),
  );
}

async function main(): Promise<void> {
  const ta = await createEntity('https://ta.example.org', 'ES256');
  const intermediate = await createEntity('https://intermediate.example.org', 'ES256');
  const leaf = await createEntity('https://op.example.org', 'ES256');
  const policyTa = {
    openid_provider: {
      contacts: { add: ['ops@ta.example.org'] },
      id_token_signing_alg_values_supported: { subset_of: ['RS256', 'ES256', 'ES384', 'ES512'] },
      token_endpoint_auth_methods_supported: {
        subset_of: ['client_secret_jwt', 'private_key_jwt'],
      },
    },
  };
  const policyIntermediate = {
    openid_provider: {
      organization_name: { value: 'University' },
      subject_types_supported: { value: ['pairwise'] },
      token_endpoint_auth_methods_supported: {
        default: ['private_key_jwt'],
        subset_of: ['private_key_jwt', 'client_secret_jwt'],
        superset_of: ['private_key_jwt'],
      },
    },
  };
  const metadata = {
    openid_provider: {
      issuer: leaf.id,
      id_token_signing_alg_values_supported: ['ES256', 'RS256'],
      subject_types_supported: ['pairwise', 'public'],
      token_endpoint_auth_methods_supported: [
        'client_secret_post',
        'client_secret_jwt',
        'private_key_jwt',
      ],
      response_types_supported: ['code'],
    },
  };
  const jwts = await Promise.all([
    sign(configurationClaims(leaf, { authority_hints: [intermediate.id], metadata }), leaf.key),
    sign(
      subordinateClaims(intermediate, leaf, { metadata_policy: policyIntermediate }),
      intermediate.key,
    ),
    sign(subordinateClaims(ta, intermediate, { metadata_policy: policyTa }), ta.key),
    sign(configurationClaims(ta), ta.key),
  ]);
  const anchor = { entity_id: ta.id, jwks: ta.jwks };
  const statements = jwts.map((jwt) => decodeEntityStatement(jwt));
  const verifier = new NodeSignatureVerifier();
  const rawKey = await importJWK(leaf.key.publicJwk, 'ES256');
  const leafJwt = jwts[0] ?? '';
  const leafStatement = statements[0];
  if (leafStatement === undefined) throw new Error('no statement');

  const results = await measure({
    rawVerify: () => compactVerify(leafJwt, rawKey),
    decodeOnly: () => decodeEntityStatement(leafJwt),
    decodeAndVerify: () =>
      verifyEntityStatement(decodeEntityStatement(leafJwt), leaf.jwks, { verifier }),
    validateChain: () => validateTrustChain(statements, anchor, { now: NOW, verifier }),
    mergeAndApply: () =>
      applyMetadataPolicy(metadata, mergeMetadataPolicies([policyTa, policyIntermediate])),
  });
  const raw = results['rawVerify'] ?? 0;
  const row = (name: string, value: number, unit: string, perRaw: number) =>
    `| ${name} | ${Math.round(value).toLocaleString('en-US')} ${unit}/s | ${perRaw.toFixed(2)} |`;
  const chainStatements = (results['validateChain'] ?? 0) * statements.length;
  const lines = [
    `Federation core micro-benchmark — Node ${process.version}, ${ROUNDS} interleaved rounds of ${ROUND_MS} ms, median`,
    '',
    '| case | throughput | ratio to raw jose verify |',
    '|---|---|---|',
    row('raw jose compactVerify (ES256, key imported once) — baseline', raw, 'verifications', 1),
    row(
      'decodeEntityStatement alone',
      results['decodeOnly'] ?? 0,
      'statements',
      (results['decodeOnly'] ?? 0) / raw,
    ),
    row(
      'decodeEntityStatement + verifyEntityStatement (ES256)',
      results['decodeAndVerify'] ?? 0,
      'statements',
      (results['decodeAndVerify'] ?? 0) / raw,
    ),
    row(
      `validateTrustChain, ${statements.length}-statement chain (statements verified)`,
      chainStatements,
      'statements',
      chainStatements / raw,
    ),
    row(
      'mergeMetadataPolicies (2 levels) + applyMetadataPolicy',
      results['mergeAndApply'] ?? 0,
      'policies',
      (results['mergeAndApply'] ?? 0) / raw,
    ),
  ];
  console.log(lines.join('\n'));
}

await main();
