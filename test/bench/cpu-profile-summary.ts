/**
 * Where the CPU of a `node --cpu-prof` profile goes: self time grouped by what the code is
 * (jose and WebCrypto, the HTTP client and its sockets, JSON and base64url, our code, the
 * runtime, GC), then the top functions by self time. Made for the profile that
 * `BENCH_CPU_PROF=<dir> node dist/test/bench/federation.bench.js` writes of the crawling child:
 *
 *   node dist/test/bench/cpu-profile-summary.js <dir>/<file>.cpuprofile [top functions, default 25]
 *
 * A profile samples the main JavaScript thread only: work on other threads (libuv's pool, GC
 * helpers) is in the process's CPU time but not here.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly children?: readonly number[];
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Groups, tried in order; the first whose test matches a frame takes its self time. */
const GROUPS: ReadonlyArray<readonly [string, (name: string, url: string) => boolean]> = [
  ['(idle)', (name) => name === '(idle)'],
  ['garbage collector', (name) => name === '(garbage collector)'],
  ['(program): the VM itself, unattributed', (name) => name === '(program)'],
  [
    'JSON and base64url',
    (name, url) =>
      (url === '' && /^(parse|stringify|base64url\w*|decodeUTF8|writeUtf8String)$/.test(name)) ||
      (url.includes('/jose/') && /base64|decodeBase64|encodeBase64/i.test(name)) ||
      url === 'node:internal/encoding' ||
      url === 'node:buffer',
  ],
  [
    'crypto: ES256 verify (WebCrypto job)',
    (name, url) =>
      (url === 'node:internal/crypto/util' && name === '') ||
      (url === 'node:internal/crypto/ec' && (name === '' || name === 'ecdsaSignVerify')),
  ],
  [
    'crypto: key import (JWK → CryptoKey)',
    (name, url) =>
      /^(ecImportKey|importKey|importGenericSecretKey|createPublicKey)$/.test(name) &&
      (url.startsWith('node:internal/crypto') || url === ''),
  ],
  [
    'crypto: hashing (verification cache keys, thumbprints)',
    (_name, url) => url === 'node:internal/crypto/hash',
  ],
  [
    'WebCrypto plumbing (algorithm normalisation, WebIDL, CryptoKey objects)',
    (_name, url) =>
      url.startsWith('node:internal/crypto') ||
      url === 'node:internal/worker/js_transferable' ||
      url.startsWith('node:internal/webidl'),
  ],
  ['jose (JWS parsing, key import, verify wrapper)', (_name, url) => url.includes('/jose/')],
  [
    'HTTP client and sockets (Node)',
    (name, url) =>
      /^node:(_http_client|_http_agent|_http_outgoing|_http_common|_http_incoming|net|internal\/stream_base_commons|internal\/streams\/|internal\/url|internal\/dns|dns|url)/.test(
        url,
      ) ||
      (url === '' && /^(writeLatin1String|writev|writeBuffer|execute|connect|lookup)$/.test(name)),
  ],
  [
    'our HTTP client (src/infrastructure/http)',
    (_name, url) => url.includes('/src/infrastructure/http/'),
  ],
  ['our code (the rest of src/)', (_name, url) => url.includes('/dist/src/')],
  [
    'lru-cache, prom-client, pino, koa',
    (_name, url) => /node_modules\/(lru-cache|prom-client|pino|koa|@koa|tsyringe)/.test(url),
  ],
  [
    'Node runtime: promises, events, timers, AbortSignal',
    (name, url) =>
      name === 'runMicrotasks' ||
      /^node:(events|timers|internal\/(event_target|abort_controller|timers|process|async_hooks|util|validators|errors))/.test(
        url,
      ),
  ],
  ['everything else', () => true],
];

function summarize(profile: Profile, top: number): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, index) =>
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)),
  );
  const total = [...self.values()].reduce((sum, value) => sum + value, 0);
  const groups = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, micros] of self) {
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined) continue;
    const url = frame.url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '/$1/');
    const group = GROUPS.find(([, test]) => test(frame.functionName, url))?.[0] ?? '?';
    groups.set(group, (groups.get(group) ?? 0) + micros);
    const where = url === '' ? '' : ` ${url.replace(/^\/dist\//, '')}:${frame.lineNumber + 1}`;
    const key = `${frame.functionName === '' ? '(anonymous)' : frame.functionName}${where}`;
    functions.set(key, (functions.get(key) ?? 0) + micros);
  }
  const idle = groups.get('(idle)') ?? 0;
  const row = (micros: number, label: string) =>
    `${(micros / 1000).toFixed(0).padStart(7)} ms ${((100 * micros) / (total - idle)).toFixed(1).padStart(5)} %  ${label}`;
  return [
    `main thread: ${(total / 1000).toFixed(0)} ms sampled, ${(idle / 1000).toFixed(0)} ms idle; shares of the ${((total - idle) / 1000).toFixed(0)} ms busy:`,
    ...[...groups]
      .filter(([group]) => group !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .map(([group, micros]) => row(micros, group)),
    '',
    `top ${top} functions by self time:`,
    ...[...functions]
      .filter(([name]) => name !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => row(micros, name)),
  ].join('\n');
}

const [file, top] = process.argv.slice(2);
if (file === undefined) {
  console.error('usage: node dist/test/bench/cpu-profile-summary.js <file.cpuprofile> [top]');
  process.exit(2);
}
console.log(summarize(JSON.parse(readFileSync(file, 'utf8')) as Profile, Number(top ?? 25)));
