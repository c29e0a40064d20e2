/**
 * Domains the product routes to the simulator by default. `.sim` is not a delegated TLD and
 * `.test` is reserved (RFC 2606), so mail addressed there can never leak to the internet.
 * The simulator itself answers for any domain; this list is for the product's routing.
 */
export const SIMULATOR_DEFAULT_DOMAINS: readonly string[] = ['*.sim', 'simulator.postwave.test'];

/** `*` matches everything, `*.x` matches x's subdomains (not x), anything else matches exactly. */
export function matchesDomainPattern(domain: string, pattern: string): boolean {
  const d = domain.toLowerCase().replace(/\.$/, '');
  const p = pattern.toLowerCase();
  if (p === '*') return true;
  if (p.startsWith('*.')) return d.endsWith(p.slice(1)) && d.length > p.length - 1;
  return d === p;
}

/** Whether the product should deliver mail for `domain` to the simulator. */
export function isSimulatorDomain(
  domain: string,
  patterns: readonly string[] = SIMULATOR_DEFAULT_DOMAINS,
): boolean {
  return patterns.some((p) => matchesDomainPattern(domain, p));
}

/** The domain part of an address, lower-cased. */
export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}
