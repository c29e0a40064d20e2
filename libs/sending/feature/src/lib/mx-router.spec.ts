import { createSocket, type Socket } from 'node:dgram';
import { parseRouteTable } from '@postwave/sending/domain';
import { MxRouter } from './mx-router';

/** What the fake DNS server knows about a name; a missing record type is answered with no data. */
interface ZoneEntry {
  readonly rcode?: number;
  readonly MX?: ReadonlyArray<{ priority: number; exchange: string }>;
  readonly A?: readonly string[];
}

const TYPE = { A: 1, MX: 15, AAAA: 28 } as const;
const NXDOMAIN = 3;
const SERVFAIL = 2;

function encodeName(name: string): Buffer {
  const labels = name.split('.').filter(Boolean);
  return Buffer.concat([
    ...labels.map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label, 'ascii')])),
    Buffer.from([0]),
  ]);
}

function answer(type: number, rdata: Buffer): Buffer {
  const fixed = Buffer.alloc(12);
  fixed.writeUInt16BE(0xc00c, 0); // name: pointer to the question
  fixed.writeUInt16BE(type, 2);
  fixed.writeUInt16BE(1, 4); // class IN
  fixed.writeUInt32BE(60, 6);
  fixed.writeUInt16BE(rdata.length, 10);
  return Buffer.concat([fixed, rdata]);
}

/**
 * A tiny authoritative DNS server on a loopback UDP port: enough of RFC 1035 for the MX, A and
 * AAAA questions the router asks, so routing is tested without touching real DNS.
 */
async function fakeDns(zone: Record<string, ZoneEntry>) {
  const queries: string[] = [];
  const socket: Socket = createSocket('udp4');
  socket.on('message', (query, peer) => {
    let offset = 12;
    const labels: string[] = [];
    while (query[offset]! > 0) {
      const length = query[offset]!;
      labels.push(query.subarray(offset + 1, offset + 1 + length).toString('ascii'));
      offset += length + 1;
    }
    const questionEnd = offset + 5;
    const type = query.readUInt16BE(offset + 1);
    const name = labels.join('.').toLowerCase();
    queries.push(`${name} ${type}`);
    const entry = zone[name];
    const answers =
      entry === undefined || entry.rcode
        ? []
        : type === TYPE.MX
          ? (entry.MX ?? []).map((mx) => {
              const preference = Buffer.alloc(2);
              preference.writeUInt16BE(mx.priority);
              return answer(TYPE.MX, Buffer.concat([preference, encodeName(mx.exchange)]));
            })
          : type === TYPE.A
            ? (entry.A ?? []).map((ip) => answer(TYPE.A, Buffer.from(ip.split('.').map(Number))))
            : [];
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2); // id
    const rcode = entry === undefined ? NXDOMAIN : (entry.rcode ?? 0);
    header.writeUInt16BE(0x8580 | rcode, 2); // response, authoritative, recursion desired + available
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    socket.send(
      Buffer.concat([header, query.subarray(12, questionEnd), ...answers]),
      peer.port,
      peer.address,
    );
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    server: `127.0.0.1:${socket.address().port}`,
    queries,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

describe('MxRouter', () => {
  let dns: Awaited<ReturnType<typeof fakeDns>>;

  beforeEach(async () => {
    dns = await fakeDns({
      'ranked.example': {
        MX: [
          { priority: 20, exchange: 'mx2.ranked.example' },
          { priority: 5, exchange: 'mx0.ranked.example' },
          { priority: 10, exchange: 'mx1.ranked.example' },
        ],
      },
      'mx0.ranked.example': { A: ['192.0.2.1'] },
      'mx1.ranked.example': { A: ['192.0.2.2', '192.0.2.3'] },
      'mx2.ranked.example': { A: ['192.0.2.4'] },
      'tied.example': {
        MX: [
          { priority: 10, exchange: 'a.tied.example' },
          { priority: 10, exchange: 'b.tied.example' },
          { priority: 20, exchange: 'noaddress.tied.example' },
        ],
      },
      'a.tied.example': { A: ['192.0.2.11'] },
      'b.tied.example': { A: ['192.0.2.12'] },
      'nullmx.example': { MX: [{ priority: 0, exchange: '' }] },
      'implicit.example': { A: ['192.0.2.10'] },
      'empty.example': {},
      'broken.example': { rcode: SERVFAIL },
    });
  });
  afterEach(async () => {
    await dns.close();
  });

  const router = (routes?: string, relay?: string, random?: () => number) =>
    new MxRouter(parseRouteTable(routes, relay), [dns.server], random);

  it('sends a statically routed domain to its endpoint without asking DNS, exact names before wildcards', async () => {
    const mx = router('vip.sim=127.0.0.1:2600;*.sim=127.0.0.1:2525');

    expect(await mx.route('vip.sim')).toEqual({
      ok: true,
      hosts: [{ host: '127.0.0.1', port: 2600 }],
      viaMx: false,
    });
    expect(await mx.route('gmail.sim')).toEqual({
      ok: true,
      hosts: [{ host: '127.0.0.1', port: 2525 }],
      viaMx: false,
    });
    expect(dns.queries).toEqual([]);
  });

  it('sends every unrouted domain to the relay without asking DNS', async () => {
    const mx = router('*.sim=127.0.0.1:2525', 'smarthost.internal:587');

    expect(await mx.route('ranked.example')).toEqual({
      ok: true,
      hosts: [{ host: 'smarthost.internal', port: 587 }],
      viaMx: false,
    });
    expect(await mx.route('outlook.sim')).toEqual({
      ok: true,
      hosts: [{ host: '127.0.0.1', port: 2525 }],
      viaMx: false,
    });
    expect(dns.queries).toEqual([]);
  });

  it('delivers to the MX hosts in preference order on port 25, at addresses from the same resolver', async () => {
    const route = await router().route('ranked.example');

    expect(route).toEqual({
      ok: true,
      hosts: [
        { host: 'mx0.ranked.example', port: 25, address: '192.0.2.1' },
        { host: 'mx1.ranked.example', port: 25, address: '192.0.2.2' },
        { host: 'mx1.ranked.example', port: 25, address: '192.0.2.3' },
        { host: 'mx2.ranked.example', port: 25, address: '192.0.2.4' },
      ],
      viaMx: true,
    });
  });

  it('tries MX hosts of equal preference in random order and skips hosts without an address', async () => {
    const first = await router(
      undefined,
      undefined,
      (() => {
        let n = 0;
        return () => [0.9, 0.1][n++ % 2]!;
      })(),
    ).route('tied.example');
    const second = await router(
      undefined,
      undefined,
      (() => {
        let n = 0;
        return () => [0.1, 0.9][n++ % 2]!;
      })(),
    ).route('tied.example');
    const order = (route: typeof first) => (route.ok ? route.hosts.map((h) => h.host) : []);
    expect(order(first)).toEqual(['b.tied.example', 'a.tied.example']);
    expect(order(second)).toEqual(['a.tied.example', 'b.tied.example']);
  });

  it('caches a resolved route instead of asking DNS again', async () => {
    const mx = router();

    const first = await mx.route('ranked.example');
    const second = await mx.route('ranked.example');

    expect(second).toEqual(first);
    expect(dns.queries.filter((q) => q.startsWith('ranked.example'))).toEqual([`ranked.example ${TYPE.MX}`]);
  });

  it('refuses a domain that publishes a null MX', async () => {
    expect(await router().route('nullmx.example')).toMatchObject({ ok: false, kind: 'null-mx' });
  });

  it('falls back to the address record when a domain has no MX (implicit MX)', async () => {
    expect(await router().route('implicit.example')).toEqual({
      ok: true,
      hosts: [{ host: 'implicit.example', port: 25, address: '192.0.2.10' }],
      viaMx: true,
    });
  });

  it('reports a domain without MX or address record as dns-no-mx', async () => {
    expect(await router().route('empty.example')).toMatchObject({ ok: false, kind: 'dns-no-mx' });
  });

  it('reports a domain that does not exist as dns-nxdomain and remembers it', async () => {
    const mx = router();

    expect(await mx.route('gone.example')).toMatchObject({ ok: false, kind: 'dns-nxdomain' });
    expect(await mx.route('gone.example')).toMatchObject({ ok: false, kind: 'dns-nxdomain' });
    expect(dns.queries).toEqual([`gone.example ${TYPE.MX}`]);
  });

  it('reports a failing DNS server as dns-temp and asks again next time', async () => {
    const mx = router();

    expect(await mx.route('broken.example')).toMatchObject({ ok: false, kind: 'dns-temp' });
    const asked = dns.queries.length;
    expect(await mx.route('broken.example')).toMatchObject({ ok: false, kind: 'dns-temp' });
    expect(dns.queries.length).toBeGreaterThan(asked);
  });
});
