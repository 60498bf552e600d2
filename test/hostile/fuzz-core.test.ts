/**
 * Property-based fuzzing of the core through the package entry (src/federation/index.ts): mutated
 * compact JWS strings and hostile headers and claims — huge and non-finite numbers, deep and wide
 * nesting, wrong types, unicode, prototype keys (`__proto__`, `constructor`) — never make
 * decodeEntityStatement, resolveTrustChainJwts, decodeTrustMark or verifyTrustMarkStatusResponse
 * throw anything but a FederationError whose code is in FEDERATION_ERROR_CODES and whose reason
 * is in FAILURE_REASONS (§8.9, docs/reasons.md), never hang, and never touch Object.prototype.
 *
 * test/unit/federation/hostile-input.test.ts checks arbitrary strings, arbitrary JSON and single
 * replaced claims for the error class only; these properties generate other inputs (JWS-level
 * mutations of valid statements, raw JSON text with duplicate and prototype keys and literals no
 * JSON.stringify produces, whole chains with one statement spoiled, trust marks and status
 * responses) and check code, reason and termination. The metadata policy engine's hostile
 * inputs are covered by test/unit/federation/metadata-policy/properties.test.ts (c).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  FAILURE_REASONS,
  FEDERATION_ERROR_CODES,
  FederationError,
  decodeEntityStatement,
  decodeTrustMark,
  resolveTrustChainJwts,
  verifyTrustMarkStatusResponse,
} from '../../src/federation/index.js';
import {
  NOW,
  configurationClaims,
  createEntity,
  sign,
  subordinateClaims,
} from '../support/statements.js';

const RUNS = 200;
/** A call that has not ended after this long counts as a hang (a bound, not a speed claim). */
const HANG_MS = 5000;

const ta = await createEntity('https://ta.example.org');
const leaf = await createEntity('https://leaf.example.org');
const anchor = { entity_id: ta.id, jwks: ta.jwks };
const leafClaims = configurationClaims(leaf, {
  authority_hints: [ta.id],
  metadata: { federation_entity: { organization_name: 'Leaf' } },
});
const subordinateClaimsOfLeaf = subordinateClaims(ta, leaf);
const taClaims = configurationClaims(ta, {
  metadata: {
    federation_entity: {
      federation_fetch_endpoint: `${ta.id}/fetch`,
      organization_name: 'TA',
    },
  },
});
const chain = [
  await sign(leafClaims, leaf.key),
  await sign(subordinateClaimsOfLeaf, ta.key),
  await sign(taClaims, ta.key),
];
// The valid chain resolves: the properties below start from working input.
await resolveTrustChainJwts(chain, anchor, { now: NOW });

const MARK_TYPE = 'https://ta.example.org/marks/certified';
const markClaims = { iss: ta.id, sub: leaf.id, trust_mark_type: MARK_TYPE, iat: NOW - 60 };
const markHeader = { typ: 'trust-mark+jwt' };
const mark = await sign(markClaims, ta.key, markHeader);
const statusClaims = { iss: ta.id, trust_mark: mark, status: 'active', iat: NOW - 10 };
const statusHeader = { typ: 'trust-mark-status-response+jwt' };
const statusResponse = await sign(statusClaims, ta.key, statusHeader);
const markOptions = { now: NOW };
assert.equal(
  await verifyTrustMarkStatusResponse(
    statusResponse,
    { issuer: ta.id, trustMark: mark, issuerKeys: ta.jwks },
    markOptions,
  ),
  'active',
);

const prototypeKeysBefore = Object.getOwnPropertyNames(Object.prototype).sort();

/** Asserts that `error` is one of the core's own errors, with a listed code and reason. */
function assertOwnError(error: unknown, input: string): void {
  assert.ok(
    error instanceof FederationError,
    `not a FederationError: ${String(error)} for ${input.slice(0, 300)}`,
  );
  assert.ok(
    (FEDERATION_ERROR_CODES as readonly string[]).includes(error.code),
    `unknown code ${error.code}`,
  );
  assert.ok(
    (FAILURE_REASONS as readonly string[]).includes(error.reason),
    `unknown reason ${error.reason}`,
  );
  assert.equal(typeof error.message, 'string');
  // The failure can be reported as data (what the explain API serialises).
  JSON.stringify(error.toDetail());
}

/** Runs `fn`; it may succeed or fail only with an own error, and must end within HANG_MS. */
async function endsWithOwnError(fn: () => unknown, input: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<'hang'>((resolve) => {
    timer = setTimeout(() => resolve('hang'), HANG_MS);
  });
  try {
    const outcome = await Promise.race([Promise.resolve().then(fn), hang]);
    assert.notEqual(outcome, 'hang', `no end within ${HANG_MS} ms for ${input.slice(0, 300)}`);
  } catch (error) {
    if (error instanceof assert.AssertionError) throw error;
    assertOwnError(error, input);
  } finally {
    clearTimeout(timer);
  }
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined, 'Object.prototype polluted');
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

/** Keys hostile input likes: prototype members, claim names, control and astral characters. */
const hostileKey = fc.oneof(
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'hasOwnProperty',
    'valueOf',
    'polluted',
    '',
    '\u0000',
    '\u202e',
    '💥',
    'iss',
    'sub',
    'iat',
    'exp',
    'jwks',
    'keys',
    'kid',
    'alg',
    'typ',
    'crit',
    'metadata',
    'metadata_policy',
    'authority_hints',
    'constraints',
    'trust_marks',
    'trust_mark_type',
    'trust_mark',
    'status',
    'delegation',
  ),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
);

/** Number literals JSON.stringify never writes: overflow, underflow, -0, beyond 2^53. */
const hostileNumber = fc.oneof(
  fc.constantFrom(
    '1e400',
    '-1e400',
    '1e-400',
    '-0',
    '9007199254740993',
    '123456789012345678901234567890',
    '0.1e1',
    '1E+308',
    '-1.7976931348623157e308',
  ),
  fc.double().map((n) => JSON.stringify(n)),
  fc.integer().map(String),
);

/** Deep nesting (far past maxJsonDepth, up to `maxDepth`) and wide arrays. */
const nesting = (maxDepth: number) =>
  fc.oneof(
    fc
      .integer({ min: 30, max: maxDepth })
      .chain((depth) =>
        fc
          .constantFrom('[]', '{}')
          .map((kind) =>
            kind === '[]'
              ? `${'['.repeat(depth)}${']'.repeat(depth)}`
              : `${'{"a":'.repeat(depth)}null${'}'.repeat(depth)}`,
          ),
      ),
    fc.integer({ min: 1000, max: 20_000 }).map((width) => `[${Array(width).fill('0').join(',')}]`),
  );

/** Raw JSON text, with duplicate and prototype keys kept as written. */
const { value: jsonText } = fc.letrec<{
  value: string;
  leaf: string;
  array: string;
  object: string;
}>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    tie('leaf'),
    tie('array'),
    tie('object'),
  ),
  leaf: fc.oneof(
    hostileNumber,
    fc.string({ unit: 'binary', maxLength: 20 }).map((s) => JSON.stringify(s)),
    fc.constantFrom('true', 'false', 'null', '"https://ta.example.org"', '"http://127.0.0.1"'),
  ),
  array: fc.array(tie('value'), { maxLength: 4 }).map((items) => `[${items.join(',')}]`),
  object: fc
    .array(fc.tuple(hostileKey, tie('value')), { maxLength: 5 })
    .map((members) => `{${members.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
}));

/** Hostile JSON text for a JWS built from text (no JSON.stringify in between). */
const hostileValue = fc.oneof(
  { weight: 6, arbitrary: jsonText },
  { weight: 1, arbitrary: nesting(40_000) },
);

/** Hostile JSON text that the signer's JSON.stringify (recursive) can still write back. */
const signableValue = fc.oneof(
  { weight: 6, arbitrary: jsonText },
  { weight: 1, arbitrary: nesting(2000) },
);

/**
 * JSON text of `base` with `extra` members appended as written: a later duplicate wins in
 * JSON.parse, so this replaces members of a valid object, or adds prototype keys to it.
 */
function withMembers(
  base: Record<string, unknown>,
  extra: ReadonlyArray<readonly [string, string]>,
) {
  const members = [
    ...Object.entries(base).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`),
    ...extra.map(([k, v]) => `${JSON.stringify(k)}:${v}`),
  ];
  return `{${members.join(',')}}`;
}

/** Hostile JSON text built on a valid object: members replaced or added, or entirely other. */
function hostileObject(base: Record<string, unknown>) {
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .array(
          fc.tuple(fc.oneof(hostileKey, fc.constantFrom(...Object.keys(base))), hostileValue),
          {
            minLength: 1,
            maxLength: 3,
          },
        )
        .map((extra) => withMembers(base, extra)),
    },
    { weight: 1, arbitrary: hostileValue },
  );
}

/** Mutations of a compact JWS string. */
function mutatedJws(valid: string) {
  const parts = valid.split('.');
  return fc.oneof(
    // One character replaced, inserted or deleted anywhere.
    fc
      .tuple(
        fc.nat({ max: valid.length - 1 }),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }),
      )
      .map(([at, text]) => valid.slice(0, at) + text + valid.slice(at + 1)),
    fc
      .tuple(fc.nat({ max: valid.length }), fc.string({ unit: 'binary', maxLength: 5 }))
      .map(([at, text]) => valid.slice(0, at) + text + valid.slice(at)),
    fc
      .tuple(fc.nat({ max: valid.length }), fc.nat({ max: 40 }))
      .map(([at, length]) => valid.slice(0, at) + valid.slice(at + length)),
    // Truncated, or extended with extra parts (a JWE has five).
    fc.nat({ max: valid.length }).map((at) => valid.slice(0, at)),
    fc.constantFrom(`${valid}.`, `${valid}.x.y`, `.${valid}`, `${parts[0]}..${parts[2]}`),
    // Parts swapped or repeated.
    fc
      .array(fc.constantFrom(...parts), { minLength: 1, maxLength: 5 })
      .map((chosen) => chosen.join('.')),
    // The signature of another statement.
    fc
      .constantFrom(...chain, mark, statusResponse)
      .map((other) => `${parts[0]}.${parts[1]}.${other.split('.')[2]}`),
    // Padding, whitespace and standard base64 characters.
    fc.constantFrom(
      `${valid}=`,
      ` ${valid}`,
      `${valid}\n`,
      valid.replace(/-/g, '+'),
      valid.replace(/_/g, '/'),
    ),
  );
}

/** A compact JWS with a hostile header and/or hostile claims (signature not matching). */
function forged(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  signature: string,
) {
  return fc
    .tuple(
      fc.oneof(fc.constant(JSON.stringify(header)), hostileObject(header)),
      fc.oneof(fc.constant(JSON.stringify(claims)), hostileObject(claims)),
    )
    .filter(([h, c]) => h !== JSON.stringify(header) || c !== JSON.stringify(claims))
    .map(([h, c]) => `${b64(h)}.${b64(c)}.${signature}`);
}

const statementHeader = { typ: 'entity-statement+jwt', alg: 'ES256', kid: leaf.key.kid };
const signatureOf = (jwt: string) => jwt.split('.')[2] ?? '';

describe('§8.9 fuzzing the core through the package entry', () => {
  it(`decodeEntityStatement of mutated valid compact JWS strings fails only with listed codes and reasons (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(mutatedJws(chain[0] ?? ''), (input) =>
        endsWithOwnError(() => decodeEntityStatement(input, { allowHttp: true }), input),
      ),
      { numRuns: RUNS },
    );
  });

  it(`decodeEntityStatement of hostile header and claims JSON (prototype keys, huge numbers, deep nesting, unicode, wrong types) fails only with listed codes and reasons (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(forged(statementHeader, leafClaims, signatureOf(chain[0] ?? '')), (input) =>
        endsWithOwnError(() => decodeEntityStatement(input), input),
      ),
      { numRuns: RUNS },
    );
  });

  it(`resolveTrustChainJwts of a valid chain with one statement mutated or re-signed with hostile claims rejects only with listed codes and reasons, and never hangs (${RUNS} runs)`, async () => {
    const spoiled = fc.oneof(
      // A JWS-level mutation of one statement.
      fc
        .nat({ max: chain.length - 1 })
        .chain((index) =>
          mutatedJws(chain[index] ?? '').map((jwt) => chain.map((s, i) => (i === index ? jwt : s))),
        ),
      // Hostile claims, properly signed by the right key, so every later check is reached.
      fc
        .tuple(
          fc.nat({ max: chain.length - 1 }),
          fc.array(fc.tuple(hostileKey, signableValue), { minLength: 1, maxLength: 3 }),
        )
        .chain(([index, extra]) => {
          const [claims, key] =
            index === 0
              ? [leafClaims, leaf.key]
              : index === 1
                ? [subordinateClaimsOfLeaf, ta.key]
                : [taClaims, ta.key];
          const text = withMembers(claims, extra);
          return fc.constant({ index, text, key });
        })
        .map(({ index, text, key }) => ({ index, claims: JSON.parse(text) as unknown, key })),
      // Statements in another order, repeated or missing.
      fc.array(fc.constantFrom(...chain), { maxLength: 6 }),
    );
    await fc.assert(
      fc.asyncProperty(spoiled, async (input) => {
        let jwts: unknown = input;
        if (!Array.isArray(input)) {
          const signed = await sign(input.claims as Record<string, unknown>, input.key);
          jwts = chain.map((s, i) => (i === input.index ? signed : s));
        }
        await endsWithOwnError(
          () => resolveTrustChainJwts(jwts, anchor, { now: NOW }),
          JSON.stringify(jwts),
        );
      }),
      { numRuns: RUNS },
    );
  });

  it(`decodeTrustMark of mutated and hostile trust marks fails only with listed codes and reasons (${RUNS} runs)`, async () => {
    const header = { ...markHeader, alg: 'ES256', kid: ta.key.kid };
    const input = fc.oneof(mutatedJws(mark), forged(header, markClaims, signatureOf(mark)));
    await fc.assert(
      fc.asyncProperty(input, (jwt) =>
        endsWithOwnError(() => decodeTrustMark(jwt, markOptions), jwt),
      ),
      { numRuns: RUNS },
    );
  });

  it(`verifyTrustMarkStatusResponse of mutated and hostile status responses, signed or not, rejects only with listed codes and reasons (${RUNS} runs)`, async () => {
    const header = { ...statusHeader, alg: 'ES256', kid: ta.key.kid };
    const input = fc.oneof(
      mutatedJws(statusResponse).map((jwt) => ({ jwt })),
      forged(header, statusClaims, signatureOf(statusResponse)).map((jwt) => ({ jwt })),
      // Hostile claims signed by the issuer: the claim checks after the signature are reached.
      fc
        .array(fc.tuple(hostileKey, signableValue), { minLength: 1, maxLength: 3 })
        .map((extra) => ({ claims: JSON.parse(withMembers(statusClaims, extra)) as unknown })),
    );
    const expected = fc.record({
      issuer: fc.oneof(fc.constant(ta.id), fc.string({ maxLength: 20 })),
      trustMark: fc.oneof(fc.constant(mark), fc.string({ maxLength: 20 })),
    });
    await fc.assert(
      fc.asyncProperty(input, expected, async (candidate, { issuer, trustMark }) => {
        const jwt =
          'jwt' in candidate
            ? candidate.jwt
            : await sign(candidate.claims as Record<string, unknown>, ta.key, statusHeader);
        await endsWithOwnError(
          () =>
            verifyTrustMarkStatusResponse(
              jwt,
              { issuer, trustMark, issuerKeys: ta.jwks },
              markOptions,
            ),
          jwt,
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('no input above added or changed a member of Object.prototype', () => {
    assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), prototypeKeysBefore);
    assert.equal(Object.prototype.toString.call({}), '[object Object]');
  });
});
