/**
 * One request to the resolver and its answer, read within a size bound: the body of a 200 of
 * the expected media type, or the resolver's §8.9 error as a {@link FederationResolutionError}.
 * Network failures are not caught: they reach the caller as `fetch` raised them, so an abort
 * stays an `AbortError`.
 */
import { FederationResolutionError, refused } from './errors.js';

/** The `fetch` the helper calls: the standard signature. */
export type FetchFunction = (
  input: string | URL | Request,
  init?: RequestInit,
) => Promise<Response>;

/** The media type of a response, without parameters, in lower case. */
function mediaTypeOf(response: Response): string {
  return (response.headers.get('content-type') ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
}

/** The body as UTF-8 text, refused beyond `maxBytes` (read incrementally, never buffered whole). */
async function readText(response: Response, maxBytes: number): Promise<string> {
  const tooLarge = () =>
    refused(
      'response_too_large',
      `the resolver's answer exceeds ${maxBytes} bytes (maxResponseBytes)`,
      response.status,
    );
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    throw tooLarge();
  }
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (cause) {
    throw refused('body_malformed', "the resolver's answer is not UTF-8", response.status, cause);
  }
}

/** A JSON object, or `undefined` for anything else. */
export function parseObject(text: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** §8.9: the resolver's error body as an error; anything else as `status_unexpected`. */
function resolverError(response: Response, text: string): FederationResolutionError {
  const body = mediaTypeOf(response) === 'application/json' ? parseObject(text) : undefined;
  const code = body?.['error'];
  if (typeof code !== 'string' || code === '') {
    return refused(
      'status_unexpected',
      `the resolver answered HTTP ${response.status} without a §8.9 error body`,
      response.status,
    );
  }
  const description = body?.['error_description'];
  const reason = body?.['reason'];
  return new FederationResolutionError(
    typeof description === 'string' && description !== ''
      ? description
      : `the resolver answered HTTP ${response.status} ${code}`,
    { code, reason: typeof reason === 'string' ? reason : undefined, status: response.status },
  );
}

/** What one GET to the resolver needs. */
export interface ResolverRequest {
  readonly fetch: FetchFunction;
  readonly url: URL;
  /** The media type a 200 must have. */
  readonly accept: string;
  readonly maxBytes: number;
  readonly signal: AbortSignal | undefined;
}

/** GETs `url` from the resolver: the body of its 200, or its error thrown. */
export async function getFromResolver(request: ResolverRequest): Promise<string> {
  const response = await request.fetch(request.url, {
    method: 'GET',
    headers: { accept: request.accept },
    // The resolver never redirects; a redirect is an answer it did not give.
    redirect: 'manual',
    ...(request.signal === undefined ? {} : { signal: request.signal }),
  });
  const text = await readText(response, request.maxBytes);
  if (response.status !== 200) throw resolverError(response, text);
  if (mediaTypeOf(response) !== request.accept) {
    throw refused(
      'content_type_invalid',
      `the resolver answered ${JSON.stringify(response.headers.get('content-type'))}, not ${request.accept}`,
      response.status,
    );
  }
  return text;
}
