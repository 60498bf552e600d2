/** Request bodies of the endpoints that take one (POST /resolve, the admin API). */
import type { Context } from 'koa';

/**
 * The request body as UTF-8 text. Its size is already bounded: `requestLimits` refuses a body
 * without Content-Length or over MAX_BODY_BYTES, and Node delivers no more than Content-Length.
 */
export async function bodyText(ctx: Context): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.req) {
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  }
  return Buffer.concat(chunks).toString('utf8');
}
