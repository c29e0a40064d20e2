import { z } from 'zod';

/**
 * Source IP pools: the addresses the MTA sends from, each with its HELO name and a weight, and
 * warm-up plans that cap a new address's daily volume per site on a growing schedule. Traffic an
 * address may not take (cap reached, path suspended) overflows to the others.
 */
export interface SourceIp {
  /** `default` lets the operating system choose the address. */
  readonly address: string;
  readonly helo: string | null;
  readonly weight: number;
}

export class SourceIpConfigError extends Error {}

/** `127.0.0.2=mta1.example.com*3,127.0.0.3=mta2.example.com` (HELO and weight optional). */
export function parseSourceIps(value: string | undefined, field = 'MTA_SOURCE_IPS'): SourceIp[] {
  const entries = (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0) return [{ address: 'default', helo: null, weight: 1 }];
  const ips = entries.map((entry) => {
    const match = /^(default|[0-9.]+|[0-9a-f:]+)(?:=([a-z0-9.-]+))?(?:\*(\d{1,4}))?$/i.exec(entry);
    if (!match || (match[1] !== 'default' && !isIp(match[1]!))) {
      throw new SourceIpConfigError(`${field}: ${JSON.stringify(entry)} is not ip[=helo][*weight]`);
    }
    const weight = match[3] === undefined ? 1 : Number(match[3]);
    if (weight < 1) throw new SourceIpConfigError(`${field}: ${JSON.stringify(entry)} has a weight below 1`);
    return { address: match[1]!, helo: match[2] ?? null, weight };
  });
  const seen = new Set<string>();
  for (const ip of ips) {
    if (seen.has(ip.address)) throw new SourceIpConfigError(`${field}: ${ip.address} is listed twice`);
    seen.add(ip.address);
  }
  return ips;
}

const isIp = (value: string) =>
  /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(value) ||
  (value.includes(':') && /^[0-9a-f:]+$/i.test(value));

export const WarmupPlanSchema = z
  .object({
    ip: z.string().min(1),
    /** First day of the plan (UTC date). */
    start: z.iso.date(),
    /** Cap per site for day 1, day 2, …; after the last day the address is warm (no cap). */
    dailyCaps: z.array(z.number().int().min(0)).min(1),
    /** Sites (MX rule ids or site names) the plan applies to; `*` for all. */
    sites: z.array(z.string().min(1)).default(['*']),
  })
  .strict();

export type WarmupPlan = z.infer<typeof WarmupPlanSchema>;

export function validateWarmupPlans(data: unknown): WarmupPlan[] {
  if (!Array.isArray(data)) throw new SourceIpConfigError('warm-up plans: expected a list');
  return data.map((item, index) => {
    const parsed = WarmupPlanSchema.safeParse(item);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0]!;
    const ip = (item as { ip?: unknown } | null)?.ip;
    throw new SourceIpConfigError(
      `warm-up plan ${typeof ip === 'string' ? ip : `#${index + 1}`}: ${issue.path.join('.')}: ${issue.message}`,
    );
  });
}

const DAY_MS = 86_400_000;

/** Today's cap for an address at a site, or null when no plan limits it (warm, or not in a plan). */
export function warmupCap(plans: readonly WarmupPlan[], ip: string, site: string, at: number): number | null {
  const plan = plans.find((p) => p.ip === ip && (p.sites.includes('*') || p.sites.includes(site)));
  if (!plan) return null;
  const day = Math.floor((at - Date.parse(`${plan.start}T00:00:00Z`)) / DAY_MS);
  if (day < 0) return 0;
  return day < plan.dailyCaps.length ? plan.dailyCaps[day]! : null;
}

/**
 * Smooth weighted round-robin (as nginx does): over any window, each address gets its weight's
 * share, interleaved rather than in runs. Addresses not eligible right now are skipped.
 */
export class WeightedPicker {
  private readonly current = new Map<string, number>();

  constructor(private readonly ips: readonly SourceIp[]) {}

  pick(eligible: (ip: SourceIp) => boolean): SourceIp | null {
    const candidates = this.ips.filter(eligible);
    if (candidates.length === 0) return null;
    const total = candidates.reduce((sum, ip) => sum + ip.weight, 0);
    let best: SourceIp | null = null;
    for (const ip of candidates) {
      const value = (this.current.get(ip.address) ?? 0) + ip.weight;
      this.current.set(ip.address, value);
      if (!best || value > this.current.get(best.address)!) best = ip;
    }
    this.current.set(best!.address, this.current.get(best!.address)! - total);
    return best;
  }
}
