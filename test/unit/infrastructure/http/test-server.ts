/**
 * Loopback HTTP(S) servers for the fetcher tests: they record every request and count
 * connections, so a test can prove what the fetcher sent and how many sockets it used.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

/** A request as the server received it. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** Handles a request after its body has been read. */
export type Handler = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  recorded: RecordedRequest,
) => void;

/** A running loopback server. */
export interface TestServer {
  readonly port: number;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** TCP connections accepted so far. */
  connections(): number;
  /** `http(s)://<host>:<port><path>`; the host defaults to 127.0.0.1. */
  url(path: string, host?: string): string;
  close(): Promise<void>;
}

/**
 * A self-signed certificate for 127.0.0.1 and localhost (EC P-256, valid for 100 years), made with
 * `openssl req -x509`. Test data only: no client trusts it, which is what the TLS test needs.
 */
export const SELF_SIGNED_TLS = {
  key: `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgZrYArKTQEbQsXqFW
YhpWzc2+PvphYApP2YTjopXEtOyhRANCAASqE/4XNNS+lhVJtVznHAghlZJrAuoK
B8xN5KupZcZ8zlScjnWtB1Gs4fU2FZCxttRzxqakE7o9QHQkaRPPjHDb
-----END PRIVATE KEY-----
`,
  cert: `-----BEGIN CERTIFICATE-----
MIIBuDCCAV+gAwIBAgIUTEDAiQ3kBgKid030oEKG+gPMQaUwCgYIKoZIzj0EAwIw
IzEhMB8GA1UEAwwYZmVkZXJhdGlvbi1yZXNvbHZlciB0ZXN0MCAXDTI2MTEyOTEy
NDAwN1oYDzIxMjYxMTA1MTI0MDA3WjAjMSEwHwYDVQQDDBhmZWRlcmF0aW9uLXJl
c29sdmVyIHRlc3QwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAASqE/4XNNS+lhVJ
tVznHAghlZJrAuoKB8xN5KupZcZ8zlScjnWtB1Gs4fU2FZCxttRzxqakE7o9QHQk
aRPPjHDbo28wbTAdBgNVHQ4EFgQUuowibVcZH6kYiATEaa5rL3xsqZIwHwYDVR0j
BBgwFoAUuowibVcZH6kYiATEaa5rL3xsqZIwDwYDVR0TAQH/BAUwAwEB/zAaBgNV
HREEEzARhwR/AAABgglsb2NhbGhvc3QwCgYIKoZIzj0EAwIDRwAwRAIgKjGCf6MY
2I5NcwXhOjz3BHxv9O+xli0hRROZlvhazHgCIHj8MXcoaHlSFFoPH8dH10wFydjT
nf8mWXJyQ3luiIE/
-----END CERTIFICATE-----
`,
} as const;

/** Starts a server on 127.0.0.1, port 0; `tls` makes it an https server. */
export async function startServer(
  handler: Handler,
  options: { readonly tls?: { readonly key: string; readonly cert: string } } = {},
): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const listener: http.RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      handler(req, res, recorded);
    });
  };
  const server =
    options.tls === undefined
      ? http.createServer(listener)
      : https.createServer({ key: options.tls.key, cert: options.tls.cert }, listener);
  server.on('connection', (socket: Socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // A client that gives up mid-response makes the server socket fail; that is expected here.
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const scheme = options.tls === undefined ? 'http' : 'https';
  return {
    port,
    requests,
    connections: () => connections,
    url: (path, host = '127.0.0.1') => `${scheme}://${host}:${port}${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Streams `chunkSize`-byte chunks every `intervalMs` until the client goes away or `maxBytes`
 * have been written; resolves with the bytes written once the response closes.
 */
export function streamUntilClosed(
  res: http.ServerResponse,
  { chunkSize, intervalMs, maxBytes }: { chunkSize: number; intervalMs: number; maxBytes: number },
): Promise<number> {
  return new Promise((resolve) => {
    let written = 0;
    const chunk = Buffer.alloc(chunkSize, 0x61);
    const timer = setInterval(() => {
      if (res.destroyed || written >= maxBytes) {
        clearInterval(timer);
        if (!res.destroyed) res.end();
        return;
      }
      res.write(chunk);
      written += chunkSize;
    }, intervalMs);
    res.on('close', () => {
      clearInterval(timer);
      resolve(written);
    });
  });
}
