/**
 * A loopback upstream that behaves as the open internet may: a small valid federation that grows
 * on demand (any number of distinct subjects), and subjects that attack the resolver in one way
 * each. Statements are signed when asked for and never kept, so the upstream itself stays small
 * however many subjects a test uses. Entity Identifiers are `<url>/<kind>/<n>`:
 *
 * | kind             | what `<url>/<kind>/<n>/.well-known/openid-federation` does                    |
 * | ---------------- | ------------------------------------------------------------------------------ |
 * | `ok`             | a valid leaf under `<url>/ta`                                                   |
 * | `big`            | a valid leaf whose configuration is about `bigBytes` long (default 200 KB)     |
 * | `hints`          | a valid configuration with `hintCount` (default 5,000) hints, all answering 404 |
 * | `silent`         | accepts the request and never answers                                           |
 * | `reset`          | resets the connection                                                           |
 * | `oversized`      | streams a body far larger than any cap                                          |
 * | `status-<c>-<r>` | answers HTTP status `<c>`, with `Retry-After: <r>` when `<r>` is not 0          |
 * | anything else    | 404                                                                             |
 *
 * `<url>/ta` is the anchor: its fetch endpoint `<url>/ta/fetch` issues a Subordinate Statement
 * about any `ok`, `big` or `hints` subject. Every answer can be delayed by `latencyMs`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { generateSigningKey, signJwt, type SigningKey } from '../../src/testbed/index.js';
import type { TrustAnchor } from '../../src/federation/types.js';

/** Options of {@link startHostileUpstream}. */
export interface HostileUpstreamOptions {
  /** Milliseconds before every answer; default 0. */
  readonly latencyMs?: number;
  /** Length of a `big` configuration (the compact JWS), bytes; default 204800. */
  readonly bigBytes?: number;
  /** Hints of a `hints` configuration; default 5000. */
  readonly hintCount?: number;
  /** Lifetime of every statement, seconds; default 3600. */
  readonly lifetimeSeconds?: number;
}

/** A running hostile upstream. */
export interface HostileUpstream {
  readonly url: string;
  /** The Entity Identifier `<url>/<kind>/<n>`. */
  entityId(kind: string, n: number | string): string;
  /** The anchor `<url>/ta` as a configured Trust Anchor. */
  readonly trustAnchor: TrustAnchor;
  /** Requests received, in all and by kind. */
  requests(kind?: string): number;
  /** Connections currently open. */
  connections(): number;
  close(): Promise<void>;
}

const EC = 'application/entity-statement+jwt';

/** Starts the upstream on 127.0.0.1, port 0. */
export async function startHostileUpstream(
  options: HostileUpstreamOptions = {},
): Promise<HostileUpstream> {
  const taKey: SigningKey = await generateSigningKey('ES256');
  const leafKey: SigningKey = await generateSigningKey('ES256');
  const lifetime = options.lifetimeSeconds ?? 3600;
  const bigBytes = options.bigBytes ?? 200 * 1024;
  const hintCount = options.hintCount ?? 5000;
  const latencyMs = options.latencyMs ?? 0;
  const counts = new Map<string, number>();
  const sockets = new Set<Socket>();
  let total = 0;
  let url = '';
  const times = () => {
    const iat = Math.floor(Date.now() / 1000) - 10;
    return { iat, exp: iat + lifetime };
  };
  const ta = () => `${url}/ta`;

  const leafConfiguration = (id: string, extra: Record<string, unknown>) =>
    signJwt(
      {
        iss: id,
        sub: id,
        ...times(),
        jwks: { keys: [leafKey.publicJwk] },
        metadata: { openid_provider: { issuer: id, display_name: 'hostile upstream leaf' } },
        authority_hints: [ta()],
        ...extra,
      },
      leafKey,
    );

  async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://upstream.invalid');
    const [kind = '', n = ''] = path.pathname.split('/').slice(1, 3);
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
    total++;
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    const id = `${url}/${kind}/${n}`;
    const send = (status: number, type: string, body: string, headers = {}) => {
      response.writeHead(status, { 'content-type': type, ...headers });
      response.end(body);
    };
    if (kind === 'ta' && path.pathname === '/ta/.well-known/openid-federation') {
      send(
        200,
        EC,
        await signJwt(
          {
            iss: ta(),
            sub: ta(),
            ...times(),
            jwks: { keys: [taKey.publicJwk] },
            metadata: { federation_entity: { federation_fetch_endpoint: `${ta()}/fetch` } },
          },
          taKey,
        ),
      );
      return;
    }
    if (kind === 'ta' && path.pathname === '/ta/fetch') {
      const sub = path.searchParams.get('sub') ?? '';
      if (!/\/(ok|big|hints)\/[^/]+$/.test(sub) || !sub.startsWith(url)) {
        send(404, 'application/json', '{"error":"not_found","error_description":"unknown"}');
        return;
      }
      send(
        200,
        EC,
        await signJwt({ iss: ta(), sub, ...times(), jwks: { keys: [leafKey.publicJwk] } }, taKey),
      );
      return;
    }
    const status = /^status-(\d{3})-(\d+)$/.exec(kind);
    if (status !== null) {
      const retryAfter = status[2] === '0' ? {} : { 'retry-after': status[2] ?? '' };
      send(Number(status[1]), 'application/json', '{"error":"server_error"}', retryAfter);
      return;
    }
    switch (kind) {
      case 'ok':
        send(200, EC, await leafConfiguration(id, {}));
        return;
      case 'big':
        // base64url makes the payload 4/3 as long; the rest of the statement is under 1 KB.
        send(
          200,
          EC,
          await leafConfiguration(id, {
            padding: 'p'.repeat(Math.max(0, Math.floor((bigBytes * 3) / 4) - 1024)),
          }),
        );
        return;
      case 'hints':
        send(
          200,
          EC,
          await leafConfiguration(id, {
            authority_hints: Array.from({ length: hintCount }, (_, i) => `${url}/g/${i}`),
          }),
        );
        return;
      case 'silent':
        // Never answers; the socket stays open until the client gives up or the server closes.
        return;
      case 'reset':
        request.socket.resetAndDestroy();
        return;
      case 'oversized': {
        response.writeHead(200, { 'content-type': EC });
        const chunk = 'a'.repeat(64 * 1024);
        let sent = 0;
        const pump = (): void => {
          while (sent < 50 * 1024 * 1024 && response.write(chunk)) sent += chunk.length;
          if (sent < 50 * 1024 * 1024) response.once('drain', pump);
          else response.end();
        };
        response.on('close', () => response.removeAllListeners('drain'));
        pump();
        return;
      }
      default:
        send(404, 'application/json', '{"error":"not_found","error_description":"unknown"}');
    }
  }

  const server = createServer((request, response) => {
    answer(request, response).catch(() => response.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  url = `http://127.0.0.1:${address.port}`;
  return {
    url,
    entityId: (kind, n) => `${url}/${kind}/${n}`,
    trustAnchor: { entity_id: ta(), jwks: { keys: [taKey.publicJwk] } },
    requests: (kind) => (kind === undefined ? total : (counts.get(kind) ?? 0)),
    connections: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      }),
  };
}
