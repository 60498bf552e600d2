/**
 * The endpoints of a test federation, without sockets: an Entity Configuration per entity (§9),
 * and, for entities with subordinates, a fetch endpoint (§8.1) and a list endpoint (§8.2), and,
 * for trust mark issuers, a Trust Mark Status endpoint (§8.4). Each request becomes a
 * {@link Reply} with its faults applied; the HTTP server writes it to a socket, the in-memory
 * source reads it directly.
 */
import { FEDERATION_ENTITY, MEDIA_TYPES } from '../federation/constants.js';
import { ENDPOINT_PATHS, type EntityUrls } from './entity-urls.js';
import type { TestbedRequestKind } from './request-log.js';
import type { SignedStatement, StatementStore, TrustMarkStatusAnswer } from './statement-store.js';
import type { StatementFaults } from './topology.js';

/** One response, decided before it is written. */
export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  readonly delayMs: number;
  /** Close the connection without writing anything (the `noAnswer` fault). */
  readonly noAnswer?: boolean;
}

/** What a request asks for. */
export interface Route {
  /** Never `application`: whether an application answers is the server's decision. */
  readonly kind: Exclude<TestbedRequestKind, 'application'>;
  readonly entity: string;
  readonly url: URL;
}

/** A reply, and the trust mark subject a status request asked about (for the request log). */
export interface Answered {
  readonly reply: Reply;
  readonly subjectId?: string;
}

/** The form body of a status request, read before answering (§8.4.1). */
export interface RequestBody {
  /** `Content-Type` as received, or `undefined`. */
  readonly contentType: string | undefined;
  /** The body text, or `undefined` when it exceeded {@link MAX_REQUEST_BODY_BYTES}. */
  readonly text: string | undefined;
}

/** Largest request body the status endpoint reads; more is answered 413. */
export const MAX_REQUEST_BODY_BYTES = 64 * 1024;

/** §8.4.1: the media type of a Trust Mark Status request. */
const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded';

/** §8.9: the `error` code that goes with an HTTP status in an error response. */
function errorCodeFor(status: number): string {
  if (status === 401) return 'invalid_client';
  if (status === 404) return 'not_found';
  if (status === 503) return 'temporarily_unavailable';
  return status >= 500 ? 'server_error' : 'invalid_request';
}

function reply(
  status: number,
  contentType: string | undefined,
  body: Buffer | string,
  delayMs = 0,
  extraHeaders: Record<string, string> = {},
): Reply {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const headers: Record<string, string> = {
    ...extraHeaders,
    'content-length': String(bytes.length),
  };
  // An empty content type (a fault) means no Content-Type header at all.
  if (contentType !== undefined && contentType !== '') headers['content-type'] = contentType;
  return { status, headers, body: bytes, delayMs };
}

/** Optional parts of an error reply. */
interface ErrorReplyOptions {
  readonly contentType?: string;
  readonly delayMs?: number;
  readonly headers?: Record<string, string>;
}

/** §8.9: a JSON error body with `error` and `error_description`. */
export function errorReply(
  status: number,
  error: string,
  description: string,
  options: ErrorReplyOptions = {},
): Reply {
  return reply(
    status,
    options.contentType ?? MEDIA_TYPES.json,
    JSON.stringify({ error, error_description: description }),
    options.delayMs,
    options.headers,
  );
}

/** The reply for a statement with its faults: redirect, error status, fixed body, or the JWS. */
async function statementReply(
  faults: StatementFaults | undefined,
  signed: () => Promise<SignedStatement>,
): Promise<Reply> {
  const delayMs = faults?.delayMs ?? 0;
  const status = faults?.status;
  if (faults?.noAnswer === true) return { ...reply(200, undefined, ''), delayMs, noAnswer: true };
  if (faults?.redirectTo !== undefined) {
    const redirectStatus = status !== undefined && status >= 300 && status < 400 ? status : 302;
    return reply(redirectStatus, faults.contentType, '', delayMs, { location: faults.redirectTo });
  }
  const isError = status !== undefined && status >= 400;
  const defaultType = isError ? MEDIA_TYPES.json : MEDIA_TYPES.entityStatement;
  const contentType = faults?.contentType ?? defaultType;
  if (faults?.body !== undefined) return reply(status ?? 200, contentType, faults.body, delayMs);
  if (isError) {
    const description = `the testbed was told to answer ${status}`;
    return errorReply(status, errorCodeFor(status), description, { contentType, delayMs });
  }
  return reply(status ?? 200, contentType, (await signed()).body, delayMs);
}

/** The reply to a status request about a mark the store knows, or does not. */
function statusReply(answer: TrustMarkStatusAnswer): Answered {
  if (answer.kind === 'unknown') {
    // §8.4.2: a mark the issuer does not know or did not issue gets 404.
    return { reply: errorReply(404, 'not_found', 'this issuer did not issue this trust mark') };
  }
  const { delayMs, subjectId } = answer;
  if (answer.kind === 'error') {
    const description = `the testbed was told to answer ${answer.status}`;
    return {
      reply: errorReply(answer.status, errorCodeFor(answer.status), description, { delayMs }),
      subjectId,
    };
  }
  return { reply: reply(200, MEDIA_TYPES.trustMarkStatusResponse, answer.jwt, delayMs), subjectId };
}

/** Splits the path `/<entity>/<endpoint path>` of `url` into the entity name and the kind of endpoint. */
export function routeOf(url: URL): Route {
  const path = url.pathname;
  const slash = path.indexOf('/', 1);
  const entity = slash === -1 ? path.slice(1) : path.slice(1, slash);
  const rest = slash === -1 ? '' : path.slice(slash);
  const kind: Route['kind'] =
    rest === ENDPOINT_PATHS.configuration
      ? 'configuration'
      : rest === ENDPOINT_PATHS.fetch
        ? 'fetch'
        : rest === ENDPOINT_PATHS.list
          ? 'list'
          : rest === ENDPOINT_PATHS.status
            ? 'status'
            : 'unknown';
  return { kind, entity, url };
}

/** Serves the endpoints of a testbed; knows nothing about sockets. */
export class FederationEndpoints {
  readonly #store: StatementStore;
  readonly #urls: EntityUrls;
  readonly #names = new Map<string, string>();

  constructor(store: StatementStore, urls: EntityUrls, names: Iterable<string>) {
    this.#store = store;
    this.#urls = urls;
    for (const name of names) this.#names.set(urls.entityId(name), name);
  }

  /**
   * True when `route` is a federation endpoint this testbed serves for its entity: the Entity
   * Configuration of every entity (§9), fetch and list for one with subordinates (§8.1, §8.2),
   * status for a trust mark issuer (§8.4). Every other path is free for an application.
   */
  serves(route: Route): boolean {
    if (!this.#isEntity(route.entity)) return false;
    switch (route.kind) {
      case 'configuration':
        return true;
      case 'fetch':
      case 'list':
        return this.#store.subordinatesOf(route.entity).length > 0;
      case 'status':
        return this.#store.issuesTrustMarks(route.entity);
      default:
        return false;
    }
  }

  /** The reply to one request; `body` is read only for status requests. */
  async answer(method: string, route: Route, body: RequestBody | undefined): Promise<Answered> {
    if (route.kind === 'status') return this.#status(method, route.entity, body);
    return { reply: await this.#federationEndpoint(method, route) };
  }

  /** The reply to a request for a statement or a list (§9, §8.1, §8.2). */
  async #federationEndpoint(method: string, { kind, entity, url }: Route): Promise<Reply> {
    if (method !== 'GET' && method !== 'HEAD') {
      // §8.8: POST is for client authentication, which the testbed does not offer.
      return errorReply(405, 'invalid_request', `method ${method} is not supported`, {
        headers: { allow: 'GET, HEAD' },
      });
    }
    if (kind === 'unknown' || !this.#isEntity(entity)) {
      return errorReply(404, 'not_found', 'no federation endpoint at this path');
    }
    if (kind === 'configuration') return this.#configuration(entity);
    // §5.1.1: only entities with subordinates publish fetch and list endpoints.
    if (this.#store.subordinatesOf(entity).length === 0) {
      return errorReply(404, 'not_found', `${this.#urls.entityId(entity)} has no subordinates`);
    }
    return kind === 'fetch' ? this.#fetch(entity, url) : this.#list(entity, url);
  }

  #isEntity(name: string): boolean {
    return this.#names.has(this.#urls.entityId(name));
  }

  /**
   * §8.4: `POST <status endpoint>` with the form parameter `trust_mark`. Answers 200 with a
   * signed status response, 404 for a mark this issuer did not issue, or the HTTP error the test
   * asked for. Also returns the mark's subject, for the request log.
   */
  async #status(method: string, issuer: string, body: RequestBody | undefined): Promise<Answered> {
    if (!this.#isEntity(issuer) || !this.#store.issuesTrustMarks(issuer)) {
      return { reply: errorReply(404, 'not_found', 'no federation endpoint at this path') };
    }
    if (method !== 'POST' || body === undefined) {
      // §8.4.1: the status request is always a POST.
      return {
        reply: errorReply(405, 'invalid_request', `method ${method} is not supported`, {
          headers: { allow: 'POST' },
        }),
      };
    }
    if (body.text === undefined) {
      return { reply: errorReply(413, 'invalid_request', 'the request body is too large') };
    }
    const mediaType = body.contentType?.split(';')[0]?.trim().toLowerCase();
    if (mediaType !== FORM_MEDIA_TYPE) {
      return {
        reply: errorReply(400, 'invalid_request', `the request must be ${FORM_MEDIA_TYPE}`),
      };
    }
    const marks = new URLSearchParams(body.text).getAll('trust_mark');
    const [trustMark] = marks;
    if (trustMark === undefined || trustMark === '') {
      return {
        reply: errorReply(
          400,
          'invalid_request',
          'Required request parameter [trust_mark] was missing.',
        ),
      };
    }
    if (marks.length > 1) {
      return {
        reply: errorReply(400, 'invalid_request', 'the parameter [trust_mark] must be given once'),
      };
    }
    return statusReply(await this.#store.trustMarkStatus(issuer, trustMark));
  }

  #configuration(name: string): Promise<Reply> {
    if (this.#store.entity(name).publishConfiguration === false) {
      return Promise.resolve(
        errorReply(404, 'not_found', `${this.#urls.entityId(name)} publishes no configuration`),
      );
    }
    return statementReply(this.#store.faults({ entity: name }), () =>
      this.#store.entityConfiguration(name),
    );
  }

  /** §8.1: `GET <fetch>?sub=<id>`; unknown parameters (also the legacy `iss`) are ignored. */
  #fetch(issuer: string, url: URL): Promise<Reply> | Reply {
    const subs = url.searchParams.getAll('sub');
    const [sub] = subs;
    if (sub === undefined || sub === '') {
      // TV-15: the spec's own example of this error.
      return errorReply(400, 'invalid_request', 'Required request parameter [sub] was missing.');
    }
    if (subs.length > 1) {
      return errorReply(400, 'invalid_request', 'the parameter [sub] must be given once');
    }
    // §8.1.1: a statement about the issuer itself is its Entity Configuration, not fetched here.
    if (sub === this.#urls.entityId(issuer)) {
      return errorReply(400, 'invalid_request', 'sub is the issuer itself');
    }
    const subject = this.#names.get(sub);
    if (subject === undefined || !this.#store.isSubordinate(issuer, subject)) {
      return errorReply(404, 'not_found', `${sub} is not a subordinate of this issuer`);
    }
    return statementReply(this.#store.faults({ issuer, subject }), () =>
      this.#store.subordinateStatement(issuer, subject),
    );
  }

  /** §8.2: the identifiers of the Immediate Subordinates, optionally filtered. */
  #list(issuer: string, url: URL): Reply {
    const { searchParams } = url;
    const faults = this.#store.entity(issuer).listFaults;
    if (faults?.status !== undefined) {
      return errorReply(faults.status, 'server_error', 'the list is broken on purpose');
    }
    if (faults?.body !== undefined) return reply(200, MEDIA_TYPES.json, faults.body);
    const booleans: Record<string, string | null> = {};
    for (const parameter of ['intermediate', 'trust_marked']) {
      const value = searchParams.get(parameter);
      if (value !== null && value !== 'true' && value !== 'false') {
        return errorReply(400, 'invalid_request', `${parameter} must be true or false`);
      }
      booleans[parameter] = value;
    }
    const types = searchParams.getAll('entity_type');
    const markTypes = searchParams.getAll('trust_mark_type');
    const subjects = this.#store.subordinatesOf(issuer).filter((name) => {
      if (faults?.omit?.includes(name) === true) return false;
      const isIntermediate = this.#store.subordinatesOf(name).length > 0;
      if (booleans['intermediate'] === 'true' && !isIntermediate) return false;
      // The marks a subordinate holds, as its configuration publishes them (faults aside).
      const held = (this.#store.entity(name).trustMarks ?? []).map((mark) =>
        this.#store.trustMarkTypeOf(name, mark.type),
      );
      if (booleans['trust_marked'] === 'true' && held.length === 0) return false;
      if (!markTypes.every((type) => held.includes(type))) return false;
      if (types.length === 0) return true;
      const own = Object.keys(this.#store.metadataOf(name) ?? {});
      const entityTypes = new Set(isIntermediate ? [...own, FEDERATION_ENTITY] : own);
      // Several entity_type values select the union (docs/decisions.md).
      return types.some((type) => entityTypes.has(type));
    });
    const ids = subjects.map((name) => this.#urls.entityId(name));
    for (const extra of faults?.extra ?? []) {
      ids.push(this.#isEntity(extra) ? this.#urls.entityId(extra) : extra);
    }
    for (let n = 0; n < (faults?.padding ?? 0); n++) ids.push(`${this.#urls.url}/padding-${n}`);
    return reply(200, MEDIA_TYPES.json, JSON.stringify(ids));
  }
}
