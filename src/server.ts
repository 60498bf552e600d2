/**
 * Starting and stopping one resolver service: container, Koa app, HTTP server, SIGHUP reload.
 * Used by main.ts, the demo and the integration tests (which listen on port 0).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DependencyContainer } from 'tsyringe';
import { buildContainer, type ContainerOverrides } from './composition-root.js';
import type { Config } from './config/config.js';
import { createApp } from './http/app.js';
import { TOKENS } from './tokens.js';

/** A running resolver service. */
export interface RunningService {
  /** Base URL it answers on, e.g. http://127.0.0.1:8080 */
  readonly url: string;
  readonly server: Server;
  readonly container: DependencyContainer;
  /** Re-reads the trust anchors folder; keeps the previous set when it is invalid. */
  reloadTrustAnchors(): void;
  /** Stops accepting requests, closes connections and upstream sockets. Idempotent. */
  close(): Promise<void>;
}

/** Builds the service for `config` and starts listening. */
export async function startServer(
  config: Config,
  overrides: ContainerOverrides = {},
): Promise<RunningService> {
  const container = await buildContainer(config, overrides);
  const logger = container.resolve(TOKENS.Logger);
  const app = createApp({
    engine: container.resolve(TOKENS.ResolverEngine),
    clock: container.resolve(TOKENS.Clock),
    metrics: container.resolve(TOKENS.Metrics),
    logger,
    allowInsecureHttp: config.allowInsecureHttp,
  });
  const server = app.listen(config.port, config.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  // Bounded per-connection work: slow or idle clients do not hold sockets forever.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
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
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        container.resolve(TOKENS.HttpFetcher).close();
      });
      return closing;
    },
  };
}
