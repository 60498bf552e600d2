/**
 * Starting and stopping one resolver service: container, Koa app, HTTP server with deliberate
 * connection limits, answers for requests Node cannot parse, SIGHUP reload and a graceful close.
 * Used by main.ts, the demo and the integration tests (which listen on port 0).
 */
import { STATUS_CODES, createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { DependencyContainer } from 'tsyringe';
import { buildContainer, closeResources, type ContainerOverrides } from './composition-root.js';
import { ConfigError, loadConfig, type Config } from './config/config.js';
import { createApp } from './http/app.js';
import { ExplorerAssetsError, readExplorerAssets } from './infrastructure/explorer-assets.js';
import { toErrorResponse } from './http/error-mapping.js';
import { MAX_URL_LENGTH, SECURITY_HEADERS } from './http/middleware.js';
import { InvalidRequestError, type FailureReason } from './federation/errors.js';
import { SigningKeyError } from './infrastructure/keys/signing-keys.js';
import { TrustAnchorFileError } from './infrastructure/trust-anchors/trust-anchor-store.js';
import { TOKENS } from './tokens.js';

/** A running resolver service. */
export interface RunningService {
  /** Base URL it answers on, e.g. http://127.0.0.1:8080 */
  readonly url: string;
  readonly server: Server;
  readonly container: DependencyContainer;
  /** Re-reads the trust anchors folder; keeps the previous set when it is invalid. */
  reloadTrustAnchors(): void;
  /**
   * Stops accepting connections, lets the requests in progress finish (each with its normal
   * answer) for up to SHUTDOWN_GRACE_MS, then closes every connection and the upstream sockets.
   * Idempotent.
   */
  close(): Promise<void>;
}

/** How often idle and slow client connections are checked against their timeouts. */
const CONNECTIONS_CHECK_INTERVAL_MS = 1000;

/** How long a connection whose request could not be parsed may still send before it is cut. */
const LINGER_MS = 1000;

/** The §8.9 answer to a request the app never sees: status, headers and body. */
function errorAnswer(
  reason: FailureReason,
  message: string,
): { status: number; headers: Record<string, string>; body: string } {
  const { status, body } = toErrorResponse(new InvalidRequestError(message, { reason }));
  const json = JSON.stringify(body);
  return {
    status,
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(json)),
      'Cache-Control': 'no-store',
      Connection: 'close',
      ...SECURITY_HEADERS,
    },
    body: json,
  };
}

/**
 * Writes `answer` on a raw socket and closes it. What the client still sends is read and dropped
 * for a moment first, so the close does not turn into a reset that loses the answer.
 */
function answerOnSocket(socket: Socket, answer: ReturnType<typeof errorAnswer>): void {
  const head = [
    `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? 'Bad Request'}`,
    ...Object.entries(answer.headers).map(([name, value]) => `${name}: ${value}`),
  ].join('\r\n');
  socket.on('error', () => undefined);
  socket.resume();
  socket.end(`${head}\r\n\r\n${answer.body}`);
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

/** Answers a request Node's parser refused (it never reaches the app) in the §8.9 JSON form. */
function answerClientError(error: NodeJS.ErrnoException & { rawPacket?: unknown }, socket: Socket) {
  if (!socket.writable || error.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    // The request line alone over the target limit means a URI too long, otherwise headers.
    const raw = Buffer.isBuffer(error.rawPacket) ? error.rawPacket : Buffer.alloc(0);
    const lineEnd = raw.indexOf('\r\n');
    const targetTooLong = lineEnd === -1 || lineEnd > MAX_URL_LENGTH;
    answerOnSocket(
      socket,
      targetTooLong
        ? errorAnswer(
            'uri_too_long',
            `the request target is over the limit of ${MAX_URL_LENGTH} characters`,
          )
        : errorAnswer('headers_too_large', 'the request headers are too large'),
    );
    return;
  }
  const timedOut = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' || error.code === 'HPE_HEADER_TIMEOUT';
  answerOnSocket(
    socket,
    timedOut
      ? errorAnswer('request_timeout', 'the request did not arrive in time')
      : errorAnswer('request_malformed', 'the request is not valid HTTP/1.1'),
  );
}

/** Builds the service for `config` and starts listening. */
export async function startServer(
  config: Config,
  overrides: ContainerOverrides = {},
): Promise<RunningService> {
  // Read before the container opens anything (Redis connections, resolution workers).
  const explorer = config.explorer ? await readExplorerAssets() : undefined;
  const container = await buildContainer(config, overrides);
  const logger = container.resolve(TOKENS.Logger);
  const lifecycle = { closing: false };
  const app = createApp({
    engine: container.resolve(TOKENS.ResolverEngine),
    clock: container.resolve(TOKENS.Clock),
    metrics: container.resolve(TOKENS.Metrics),
    logger,
    allowInsecureHttp: config.allowInsecureHttp,
    trustedProxies: config.trustedProxies,
    metricsToken: config.metricsToken,
    adminToken: config.adminToken,
    collectionMaxLimit: config.collectionMaxLimit,
    explorer,
    lifecycle,
  });
  // Bounded per-connection work: slow or idle clients do not hold sockets for long, and the
  // number of connections is capped below the file descriptors a process has.
  const server = createServer(
    {
      headersTimeout: config.headersTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      keepAliveTimeout: config.keepAliveTimeoutMs,
      connectionsCheckingInterval: CONNECTIONS_CHECK_INTERVAL_MS,
      // A request without Host reaches the app, which answers it in the spec's JSON form.
      requireHostHeader: false,
    },
    app.callback(),
  );
  server.maxConnections = config.maxConnections;
  server.on('clientError', answerClientError);
  // Requests Node would otherwise answer bare, or drop: an Expect we do not meet, and CONNECT.
  server.on('checkExpectation', (request, response) => {
    const answer = errorAnswer(
      'expectation_failed',
      `the expectation ${JSON.stringify(request.headers.expect ?? '')} cannot be met`,
    );
    request.resume();
    response.writeHead(answer.status, answer.headers).end(answer.body);
  });
  server.on('connect', (request, socket: Socket) =>
    answerOnSocket(
      socket,
      errorAnswer('method_not_implemented', `${request.method ?? 'CONNECT'} is not served here`),
    ),
  );
  let inFlight = 0;
  let drained: (() => void) | undefined;
  server.on('request', (_request, response) => {
    inFlight++;
    response.once('close', () => {
      inFlight--;
      if (inFlight === 0) drained?.();
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    // A service that cannot listen leaves nothing open behind its error.
    await closeResources(container);
    throw error;
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${address.port}`;
  logger.info(
    {
      url,
      entityId: config.entityId,
      trustAnchors: container.resolve(TOKENS.TrustAnchorStore).all().length,
    },
    'listening',
  );
  // The first crawl pass starts once the service answers (CRAWL=on), then one every interval.
  if (config.crawl !== undefined) container.resolve(TOKENS.Crawler).start();

  let closing: Promise<void> | undefined;
  return {
    url,
    server,
    container,
    reloadTrustAnchors() {
      const store = container.resolve(TOKENS.TrustAnchorStore);
      try {
        const anchors = store.load();
        logger.info(
          { trustAnchors: anchors.map((anchor) => anchor.entity_id) },
          'trust anchors reloaded',
        );
      } catch (error) {
        logger.error({ err: error }, 'trust anchors not reloaded; the previous set stays in use');
      }
    },
    close() {
      closing ??= (async () => {
        lifecycle.closing = true;
        logger.info({ inFlight, graceMs: config.shutdownGraceMs }, 'shutting down');
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        if (inFlight > 0) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, config.shutdownGraceMs);
            drained = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
        server.closeAllConnections();
        await stopped;
        if (config.crawl !== undefined) container.resolve(TOKENS.Crawler).stop();
        await closeResources(container);
        logger.info({ unfinished: inFlight }, 'stopped');
      })();
      return closing;
    },
  };
}

/**
 * The process's signals for a running service: SIGHUP reloads the trust anchors; the first
 * SIGTERM or SIGINT stops accepting and lets requests in progress finish (up to
 * SHUTDOWN_GRACE_MS), then exits 0; a second one ends the process at once.
 */
export function handleSignals(service: RunningService): void {
  process.on('SIGHUP', () => service.reloadTrustAnchors());
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) process.exit(1);
      stopping = true;
      void service.close().then(() => process.exit(0));
    });
  }
}

/**
 * The setting behind a boot failure (a bad variable, trust anchor file or keys file, or the
 * explorer's files missing), as one sentence naming the variable; undefined for any other error.
 */
export function bootFailure(error: unknown): string | undefined {
  if (error instanceof ConfigError) return error.message;
  if (error instanceof TrustAnchorFileError) return `TRUST_ANCHORS_DIR: ${error.message}`;
  if (error instanceof SigningKeyError) return `RESOLVER_KEYS_FILE: ${error.message}`;
  if (error instanceof ExplorerAssetsError) return `EXPLORER: ${error.message}`;
  return undefined;
}

/**
 * The service as `npm start` runs it: configured from `env`, started, and stopped or reloaded by
 * the process's signals. Throws what {@link bootFailure} explains when it cannot start.
 */
export async function runService(env: Readonly<Record<string, string | undefined>>) {
  const service = await startServer(loadConfig(env));
  handleSignals(service);
  return service;
}
