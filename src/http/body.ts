/** Request bodies of the endpoints that take one (POST /resolve, the admin API). */
import type { Context } from 'koa';
import { InvalidRequestError } from '../federation/errors.js';
import { MAX_BODY_BYTES } from './middleware.js';

/** Reads the request body as text, up to MAX_BODY_BYTES (requestLimits refused larger ones). */
export async function bodyText(ctx: Context): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_BODY_BYTES) {
      throw new InvalidRequestError(`the body is over ${MAX_BODY_BYTES} bytes`, {
        reason: 'body_too_large',
      });
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
