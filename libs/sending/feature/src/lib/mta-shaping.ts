import { existsSync, readFileSync } from 'node:fs';
import type { Fact } from '@postwave/contracts';
import type { Logger, Metric } from '@postwave/platform/observability';
import { sqlFor, type Database } from '@postwave/platform/persistence';
import {
  adapt,
  DEFAULT_MX_RULES,
  initialPath,
  isSuspended,
  RatePacer,
  siteFor,
  validateMxRules,
  warmupCap,
  WeightedPicker,
  withinRule,
  type MxRule,
  type PathSignal,
  type PathState,
  type SiteMatch,
  type SourceIp,
  type WarmupPlan,
  hourTotals,
  type HourMark,
  type HourTotals,
  type Outcome,
} from '@postwave/sending/domain';
import type { EntityManager } from 'typeorm';

const pathKey = (site: string, ip: string) => `${site}|${ip}`;
const hourOf = (at: number) => new Date(at).toISOString().slice(0, 13) + ':00Z';
const dayOf = (at: number) => new Date(at).toISOString().slice(0, 10);
/** The key of a day's warm-up count for one site and source address. */
const dayKey = (day: string, site: string, ip: string) => `${day}|${site}|${ip}`;
const DAY_MS = 86_400_000;
/** How often the rules file is looked at for changes. */
const RULES_CHECK_MS = 1000;

interface HourRow {
  site: string;
  sourceIp: string;
  hour: string;
  accepted: number;
  deferred: number;
  bounced: number;
}

/**
 * The MTA's traffic shaping at run time: the MX rules (reloaded when their file changes), each
 * path's learned limits (kept in the database, so the next delivery starts from what was
 * learned), connection slots, even pacing, and per-site hourly history.
 */
export class MtaShaping {
  private rules: MxRule[];
  /** The rules file's text as last applied (or rejected), and when it was last looked at. */
  private rulesText = '';
  private rulesCheckedAt = 0;
  private readonly paths = new Map<string, PathState>();
  private readonly pacers = new Map<string, RatePacer>();
  private readonly active = new Map<string, number>();
  private readonly waiting = new Map<string, Array<() => void>>();
  /** Attempts per `day|site|ip` today, for warm-up caps. */
  private readonly usedToday = new Map<string, number>();
  private readonly pickers = new Map<string, WeightedPicker>();
  /** Since start: attempts by `site|ip|outcome` and limit changes by `site|ip|direction` (Prometheus counters). */
  private readonly attemptCounts = new Map<string, number>();
  private readonly changeCounts = new Map<string, number>();

  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
    private readonly rulesFile: string | null,
    private readonly emit: (em: EntityManager, facts: readonly Fact[]) => Promise<void>,
    private readonly sourceIps: readonly SourceIp[],
    private readonly warmup: readonly WarmupPlan[],
  ) {
    this.rules = validateMxRules(rulesFile ? JSON.parse(readFileSync(rulesFile, 'utf8')) : DEFAULT_MX_RULES);
    if (rulesFile) this.rulesText = readFileSync(rulesFile, 'utf8');
  }

  async load(): Promise<void> {
    const rows = await this.db.read((em) =>
      em.find<{ site: string; sourceIp: string; state: string }>('PathStateEntry'),
    );
    for (const row of rows)
      this.paths.set(pathKey(row.site, row.sourceIp), JSON.parse(row.state) as PathState);
    const today = dayOf(Date.now());
    const hours = await this.db.read((em) =>
      em
        .createQueryBuilder()
        .select('h.*')
        .from('SiteHourEntry', 'h')
        .where('h.hour >= :today', { today })
        .getRawMany<Record<string, unknown>>(),
    );
    for (const hour of hours) {
      const key = dayKey(today, String(hour['site']), String(hour['source_ip']));
      const attempts = Number(hour['accepted']) + Number(hour['deferred']) + Number(hour['bounced']);
      this.usedToday.set(key, (this.usedToday.get(key) ?? 0) + attempts);
    }
  }

  /**
   * The source address for the next connection to a site: by weight among the addresses whose
   * path is not suspended and whose warm-up cap for today is not reached; null when none may send.
   */
  chooseSourceIp(match: SiteMatch, at = Date.now()): SourceIp | null {
    let picker = this.pickers.get(match.site);
    if (!picker) this.pickers.set(match.site, (picker = new WeightedPicker(this.sourceIps)));
    return picker.pick(
      (ip) => this.suspendedUntil(match, ip.address, at) === null && this.underCap(match, ip.address, at),
    );
  }

  /** When a site with no eligible address may be tried again: the first suspension end, or tomorrow. */
  nextOpportunity(match: SiteMatch, at = Date.now()): number {
    const ends = this.sourceIps
      .map((ip) => this.suspendedUntil(match, ip.address, at))
      .filter((t): t is number => t !== null);
    const tomorrow = Date.parse(dayOf(at + DAY_MS) + 'T00:00:00Z');
    return Math.min(tomorrow, ...ends);
  }

  underCap(match: SiteMatch, ip: string, at = Date.now()): boolean {
    const cap = warmupCap(this.warmup, ip, match.rule.id, at) ?? warmupCap(this.warmup, ip, match.site, at);
    return cap === null || (this.usedToday.get(dayKey(dayOf(at), match.site, ip)) ?? 0) < cap;
  }

  /** Counts an attempt against today's warm-up cap as it starts (persisted with its outcome). */
  countAttempt(match: SiteMatch, ip: string, at = Date.now()): void {
    const key = dayKey(dayOf(at), match.site, ip);
    this.usedToday.set(key, (this.usedToday.get(key) ?? 0) + 1);
  }

  /** Takes back an attempt counted as it was announced to the server and then never sent. */
  uncountAttempt(match: SiteMatch, ip: string, at = Date.now()): void {
    const key = dayKey(dayOf(at), match.site, ip);
    const used = this.usedToday.get(key) ?? 0;
    if (used > 0) this.usedToday.set(key, used - 1);
  }

  /** Re-reads the rules file when it changed; a bad file is logged and the running rules stay. */
  reloadRules(now = Date.now()): void {
    if (!this.rulesFile || now - this.rulesCheckedAt < RULES_CHECK_MS || !existsSync(this.rulesFile)) return;
    this.rulesCheckedAt = now;
    const text = readFileSync(this.rulesFile, 'utf8');
    if (text === this.rulesText) return;
    this.rulesText = text;
    try {
      this.rules = validateMxRules(JSON.parse(text));
      this.logger.info({ file: this.rulesFile, rules: this.rules.length }, 'MX rules reloaded');
    } catch (error) {
      this.logger.error(
        { file: this.rulesFile, err: error },
        'MX rules file rejected; keeping the running rules',
      );
    }
  }

  site(domain: string, mxHost: string | null): SiteMatch {
    return siteFor(this.rules, domain, mxHost);
  }

  /** A rule whose limits are shared by all source addresses keeps one path for the site. */
  private limitIp(match: SiteMatch, sourceIp: string): string {
    return match.rule.limitScope === 'shared' ? 'shared' : sourceIp;
  }

  path(match: SiteMatch, address: string, at = Date.now()): PathState {
    const sourceIp = this.limitIp(match, address);
    const key = pathKey(match.site, sourceIp);
    const state = withinRule(
      match.rule,
      this.paths.get(key) ?? initialPath(match.rule, match.site, sourceIp, at),
    );
    this.paths.set(key, state);
    return state;
  }

  suspendedUntil(match: SiteMatch, sourceIp: string, at = Date.now()): number | null {
    const state = this.path(match, sourceIp, at);
    return isSuspended(state, at) ? state.suspendedUntil : null;
  }

  /** Waits for a connection slot on the path; resolves with a release function. */
  async connection(match: SiteMatch, address: string): Promise<() => void> {
    const sourceIp = this.limitIp(match, address);
    const key = pathKey(match.site, sourceIp);
    while ((this.active.get(key) ?? 0) >= this.path(match, sourceIp).maxConnections) {
      await new Promise<void>((resolve) =>
        this.waiting.set(key, [...(this.waiting.get(key) ?? []), resolve]),
      );
    }
    this.active.set(key, (this.active.get(key) ?? 0) + 1);
    return () => {
      this.active.set(key, (this.active.get(key) ?? 1) - 1);
      this.waiting.get(key)?.shift()?.();
    };
  }

  /** 0 when a message may be sent now on the path, else how long until its next slot. */
  slot(match: SiteMatch, address: string, at = Date.now()): number {
    const sourceIp = this.limitIp(match, address);
    const key = pathKey(match.site, sourceIp);
    const state = this.path(match, sourceIp, at);
    let pacer = this.pacers.get(key);
    if (!pacer) this.pacers.set(key, (pacer = new RatePacer(state.messagesPerHour, at)));
    pacer.setRate(state.messagesPerHour);
    return pacer.take(at);
  }

  /**
   * Feeds one answer into the path's controller; what it leaves to persist is written by
   * `persist`, for many answers at once (one history row update per site, address and hour).
   */
  observed(match: SiteMatch, address: string, signal: PathSignal, outcome: Outcome): Observation {
    // The live limits change now, so the very next send on the path sees a suspension; what is
    // persisted (history, learned state, the change event) is written with the attempt's outcome.
    const sourceIp = this.limitIp(match, address);
    const key = pathKey(match.site, sourceIp);
    const { state, change } = adapt(match.rule, this.path(match, address, signal.at), signal);
    this.paths.set(key, state);
    bump(this.attemptCounts, `${match.site}|${sourceIp}|${outcome}`);
    if (change) bump(this.changeCounts, `${match.site}|${sourceIp}|${change.direction}`);
    if (change)
      this.logger.warn(
        { site: match.site, source_ip: sourceIp, ...change },
        `path limits ${change.direction}`,
      );
    const hour = { site: match.site, sourceIp: address, hour: hourOf(signal.at), outcome };
    if (!change) return { hour, change: null };
    return {
      hour,
      change: async (em) => {
        await em.save('PathStateEntry', { site: match.site, sourceIp, state: JSON.stringify(state) });
        await this.emit(em, [
          {
            type: 'postwave.mta.path-limits-changed.v1',
            subject: match.site,
            data: {
              site: match.site,
              sourceIp,
              ruleId: match.rule.id,
              direction: change.direction,
              before: change.before,
              after: change.after,
              suspendedUntil:
                change.suspendedUntil === null ? null : new Date(change.suspendedUntil).toISOString(),
              cause: change.cause,
              at: new Date(signal.at).toISOString(),
            },
          },
        ]);
      },
    };
  }

  /** Writes observations: the hourly history summed per site, address and hour, then limit changes in order. */
  async persist(em: EntityManager, observations: readonly Observation[]): Promise<void> {
    for (const sum of hourTotals(observations.map(({ hour }) => hour))) await this.countHour(em, sum);
    // Most observations change nothing: no await (and no turn of the microtask queue) for those.
    for (const { change } of observations) if (change) await change(em);
  }

  /** The learned limits, suspensions and attempt counters, for the /metrics endpoint. */
  metrics(at = Date.now()): Metric[] {
    const paths = [...this.paths.values()];
    const labels = (state: PathState) => ({
      site: state.site,
      source_ip: state.sourceIp,
      rule: state.ruleId,
    });
    const ceiling = (state: PathState) => this.rules.find((r) => r.id === state.ruleId);
    const counter = (counts: Map<string, number>, label: string) =>
      [...counts].map(([key, value]) => {
        const [site = '', sourceIp = '', kind = ''] = key.split('|');
        return { labels: { site, source_ip: sourceIp, [label]: kind }, value };
      });
    return [
      {
        name: 'postwave_mta_path_max_connections',
        help: 'Connections the adaptive controller currently allows on the path (site x source IP).',
        type: 'gauge',
        samples: paths.map((s) => ({ labels: labels(s), value: s.maxConnections })),
      },
      {
        name: 'postwave_mta_path_messages_per_hour',
        help: 'Messages per hour the adaptive controller currently allows on the path.',
        type: 'gauge',
        samples: paths.map((s) => ({ labels: labels(s), value: s.messagesPerHour })),
      },
      {
        name: 'postwave_mta_path_ceiling_messages_per_hour',
        help: "The MX rule's messages per hour: where the controller grows back to.",
        type: 'gauge',
        samples: paths.flatMap((s) => {
          const rule = ceiling(s);
          return rule ? [{ labels: labels(s), value: rule.messagesPerHour }] : [];
        }),
      },
      {
        name: 'postwave_mta_path_suspended',
        help: '1 while the path is suspended for a cool-off after a slow-down reply.',
        type: 'gauge',
        samples: paths.map((s) => ({ labels: labels(s), value: isSuspended(s, at) ? 1 : 0 })),
      },
      {
        name: 'postwave_mta_path_active_connections',
        help: 'Open SMTP connections on the path.',
        type: 'gauge',
        samples: paths.map((s) => ({
          labels: labels(s),
          value: this.active.get(pathKey(s.site, s.sourceIp)) ?? 0,
        })),
      },
      {
        name: 'postwave_mta_attempts_total',
        help: 'Delivery attempts since start, by outcome (accepted, deferred, bounced).',
        type: 'counter',
        samples: counter(this.attemptCounts, 'outcome'),
      },
      {
        name: 'postwave_mta_path_limit_changes_total',
        help: 'Changes of learned limits since start, by direction (decreased, increased).',
        type: 'counter',
        samples: counter(this.changeCounts, 'direction'),
      },
    ];
  }

  /** What the API shows: every path's live limits against its rule, with the last 24 hours of history. */
  async report(at = Date.now()) {
    const since = hourOf(at - 23 * 3_600_000);
    const history = await this.db.read((em) =>
      em
        .createQueryBuilder()
        .select([
          'h.site AS site',
          'h.source_ip AS "sourceIp"',
          'h.hour AS hour',
          'h.accepted AS accepted',
          'h.deferred AS deferred',
          'h.bounced AS bounced',
        ])
        .from('SiteHourEntry', 'h')
        .where('h.hour >= :since', { since })
        .orderBy('h.hour', 'ASC')
        .getRawMany<HourRow>(),
    );
    const paths = [...this.paths.values()].map((state) => {
      const rule = this.rules.find((r) => r.id === state.ruleId);
      return {
        ...state,
        suspended: isSuspended(state, at),
        suspendedUntil: state.suspendedUntil === null ? null : new Date(state.suspendedUntil).toISOString(),
        updatedAt: new Date(state.updatedAt).toISOString(),
        activeConnections: this.active.get(pathKey(state.site, state.sourceIp)) ?? 0,
        ceiling: rule ? { maxConnections: rule.maxConnections, messagesPerHour: rule.messagesPerHour } : null,
        history: history
          .filter(
            (h) => h.site === state.site && (state.sourceIp === 'shared' || h.sourceIp === state.sourceIp),
          )
          .map((h) => ({
            hour: h.hour,
            accepted: Number(h.accepted),
            deferred: Number(h.deferred),
            bounced: Number(h.bounced),
          })),
      };
    });
    return { rules: this.rules.map((r) => r.id), paths };
  }

  private async countHour(em: EntityManager, sum: HourTotals): Promise<void> {
    await em.query(
      sqlFor(
        em,
        `INSERT INTO mta_site_hour (site, source_ip, hour, accepted, deferred, bounced) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (site, source_ip, hour) DO UPDATE SET accepted = mta_site_hour.accepted + excluded.accepted,
           deferred = mta_site_hour.deferred + excluded.deferred, bounced = mta_site_hour.bounced + excluded.bounced`,
      ),
      [sum.site, sum.sourceIp, sum.hour, sum.accepted, sum.deferred, sum.bounced],
    );
  }
}

/** One answer's share of the path history, and its limit change to save when there was one. */
export interface Observation {
  readonly hour: HourMark;
  readonly change: ((em: EntityManager) => Promise<void>) | null;
}

const bump = (counts: Map<string, number>, key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
