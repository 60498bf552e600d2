import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import * as net from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  AddressNotAllowedError,
  createGuardedLookup,
  isForbiddenAddress,
  watchSocketAddress,
  type AddressResolver,
} from '../../../../src/infrastructure/http/address-guard.js';

describe('isForbiddenAddress: IPv4', () => {
  const forbidden = [
    '0.0.0.0',
    '0.255.255.255',
    '10.0.0.1',
    '10.255.255.255',
    '100.64.0.0',
    '100.127.255.255',
    '127.0.0.1',
    '127.255.255.254',
    '169.254.0.1',
    '169.254.169.254', // cloud metadata service
    '172.16.0.0',
    '172.31.255.255',
    '192.0.0.0',
    '192.0.0.192',
    '192.168.0.1',
    '192.168.255.255',
    '198.18.0.0',
    '198.19.255.255',
    '224.0.0.1',
    '239.255.255.255',
    '240.0.0.1',
    '255.255.255.255',
  ];
  const allowed = [
    '1.1.1.1',
    '8.8.8.8',
    '9.255.255.255',
    '11.0.0.0',
    '100.63.255.255',
    '100.128.0.0',
    '126.255.255.255',
    '128.0.0.0',
    '169.253.255.255',
    '169.255.0.0',
    '172.15.255.255',
    '172.32.0.0',
    '192.0.1.0',
    '192.167.255.255',
    '192.169.0.0',
    '198.17.255.255',
    '198.20.0.0',
    '223.255.255.255',
  ];
  for (const ip of forbidden)
    it(`${ip} is forbidden`, () => assert.equal(isForbiddenAddress(ip), true));
  for (const ip of allowed)
    it(`${ip} is allowed`, () => assert.equal(isForbiddenAddress(ip), false));
});

describe('isForbiddenAddress: IPv6', () => {
  const forbidden = [
    '::',
    '::1',
    '0:0:0:0:0:0:0:1',
    '::127.0.0.1', // deprecated IPv4-compatible
    '::8.8.8.8', // deprecated IPv4-compatible, never legitimate
    'fc00::1',
    'fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
    'fe80::1',
    'fe80::1%eth0',
    'febf::1',
    'fec0::1', // deprecated site-local
    'ff02::1',
    'ff00::',
    '::ffff:127.0.0.1', // IPv4-mapped, dotted
    '::ffff:7f00:1', // IPv4-mapped, as the URL parser writes it
    '::FFFF:10.0.0.1',
    '::ffff:169.254.169.254',
    '::ffff:0:192.168.1.1', // IPv4-translated
    '64:ff9b::7f00:1', // NAT64 of 127.0.0.1
    '64:ff9b::10.1.2.3', // NAT64 of 10.1.2.3
    '64:ff9b:1::8.8.8.8', // local-use NAT64 prefix
    '2002:7f00:1::1', // 6to4 of 127.0.0.1
    '2002:a9fe:a9fe::', // 6to4 of 169.254.169.254
  ];
  const allowed = [
    '2001:4860:4860::8888',
    '2606:4700:4700::1111',
    '2a00:1450:4001:830::200e',
    '::ffff:8.8.8.8',
    '::ffff:808:808',
    '64:ff9b::808:808', // NAT64 of 8.8.8.8
    '2002:808:808::1', // 6to4 of 8.8.8.8
    'fbff:ffff::1', // just below fc00::/7
    'fe00::1', // just below fe80::/10
  ];
  for (const ip of forbidden)
    it(`${ip} is forbidden`, () => assert.equal(isForbiddenAddress(ip), true));
  for (const ip of allowed)
    it(`${ip} is allowed`, () => assert.equal(isForbiddenAddress(ip), false));
});

describe('isForbiddenAddress: not an address (fail closed)', () => {
  for (const value of [
    '',
    'localhost',
    'example.org',
    '1.2.3',
    '256.1.1.1',
    '::ffff:999.1.1.1',
    '[::1]',
    '01.1.1.1x',
  ]) {
    it(`${JSON.stringify(value)} is forbidden`, () =>
      assert.equal(isForbiddenAddress(value), true));
  }
});

/** Runs a lookup and returns what it called back with. */
function runLookup(
  resolver: AddressResolver,
  all: boolean,
): Promise<{
  error: NodeJS.ErrnoException | null;
  address: string | LookupAddress[];
  family?: number;
}> {
  return new Promise((resolve) => {
    createGuardedLookup(resolver)('upstream.example', { all }, (error, address, family) => {
      resolve({ error, address, ...(family === undefined ? {} : { family }) });
    });
  });
}

function fakeResolver(
  addresses: LookupAddress[],
  error: NodeJS.ErrnoException | null = null,
): AddressResolver {
  return (hostname, options, callback) => {
    assert.equal(hostname, 'upstream.example');
    // Every address is needed to check them all, whatever the caller asked for.
    assert.equal(options.all, true);
    setImmediate(() => callback(error, addresses));
  };
}

describe('createGuardedLookup', () => {
  const publicV4: LookupAddress = { address: '93.184.215.14', family: 4 };
  const publicV6: LookupAddress = { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 };

  it('answers all addresses when the caller asks for all and all are public', async () => {
    const result = await runLookup(fakeResolver([publicV6, publicV4]), true);
    assert.equal(result.error, null);
    assert.deepEqual(result.address, [publicV6, publicV4]);
  });

  it('answers the first address and its family when the caller asks for one', async () => {
    const result = await runLookup(fakeResolver([publicV4, publicV6]), false);
    assert.equal(result.error, null);
    assert.equal(result.address, publicV4.address);
    assert.equal(result.family, 4);
  });

  it('refuses the host when any one of its addresses is forbidden', async () => {
    for (const all of [true, false]) {
      const result = await runLookup(
        fakeResolver([publicV4, { address: '10.0.0.7', family: 4 }]),
        all,
      );
      assert.ok(result.error instanceof AddressNotAllowedError);
      assert.equal(result.error.address, '10.0.0.7');
    }
  });

  it('refuses an IPv4-mapped internal address among the answers', async () => {
    const result = await runLookup(
      fakeResolver([publicV6, { address: '::ffff:169.254.169.254', family: 6 }]),
      true,
    );
    assert.ok(result.error instanceof AddressNotAllowedError);
  });

  it('passes DNS errors through unchanged', async () => {
    const dnsError: NodeJS.ErrnoException = new Error('getaddrinfo ENOTFOUND upstream.example');
    dnsError.code = 'ENOTFOUND';
    const result = await runLookup(fakeResolver([], dnsError), true);
    assert.equal(result.error, dnsError);
  });

  it('treats an empty answer as ENOTFOUND', async () => {
    const result = await runLookup(fakeResolver([]), false);
    assert.equal(result.error?.code, 'ENOTFOUND');
  });
});

describe('watchSocketAddress', () => {
  let server: net.Server;
  let port = 0;
  before(async () => {
    server = net.createServer((socket) => socket.on('error', () => undefined));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Connects to the loopback server and reports what the watcher did once connected. */
  function watch(
    isForbidden?: (ip: string) => boolean,
  ): Promise<AddressNotAllowedError | undefined> {
    return new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      let reported: AddressNotAllowedError | undefined;
      watchSocketAddress(
        socket,
        (error) => {
          reported = error;
          socket.destroy();
        },
        isForbidden,
      );
      // Registered after the watcher's own listener, so it runs once the check is done.
      socket.on('connect', () => socket.destroy());
      socket.on('close', () => resolve(reported));
    });
  }

  it('reports a socket connected to a forbidden address', async () => {
    const reported = await watch();
    assert.ok(reported instanceof AddressNotAllowedError);
    assert.equal(reported.address, '127.0.0.1');
  });

  it('stays silent when the connected address is allowed', async () => {
    const reported = await watch(() => false);
    assert.equal(reported, undefined);
  });

  it('checks an already connected socket immediately', async () => {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    let reported: AddressNotAllowedError | undefined;
    watchSocketAddress(socket, (error) => (reported = error));
    socket.destroy();
    assert.ok(reported instanceof AddressNotAllowedError);
  });
});
