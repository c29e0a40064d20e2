import { z } from 'zod';

/** STARTTLS policies, weakest first: never, when offered, always, always with a verified certificate. */
export const TLS_POLICIES = ['disabled', 'opportunistic', 'required', 'verify'] as const;

/** Host and domain masks: `*` alone, or `*.` followed by a name, or an exact name. */
const Mask = z
  .string()
  .toLowerCase()
  .regex(
    /^(\*|(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*\.?)$/,
    'a host mask: "*", "*.example.com" or "mx.example.com"',
  );

/**
 * One MX rule (Campaign's "MX management", KumoMTA's shaping): which receiving hosts it covers and
 * the ceilings a delivery path to them may use. The adaptive controller moves each path's live
 * limits below these ceilings and back.
 */
export const MxRuleSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes'),
    description: z.string().optional(),
    /** Masks on MX host names (`*.google.com`); first matching rule wins. */
    mxHosts: z.array(Mask).min(1),
    /** Masks on recipient domains, for destinations reached without MX (static routes, simulator). */
    domains: z.array(Mask).default([]),
    /** All domains whose MX hosts match share one site (one queue, one set of limits). */
    shareSite: z.boolean().default(true),
    maxConnections: z.number().int().min(1).max(1000),
    messagesPerConnection: z.number().int().min(1).max(100_000),
    /** Spread evenly over the hour, never sent in one burst. */
    messagesPerHour: z.number().int().min(1).max(100_000_000),
    /** Whether the limits apply per source IP or are shared by all source IPs together. */
    limitScope: z.enum(['per-ip', 'shared']).default('per-ip'),
    timeouts: z
      .object({
        connectMs: z.number().int().min(100).max(600_000).default(30_000),
        greetingMs: z.number().int().min(100).max(600_000).default(60_000),
        commandMs: z.number().int().min(100).max(600_000).default(120_000),
      })
      .default({ connectMs: 30_000, greetingMs: 60_000, commandMs: 120_000 }),
    /**
     * STARTTLS policy for the site; absent, the MTA's own setting (MTA_TLS) applies. `verify` is
     * `required` plus a certificate that verifies for the MX host name (MTA-STS "enforce").
     */
    tls: z.enum(TLS_POLICIES).optional(),
    adaptive: z
      .object({
        /** Multiplicative decrease on a "slow down" answer (0.5 halves connections and rate). */
        decreaseFactor: z.number().gt(0).lt(1).default(0.5),
        /** First cool-off after a "slow down"; doubles on each repeat, up to maxCoolOffMs. */
        coolOffMs: z.number().int().min(0).default(60_000),
        maxCoolOffMs: z.number().int().min(0).default(3_600_000),
        /** Consecutive accepted messages before one additive step back up. */
        recoverAfter: z.number().int().min(1).default(50),
        /** Additive step of the hourly rate, as a share of the ceiling. */
        rateStep: z.number().gt(0).max(1).default(0.1),
        minConnections: z.number().int().min(1).default(1),
        minMessagesPerHour: z.number().int().min(1).default(60),
      })
      .default({
        decreaseFactor: 0.5,
        coolOffMs: 60_000,
        maxCoolOffMs: 3_600_000,
        recoverAfter: 50,
        rateStep: 0.1,
        minConnections: 1,
        minMessagesPerHour: 60,
      }),
  })
  .strict();

export type MxRule = z.infer<typeof MxRuleSchema>;
export type MxRuleInput = z.input<typeof MxRuleSchema>;

export class MxRulesError extends Error {}

/**
 * Validates an ordered rule list; errors name the rule (by id or position) and the field. The
 * last rule must be a catch-all (`*`), so every destination has limits.
 */
export function validateMxRules(data: unknown): MxRule[] {
  if (!Array.isArray(data)) throw new MxRulesError('MX rules: expected a list of rules');
  const rules = data.map((item, index) => {
    const parsed = MxRuleSchema.safeParse(item);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0]!;
    const id = (item as { id?: unknown } | null)?.id;
    const name = typeof id === 'string' ? `"${id}"` : `#${index + 1}`;
    throw new MxRulesError(`MX rule ${name}: ${issue.path.join('.') || '(rule)'}: ${issue.message}`);
  });
  const ids = new Set<string>();
  for (const rule of rules) {
    if (ids.has(rule.id)) throw new MxRulesError(`MX rule "${rule.id}": id: duplicate id`);
    ids.add(rule.id);
    if (rule.adaptive.minConnections > rule.maxConnections) {
      throw new MxRulesError(`MX rule "${rule.id}": adaptive.minConnections: above maxConnections`);
    }
  }
  const last = rules[rules.length - 1];
  if (!last || !last.mxHosts.includes('*'))
    throw new MxRulesError('MX rules: the last rule must match every host ("*")');
  return rules;
}

export function matchesMask(mask: string, name: string): boolean {
  const host = name.toLowerCase().replace(/\.$/, '');
  const pattern = mask.replace(/\.$/, '');
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1));
  return host === pattern;
}

export interface SiteMatch {
  readonly rule: MxRule;
  /** The queue and limit key: the rule id for provider rules, the MX host (or domain) otherwise. */
  readonly site: string;
}

/** The first rule whose MX mask (or, without MX, domain mask) matches, and the site it puts the destination in. */
export function siteFor(rules: readonly MxRule[], domain: string, mxHost: string | null): SiteMatch {
  const rule =
    rules.find((r) => r.domains.some((mask) => matchesMask(mask, domain))) ??
    rules.find(
      (r) =>
        mxHost !== null && !r.mxHosts.includes('*') && r.mxHosts.some((mask) => matchesMask(mask, mxHost)),
    ) ??
    rules[rules.length - 1]!;
  const catchAll = rule.mxHosts.includes('*') && rule.domains.length === 0;
  return { rule, site: rule.shareSite && !catchAll ? rule.id : (mxHost ?? domain).toLowerCase() };
}

export type TlsPolicy = (typeof TLS_POLICIES)[number];

/** A rule's own STARTTLS policy wins over the MTA-wide default, whichever way it goes. */
export const tlsPolicyFor = (
  rule: { readonly tls?: TlsPolicy | undefined },
  mtaDefault: TlsPolicy,
): TlsPolicy => rule.tls ?? mtaDefault;
