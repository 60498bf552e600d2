/**
 * Who the client is, for per-client budgets: the peer address of the connection, or, when the
 * peer is a trusted reverse proxy, the address that proxy saw (the right-most `X-Forwarded-For`
 * entry that is not itself a trusted proxy). A header from anyone else is ignored, since any
 * client can write one.
 */

/** The address with IPv4-mapped IPv6 written as IPv4, and IPv6 in lower case. */
export function normalizeAddress(address: string): string {
  const lower = address.trim().toLowerCase();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(lower);
  return mapped?.[1] ?? lower;
}

/** The client address of a request from `peer` carrying `forwardedFor` headers. */
export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | readonly string[] | undefined,
  trustedProxies: ReadonlySet<string>,
): string {
  const direct = normalizeAddress(peer ?? 'unknown');
  if (!trustedProxies.has(direct) || forwardedFor === undefined) return direct;
  const hops = (typeof forwardedFor === 'string' ? [forwardedFor] : forwardedFor)
    .join(',')
    .split(',')
    .map((hop) => normalizeAddress(hop))
    .filter((hop) => hop.length > 0);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i];
    if (hop !== undefined && !trustedProxies.has(hop)) return hop;
  }
  return hops[0] ?? direct;
}
