/**
 * Static routing as configuration: `MTA_ROUTES="example.test=127.0.0.1:2525;*.sim=127.0.0.1:2525"`
 * sends a domain (or a wildcard family) to a fixed host; a relay (smart host) takes everything
 * else; otherwise the MX records decide.
 */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
  /** The resolved address to connect to; `host` stays the name (TLS SNI, logs). */
  readonly address?: string;
}

export interface RouteTable {
  readonly routes: ReadonlyArray<{ readonly pattern: string; readonly endpoint: Endpoint }>;
  readonly relay: Endpoint | null;
}

export class RouteConfigError extends Error {}

export function parseEndpoint(value: string, field: string): Endpoint {
  const match = /^(\[[0-9a-f:]+\]|[a-z0-9.-]+):(\d{1,5})$/i.exec(value.trim());
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535) {
    throw new RouteConfigError(`${field}: ${JSON.stringify(value)} is not host:port`);
  }
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

export function parseRouteTable(routes: string | undefined, relay: string | undefined): RouteTable {
  const entries = (routes ?? '')
    .split(/[;,]/)
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const [pattern, target] = entry.split('=');
      if (!pattern || !target || !/^(\*\.)?[a-z0-9.-]+$/i.test(pattern.trim())) {
        throw new RouteConfigError(`MTA_ROUTES: ${JSON.stringify(entry)} is not domain=host:port`);
      }
      return { pattern: pattern.trim().toLowerCase(), endpoint: parseEndpoint(target, 'MTA_ROUTES') };
    });
  return { routes: entries, relay: relay ? parseEndpoint(relay, 'MTA_RELAY') : null };
}

/** The fixed endpoint for a domain, or null when MX lookup decides. Exact names beat wildcards. */
export function staticRoute(table: RouteTable, domain: string): Endpoint | null {
  const exact = table.routes.find((route) => route.pattern === domain);
  if (exact) return exact.endpoint;
  const wildcard = table.routes.find(
    (route) => route.pattern.startsWith('*.') && domain.endsWith(route.pattern.slice(1)),
  );
  return wildcard?.endpoint ?? table.relay;
}
