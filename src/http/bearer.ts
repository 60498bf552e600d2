/** Bearer tokens of the operator endpoints (`/metrics`, `/admin/…`), compared in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto';

/** True when `header` is `Bearer <token>`; hashing first makes the comparison length-blind. */
export function bearerMatches(header: string, token: string): boolean {
  const hash = (value: string) => createHash('sha256').update(value).digest();
  const given = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? '';
  return timingSafeEqual(hash(given), hash(token)) && given.length > 0;
}
