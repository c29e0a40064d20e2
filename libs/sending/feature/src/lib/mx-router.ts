import { Resolver } from 'node:dns/promises';
import type { ConnectionFailureKind } from '@postwave/bounce-rules';
import { staticRoute, type Endpoint, type RouteTable } from '@postwave/sending/domain';

export type Route =
  | { ok: true; hosts: readonly Endpoint[]; /** false for static routes and the relay */ viaMx: boolean }
  | { ok: false; kind: ConnectionFailureKind; detail: string };

const CACHE_MS = 300_000;
const NEGATIVE_CACHE_MS = 60_000;

/**
 * Where to deliver a domain: a static route or relay from configuration, else its MX hosts in
 * preference order, else its A/AAAA (implicit MX). A null MX (RFC 7505) or NXDOMAIN is a
 * permanent "invalid domain" and is cached so the domain is never hammered.
 */
export class MxRouter {
  private readonly resolver = new Resolver({ timeout: 5000, tries: 2 });
  private readonly cache = new Map<string, { route: Route; until: number }>();

  constructor(
    private readonly routes: RouteTable,
    dnsServers: readonly string[],
    private readonly random: () => number = Math.random,
  ) {
    if (dnsServers.length > 0) this.resolver.setServers([...dnsServers]);
  }

  async route(domain: string): Promise<Route> {
    const fixed = staticRoute(this.routes, domain);
    if (fixed) return { ok: true, hosts: [fixed], viaMx: false };
    const cached = this.cache.get(domain);
    if (cached && cached.until > Date.now()) return cached.route;
    const route = await this.lookup(domain);
    const ttl = route.ok ? CACHE_MS : route.kind === 'dns-temp' ? 0 : NEGATIVE_CACHE_MS;
    if (ttl > 0) this.cache.set(domain, { route, until: Date.now() + ttl });
    return route;
  }

  private async lookup(domain: string): Promise<Route> {
    try {
      const records = await this.resolver.resolveMx(domain);
      if (records.length === 1 && (records[0]!.exchange === '' || records[0]!.exchange === '.')) {
        return { ok: false, kind: 'null-mx', detail: `${domain} publishes a null MX: it accepts no mail` };
      }
      // RFC 5321 §5.1: hosts of equal preference are tried in random order, spreading the load.
      const names = records
        .filter((record) => record.exchange !== '' && record.exchange !== '.')
        .map((record) => ({ record, tiebreak: this.random() }))
        .sort((a, b) => a.record.priority - b.record.priority || a.tiebreak - b.tiebreak)
        .map(({ record }) => record.exchange);
      const hosts = (await Promise.all(names.map((name) => this.addresses(name)))).flat();
      if (names.length > 0 && hosts.length === 0) {
        return {
          ok: false,
          kind: 'dns-temp',
          detail: `no MX host of ${domain} has an address (${names.join(', ')})`,
        };
      }
      if (hosts.length > 0) return { ok: true, hosts, viaMx: true };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOTFOUND')
        return { ok: false, kind: 'dns-nxdomain', detail: `${domain} does not exist (NXDOMAIN)` };
      if (code !== 'ENODATA')
        return { ok: false, kind: 'dns-temp', detail: `MX lookup for ${domain} failed: ${code}` };
    }
    return this.implicitMx(domain);
  }

  /**
   * A host's addresses through the same resolver as the MX lookup (IPv4 first), so no lookup
   * leaves for the system resolver; an unresolvable host is skipped.
   */
  private async addresses(name: string): Promise<Endpoint[]> {
    const found = await Promise.allSettled([this.resolver.resolve4(name), this.resolver.resolve6(name)]);
    return found
      .flatMap((result) => (result.status === 'fulfilled' ? result.value : []))
      .map((address) => ({ host: name, port: 25, address }));
  }

  private async implicitMx(domain: string): Promise<Route> {
    const found = await Promise.allSettled([this.resolver.resolve4(domain), this.resolver.resolve6(domain)]);
    const addresses = found.flatMap((result) => (result.status === 'fulfilled' ? result.value : []));
    if (addresses.length > 0) {
      return {
        ok: true,
        hosts: addresses.map((address) => ({ host: domain, port: 25, address })),
        viaMx: true,
      };
    }
    const codes = found.map((result) =>
      result.status === 'rejected' ? (result.reason as NodeJS.ErrnoException).code : 'ENODATA',
    );
    if (codes.every((code) => code === 'ENODATA' || code === 'ENOTFOUND')) {
      return { ok: false, kind: 'dns-no-mx', detail: `${domain} has no MX and no address record` };
    }
    return {
      ok: false,
      kind: 'dns-temp',
      detail: `address lookup for ${domain} failed: ${codes.join(', ')}`,
    };
  }
}
