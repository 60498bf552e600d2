/**
 * The address guard against server-side request forgery (§18.1; SECURITY.md
 * hardening): statement URLs come from untrusted statements (`authority_hints`,
 * `federation_fetch_endpoint`), so without it anyone could make the resolver call its own
 * loopback, the private network or a cloud metadata service.
 *
 * Checked twice: on every address a host name resolves to (a custom `lookup`, so the check and
 * the connection use the same answer), and on the socket's remote address once connected.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { isIP, type LookupFunction, type Socket } from 'node:net';

/** Raised by the guard when an address is refused; the fetcher translates it into a core error. */
export class AddressNotAllowedError extends Error {
  /** Stable code, in the style of Node's network errors. */
  readonly code = 'ERR_ADDRESS_NOT_ALLOWED';
  /** The refused address (or host name when no address is known). */
  readonly address: string;

  constructor(address: string) {
    super('the upstream address is not allowed');
    this.name = new.target.name;
    this.address = address;
  }
}

/** A resolver with the shape of `dns.lookup(hostname, { all: true }, callback)`. */
export type AddressResolver = (
  hostname: string,
  options: LookupAllOptions,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/** IPv4 ranges that are never fetched (RFC 6890 special-purpose blocks that reach inside). */
const FORBIDDEN_IPV4: ReadonlyArray<readonly [base: string, prefix: number]> = [
  ['0.0.0.0', 8], // "this network"; 0.0.0.0 reaches the local host on Linux
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, including the 169.254.169.254 metadata service
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments (includes some cloud metadata addresses)
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 3], // multicast, reserved 240/4 and the broadcast address 255.255.255.255
];

/** The forbidden IPv4 ranges as [network, mask] pairs of unsigned 32-bit integers. */
const FORBIDDEN_IPV4_MASKS = FORBIDDEN_IPV4.map(([base, prefix]): readonly [number, number] => {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [((ipv4ToInt(base) ?? 0) & mask) >>> 0, mask];
});

/**
 * True when `ip` must not be fetched: loopback, private, link-local, CGNAT, metadata, multicast
 * and reserved IPv4 ranges; the IPv6 unspecified, loopback, IPv4-compatible, ULA, link-local,
 * site-local and multicast ranges; IPv4 embedded in IPv6 (mapped, translated, NAT64 64:ff9b::/96,
 * 6to4) is checked as IPv4. Anything that is not an IP address is forbidden (fail closed).
 */
export function isForbiddenAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return isForbiddenIpv4(ipv4ToInt(ip));
  if (family === 6) return isForbiddenIpv6(ip);
  return true;
}

function isForbiddenIpv4(value: number | undefined): boolean {
  if (value === undefined) return true;
  return FORBIDDEN_IPV4_MASKS.some(([network, mask]) => (value & mask) >>> 0 === network);
}

function isForbiddenIpv6(ip: string): boolean {
  const groups = ipv6Groups(ip);
  if (groups === undefined) return true;
  const [g0, g1, g2, g3, g4, g5, g6, g7] = groups as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const embeddedLow = ((g6 << 16) | g7) >>> 0;
  const zeroTo = (end: number): boolean => groups.slice(0, end).every((g) => g === 0);
  // ::/96 holds ::, ::1 and the deprecated IPv4-compatible addresses (RFC 4291 §2.5.5.1);
  // nothing legitimate is reachable there.
  if (zeroTo(6)) return true;
  // ::ffff:0:0/96 (IPv4-mapped) and ::ffff:0:0:0/96 (IPv4-translated) reach the IPv4 address.
  if (zeroTo(4) && ((g4 === 0 && g5 === 0xffff) || (g4 === 0xffff && g5 === 0))) {
    return isForbiddenIpv4(embeddedLow);
  }
  if (g0 === 0x64 && g1 === 0xff9b) {
    // 64:ff9b::/96 (well-known NAT64) translates to the embedded IPv4 address.
    if (g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return isForbiddenIpv4(embeddedLow);
    // 64:ff9b:1::/48 is the local-use NAT64 prefix (RFC 8215): internal by definition.
    if (g2 === 1) return true;
  }
  // 2002::/16 (6to4) embeds the IPv4 address of the relay-reachable host in bits 16–47.
  if (g0 === 0x2002) return isForbiddenIpv4(((g1 << 16) | g2) >>> 0);
  if ((g0 & 0xfe00) === 0xfc00) return true; // fc00::/7 unique local
  if ((g0 & 0xffc0) === 0xfe80) return true; // fe80::/10 link-local
  if ((g0 & 0xffc0) === 0xfec0) return true; // fec0::/10 deprecated site-local
  if ((g0 & 0xff00) === 0xff00) return true; // ff00::/8 multicast
  return false;
}

/** Dotted-quad IPv4 to an unsigned 32-bit integer; undefined when not exactly four octets. */
function ipv4ToInt(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

/** An IPv6 address (already validated by `isIP`) as eight 16-bit groups. */
function ipv6Groups(ip: string): number[] | undefined {
  // The zone (`%eth0`) only names an interface; it does not change the range.
  const address = ip.split('%', 1)[0] ?? '';
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const parse = (half: string | undefined): number[] | undefined => {
    if (half === undefined || half === '') return [];
    const out: number[] = [];
    for (const piece of half.split(':')) {
      if (piece.includes('.')) {
        const v4 = ipv4ToInt(piece);
        if (v4 === undefined) return undefined;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9a-f]{1,4}$/i.test(piece)) return undefined;
        out.push(Number.parseInt(piece, 16));
      }
    }
    return out;
  };
  const head = parse(halves[0]);
  const tail = parse(halves[1]);
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  return [...head, ...new Array<number>(halves.length === 1 ? 0 : missing).fill(0), ...tail];
}

/**
 * A `lookup` for sockets that resolves every address of a host (`all: true`) and refuses the
 * host when ANY of them is forbidden, so a name with one public and one internal address cannot
 * be used to reach the internal one. Answers in the shape the caller asked for (`all` or not).
 */
export function createGuardedLookup(resolve: AddressResolver = dnsLookup): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error !== null) {
        callback(error, '');
        return;
      }
      const first = addresses[0];
      if (first === undefined) {
        const notFound: NodeJS.ErrnoException = new Error('the host has no address');
        notFound.code = 'ENOTFOUND';
        callback(notFound, '');
        return;
      }
      const refused = addresses.find((entry) => isForbiddenAddress(entry.address));
      if (refused !== undefined) {
        callback(new AddressNotAllowedError(refused.address), '');
        return;
      }
      if (options.all === true) callback(null, addresses);
      else callback(null, first.address, first.family);
    });
  };
}

/**
 * Checks the address a socket is actually connected to (now if already connected, for a reused
 * keep-alive socket, otherwise on `connect`) and reports a forbidden one: a defence in depth in
 * case an address reaches the socket without passing the guarded lookup.
 */
export function watchSocketAddress(
  socket: Socket,
  onForbidden: (error: AddressNotAllowedError) => void,
  isForbidden: (ip: string) => boolean = isForbiddenAddress,
): void {
  const check = (): void => {
    const address = socket.remoteAddress;
    // No remote address on a connected socket is not something we can vouch for.
    if (address === undefined || isForbidden(address)) {
      onForbidden(new AddressNotAllowedError(address ?? 'unknown'));
    }
  };
  if (socket.connecting) socket.once('connect', check);
  // A socket that failed before it connected sends nothing; its own error is the news.
  else if (!socket.destroyed) check();
}
