/**
 * A test federation in memory: the same topology, statements, faults and request log as the
 * loopback testbed, served straight to a StatementSource (and a Trust Mark Status source) with no
 * socket. Unit tests of the engine use it with a fixed clock; HTTP concerns (media types, byte
 * caps, the address guard) stay with the integration tests of the real fetcher.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { MEDIA_TYPES } from '../federation/constants.js';
import { entityConfigurationUrl, fetchEndpointUrl } from '../federation/entity-id.js';
import {
  NotFoundError,
  TemporarilyUnavailableError,
  type FederationError,
} from '../federation/errors.js';
import type { FetchContext, FetchedStatement, StatementSource } from '../federation/ports.js';
import { routeOf, type Reply } from './federation-endpoints.js';
import {
  createFederationModel,
  prepareTopology,
  type FederationControls,
} from './federation-model.js';
import type { Topology } from './topology.js';

/** Options of {@link createMemoryFederation}. */
export interface MemoryFederationOptions {
  /** Base URL of the Entity Identifiers; default `https://federation.test`. */
  readonly url?: string;
  /** The federation's clock in seconds since the epoch; default `Date.now() / 1000`. */
  readonly now?: () => number;
  /** Most request log entries kept (counters stay exact); default 10000. */
  readonly maxLogEntries?: number;
}

/** A test federation served from memory. */
export interface MemoryFederation extends FederationControls, StatementSource {
  /** The Trust Mark Status source of the federation's issuers (§8.4.1). */
  fetchStatus(
    endpoint: string,
    trustMark: string,
    context: { readonly signal?: AbortSignal },
  ): Promise<string>;
  /** Holds every answer from now on until the returned function is called. */
  hold(): () => void;
}

/** How a status code the federation answered is reported, as the HTTP fetcher's contract says. */
function refusal(status: number, url: string): FederationError {
  const where = { url, status };
  const message = `the federation answered HTTP ${status}`;
  if (status === 429 || status >= 500) {
    return new TemporarilyUnavailableError(message, { reason: 'upstream_status', ...where });
  }
  const reason =
    status >= 300 && status < 400
      ? 'redirect_refused'
      : status === 404 || status === 410
        ? 'statement_unavailable'
        : 'upstream_status';
  return new NotFoundError(message, { reason, ...where });
}

/** The body of a 200 reply of `mediaType`, or the failure the reply stands for. */
function bodyOf(reply: Reply, url: string, mediaType: string): string {
  if (reply.status !== 200) throw refusal(reply.status, url);
  const received = (reply.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase();
  if (received !== mediaType) {
    throw new NotFoundError('the federation answered with an unexpected content type', {
      reason: 'content_type_invalid',
      url,
    });
  }
  // A trailing newline is not part of the JWS (as the HTTP source trims it).
  return reply.body.toString('utf8').trim();
}

/** Builds the federation of `topology` in memory (validating it first). */
export async function createMemoryFederation(
  topology: Topology,
  options: MemoryFederationOptions = {},
): Promise<MemoryFederation> {
  const now = options.now ?? (() => Date.now() / 1000);
  const model = createFederationModel(
    await prepareTopology(topology),
    options.url ?? 'https://federation.test',
    { now, maxLogEntries: options.maxLogEntries },
  );
  let gate: Promise<void> = Promise.resolve();

  async function answer(
    method: 'GET' | 'POST',
    url: string,
    mediaType: string,
    signal: AbortSignal | undefined,
    form?: string,
  ): Promise<string> {
    await gate;
    const at = Date.now();
    const target = routeOf(new URL(url));
    const body =
      form === undefined
        ? undefined
        : { contentType: 'application/x-www-form-urlencoded', text: form };
    const { reply, subjectId } = await model.endpoints.answer(method, target, body);
    if (reply.delayMs > 0) {
      try {
        await sleep(reply.delayMs, undefined, signal === undefined ? {} : { signal });
      } catch {
        throw new TemporarilyUnavailableError('the request was aborted by its deadline', {
          reason: 'deadline_exceeded',
          url,
        });
      }
    }
    const sub = target.kind === 'fetch' ? target.url.searchParams.get('sub') : (subjectId ?? null);
    model.requests.record({
      method,
      path: `${target.url.pathname}${target.url.search}`,
      kind: target.kind,
      entity: target.entity,
      status: reply.status,
      at,
      ...(sub === null ? {} : { subject: sub }),
    });
    return bodyOf(reply, url, mediaType);
  }

  async function statement(url: string, context: FetchContext): Promise<FetchedStatement> {
    const jwt = await answer('GET', url, MEDIA_TYPES.entityStatement, context.signal);
    return { jwt, url, cacheHit: false, durationMs: 0 };
  }

  return {
    ...model.controls,
    fetchEntityConfiguration: (entityId, context) =>
      statement(entityConfigurationUrl(entityId), context),
    fetchSubordinateStatement: (endpoint, subject, context) =>
      statement(fetchEndpointUrl(endpoint, subject), context),
    fetchStatus: (endpoint, trustMark, context) =>
      answer(
        'POST',
        endpoint,
        MEDIA_TYPES.trustMarkStatusResponse,
        context.signal,
        new URLSearchParams({ trust_mark: trustMark }).toString(),
      ),
    hold() {
      let release: () => void = () => undefined;
      gate = new Promise<void>((resolve) => (release = resolve));
      return () => release();
    },
  };
}
