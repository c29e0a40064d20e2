import {
  Inject,
  Injectable,
  Optional,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { CompiledContent, type Attributes } from '@postwave/content';
import {
  DEFAULT_TYPOLOGY,
  normalizeAddress,
  type AddressCheck,
  type AnalysisReport,
  type FailureReason,
  type Finding,
} from '@postwave/contracts';
import { DATABASE, INSTANCE, LOGGER } from '@postwave/platform/eventing';
import type { Logger } from '@postwave/platform/observability';
import { insertMany, sqlFor, type Database } from '@postwave/platform/persistence';
import {
  addStatuses,
  capacityCheck,
  concludeAnalysis,
  failedAnalysis,
  compileExpression,
  compileTypology,
  contentFindings,
  canceledFact,
  excludedFact,
  FingerprintSet,
  position,
  rankFor,
  rankSeed,
  runPrefix,
  shareOf,
  wavesFromReport,
  plannedFact,
  RecipientScreen,
  waveIndexOf,
  type AnalysedRecipient,
  type Delivery,
} from '@postwave/planning/domain';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { PlannerCommands } from './planner-commands';
import {
  addressStatusCount,
  allAddressStatuses,
  blockedReasons,
  loadCompiledTypology,
  loadTypologyDefinition,
  loadDelivery,
  recentMessages,
  sourcePage,
  typologyVolume,
} from './planner-store';

/** Milliseconds spent per phase of a job, for the log: where an analysis or emission spends its time. */
class PhaseTimer {
  readonly ms: Record<string, number> = {};
  private last = performance.now();

  /** Charges the time since the previous mark to `phase`. */
  mark(phase: string): void {
    const now = performance.now();
    this.ms[phase] = Math.round((this.ms[phase] ?? 0) + now - this.last);
    this.last = now;
  }
}

/** The process's memory in MB, for job logs: live heap versus what the process holds. */
function memoryMb() {
  const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
  const mb = (bytes: number) => Math.round(bytes / 1e6);
  return { rss: mb(rss), heapUsed: mb(heapUsed), heapTotal: mb(heapTotal), external: mb(external) };
}

/** How the planner's background jobs run; replicas share them through database leases. */
export interface PlannerJobOptions {
  /** How long a replica holds a job it does not renew: a dead replica's job is taken over after it. */
  readonly leaseMs: number;
}

export const PLANNER_JOB_OPTIONS = Symbol('PlannerJobOptions');
export const DEFAULT_PLANNER_JOB_OPTIONS: PlannerJobOptions = { leaseMs: 60_000 };

/** Recipients per analysis or emission transaction: big enough to be fast, small enough to share SQLite. */
export const JOB_CHUNK = 2000;
/** Address statuses up to this many rows are held in memory during an analysis (about 100 bytes each). */
const IN_MEMORY_STATUSES = 500_000;
const POLL_MS = 1000;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/**
 * The planner's background work, one delivery at a time per job and leased in the database so
 * replicas never run the same job twice: the analysis (streams the target in chunks, writes each
 * recipient's outcome and its exclusion events, then computes limit, control group, capacity,
 * waves and the report), the emission of planned messages after confirmation (resumable from a
 * cursor), and the scheduler (contact dates, starts, validity ends). A crash loses nothing: a job
 * left half-done is taken up again from the database.
 */
@Injectable()
export class PlannerJobs implements OnApplicationBootstrap, OnApplicationShutdown {
  /** Who holds a job, as job_owner shows it: the instance (pod) name and this process. */
  private readonly owner: string;
  private timer: NodeJS.Timeout | null = null;
  private stopping = false;
  private readonly running = new Map<string, Promise<void>>();
  private sweeping: Promise<void> | null = null;

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(PlannerCommands) private readonly commands: PlannerCommands,
    @Inject(LOGGER) private readonly logger: Logger,
    @Optional() @Inject(PLANNER_JOB_OPTIONS) options: PlannerJobOptions | null = null,
    @Optional() @Inject(INSTANCE) instance: string | null = null,
  ) {
    this.leaseMs = (options ?? DEFAULT_PLANNER_JOB_OPTIONS).leaseMs;
    this.owner = `${instance ?? 'planner'}:${randomUUID().slice(0, 8)}`;
  }

  private readonly leaseMs: number;

  onApplicationBootstrap(): void {
    this.commands.onChange = (deliveryId) => void this.kick(deliveryId);
    this.timer = setInterval(() => void this.sweep(), POLL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.running.values(), this.sweeping]);
  }

  /** Runs whatever the delivery needs now and resolves when it is done (HTTP callers wait on it). */
  kick(deliveryId: string): Promise<void> {
    const current = this.running.get(deliveryId);
    if (current) return current.then(() => this.kick(deliveryId));
    const run = this.work(deliveryId)
      .catch((error: unknown) =>
        this.logger.error({ delivery_id: deliveryId, err: error }, 'planner job failed; it will be retried'),
      )
      .finally(() => this.running.delete(deliveryId));
    this.running.set(deliveryId, run);
    return run;
  }

  /** Finds deliveries with work to do (including jobs a dead replica left) and runs them. */
  sweep(): Promise<void> {
    if (this.sweeping || this.stopping) return this.sweeping ?? Promise.resolve();
    this.sweeping = (async () => {
      const now = new Date().toISOString();
      const rows = (await this.db.read((em) =>
        em.query(
          sqlFor(
            em,
            `SELECT delivery_id AS "deliveryId" FROM planner_delivery
             WHERE (status IN ('Analysis', 'StartPending') OR (due_at IS NOT NULL AND due_at <= ?)
                    OR (status = 'Stopped' AND message_count IS NOT NULL AND emitted < message_count))
               AND (job_until IS NULL OR job_until < ? OR job_owner = ?)
             LIMIT 50`,
          ),
          [now, now, this.owner],
        ),
      )) as { deliveryId: string }[];
      for (const { deliveryId } of rows) if (!this.running.has(deliveryId)) void this.kick(deliveryId);
    })()
      .catch((error: unknown) => this.logger.error({ err: error }, 'planner sweep failed'))
      .finally(() => (this.sweeping = null));
    return this.sweeping;
  }

  private async work(deliveryId: string): Promise<void> {
    // Each step may lead to the next (analysis → automatic confirmation → emission → start).
    for (let step = 0; step < 6 && !this.stopping; step++) {
      const delivery = await this.db.read((em) => loadDelivery(em, deliveryId));
      if (!delivery) return;
      if (delivery.status === 'Analysis') {
        if (!(await this.lease(deliveryId))) return;
        await this.analyse(delivery);
      } else if (delivery.status === 'StartPending' || (await this.stoppedBeforeHandover(delivery))) {
        if (!(await this.lease(deliveryId))) return;
        await this.emit(delivery);
        if (delivery.status === 'Stopped') return;
      } else {
        const decision = await this.db.transaction((em) =>
          this.commands.applyInternal(em, deliveryId, () => ({ kind: 'tick', deliveryId, now: new Date() })),
        );
        if (!decision.ok || decision.facts.length === 0) return;
      }
    }
  }

  /** Stopped while its messages were being handed over: the rest must still end "Delivery canceled". */
  private async stoppedBeforeHandover(delivery: Delivery): Promise<boolean> {
    if (delivery.status !== 'Stopped' || delivery.messageCount === undefined) return false;
    const [row] = (await this.db.read((em) =>
      em.query(sqlFor(em, 'SELECT emitted FROM planner_delivery WHERE delivery_id = ?'), [
        delivery.deliveryId,
      ]),
    )) as { emitted: number | string }[];
    return Number(row?.emitted ?? 0) < delivery.messageCount;
  }

  private async lease(deliveryId: string): Promise<boolean> {
    const now = new Date();
    const result = (await this.db.transaction((em) =>
      em.query(
        sqlFor(
          em,
          `UPDATE planner_delivery SET job_owner = ?, job_until = ?
           WHERE delivery_id = ? AND (job_until IS NULL OR job_until < ? OR job_owner = ?) RETURNING delivery_id`,
        ),
        [
          this.owner,
          new Date(now.getTime() + this.leaseMs).toISOString(),
          deliveryId,
          now.toISOString(),
          this.owner,
        ],
      ),
    )) as unknown[] | [unknown[], number];
    const rows = Array.isArray(result[0]) ? (result[0] as unknown[]) : result;
    return rows.length > 0;
  }

  private renew(em: EntityManager, deliveryId: string): Promise<unknown> {
    return em.query(
      sqlFor(em, 'UPDATE planner_delivery SET job_until = ? WHERE delivery_id = ? AND job_owner = ?'),
      [new Date(Date.now() + this.leaseMs).toISOString(), deliveryId, this.owner],
    );
  }

  /** True while the delivery is still in this analysis run (an edit or a stop ends it). */
  private async stillAnalysing(em: EntityManager, deliveryId: string, run: number): Promise<boolean> {
    const current = await loadDelivery(em, deliveryId);
    return current?.status === 'Analysis' && current.analysisRun === run;
  }

  private async analyse(delivery: Delivery): Promise<void> {
    const started = Date.now();
    const { deliveryId, analysisRun: run, settings } = delivery;
    const findings: Finding[] = [];
    const definition =
      (await this.db.read((em) => loadTypologyDefinition(em, settings.typology))) ??
      (findings.push({
        rule: 'typology',
        level: 'error',
        phase: 'start-of-targeting',
        message: `typology ${JSON.stringify(settings.typology)} does not exist`,
      }),
      DEFAULT_TYPOLOGY);
    const compiledTypology = compileTypology(definition);
    if (!compiledTypology.ok) {
      await this.complete(
        delivery,
        failedAnalysis(
          settings.typology,
          `typology ${compiledTypology.field}: ${compiledTypology.error}`,
          (Date.now() - started) / 1000,
        ),
      );
      return;
    }
    const typology = compiledTypology.compiled;
    findings.push(...contentFindings(typology, settings.content));
    const filter = settings.target.filter ? compileExpression(settings.target.filter) : null;
    if (filter && !filter.ok) {
      await this.complete(
        delivery,
        failedAnalysis(settings.typology, `target.filter: ${filter.error}`, (Date.now() - started) / 1000),
      );
      return;
    }
    const source =
      settings.target.audience !== undefined ? { audience: settings.target.audience } : { deliveryId };
    if ('audience' in source) {
      const exists = await this.db.read((em) =>
        em.query(sqlFor(em, 'SELECT 1 FROM planner_audience WHERE name = ?'), [source.audience]),
      );
      if ((exists as unknown[]).length === 0) {
        await this.complete(
          delivery,
          failedAnalysis(
            settings.typology,
            `audience ${JSON.stringify(source.audience)} does not exist`,
            (Date.now() - started) / 1000,
          ),
        );
        return;
      }
    }
    const screen = new RecipientScreen({
      content: settings.content,
      filter: filter?.ok ? filter.expression : null,
      filteringRules: typology.filtering,
      pressure: typology.pressure,
    });
    if (screen.templateError)
      findings.push({
        rule: 'template-syntax',
        level: 'error',
        phase: 'personalization',
        message: screen.templateError,
      });

    // Earlier runs' outcomes are void.
    await this.db.transaction((em) =>
      em.query(sqlFor(em, 'DELETE FROM planner_recipient WHERE delivery_id = ?'), [deliveryId]),
    );
    const seen = new FingerprintSet(64 * 1024);
    const prefix = 'm' + runPrefix(deliveryId, run);
    const seed = rankSeed(prefix.slice(1));
    const pressureSince = typology.pressure
      ? new Date(Date.now() - typology.pressure.periodDays * DAY_MS).toISOString()
      : null;
    let cursor = -1;
    let targeted = 0;
    // A small address status table is read once; a large one is looked up chunk by chunk.
    const statuses =
      (await this.db.read(addressStatusCount)) <= IN_MEMORY_STATUSES
        ? addStatuses(new Map(), await this.db.read(allAddressStatuses), settings.target.audience)
        : null;
    const timer = new PhaseTimer();
    for (;;) {
      timer.mark('other');
      const page = await this.db.read((em) => sourcePage(em, source, cursor, JOB_CHUNK));
      timer.mark('read');
      if (page.length === 0) break;
      cursor = page[page.length - 1]!.seq;
      const proceed = await this.db.transaction(async (em) => {
        if (!(await this.stillAnalysing(em, deliveryId, run))) return false;
        timer.mark('other');
        // Audience members were normalized when imported; inline recipients are checked here.
        const checks = page.map((r) =>
          'audience' in source && r.address ? normalizedMember(r.address) : normalizeAddress(r.address),
        );
        const addresses = [...new Set(checks.flatMap((c) => (c.ok ? [c.address] : [])))];
        const blocked = statuses ?? (await blockedReasons(em, addresses, settings.target.audience));
        const recent = pressureSince
          ? await recentMessages(em, addresses, pressureSince, deliveryId)
          : new Map<string, number>();
        timer.mark('lookups');
        const facts = {
          blockedReason: (a: string) => blocked.get(a) ?? null,
          recentMessages: (a: string) => recent.get(a) ?? 0,
        };
        const rows: unknown[][] = [];
        const excluded: AnalysedRecipient[] = [];
        for (const [index, recipient] of page.entries()) {
          const outcome = screen.screen(recipient, facts, seen, checks[index]);
          if (outcome.kind === 'outside') continue;
          targeted++;
          const messageId = prefix + position(recipient.seq);
          const analysed: AnalysedRecipient =
            outcome.kind === 'target'
              ? {
                  messageId,
                  address: outcome.address,
                  domain: outcome.domain,
                  attributes: recipient.attributes,
                  reason: null,
                }
              : {
                  messageId,
                  address: outcome.address,
                  domain: outcome.address.split('@')[1] ?? '',
                  attributes: recipient.attributes,
                  reason: outcome.reason,
                  rule: outcome.rule ?? null,
                  detail: outcome.detail ?? null,
                };
          if (analysed.reason) excluded.push(analysed);
          rows.push([
            deliveryId,
            recipient.seq,
            messageId,
            analysed.address,
            analysed.domain,
            recipient.rawAttributes,
            analysed.reason,
            analysed.rule ?? null,
            analysed.detail ?? null,
            rankFor(seed, recipient.seq),
          ]);
        }
        timer.mark('screen');
        await insertMany(em, 'planner_recipient', RECIPIENT_COLUMNS, rows);
        timer.mark('write');
        await this.commands.appendFacts(
          em,
          delivery,
          excluded.map((r) => excludedFact(deliveryId, run, r)),
        );
        timer.mark('events');
        await this.renew(em, deliveryId);
        return true;
      });
      timer.mark('commit');
      if (!proceed) return;
    }
    this.logger.info(
      { delivery_id: deliveryId, targeted, phases_ms: timer.ms, memory_mb: memoryMb() },
      'analysis pass done',
    );

    // Limit, control group and capacity pick among the recipients kept, by their random rank.
    let eligible = await this.countKept(deliveryId);
    if (settings.target.limit !== undefined && eligible > settings.target.limit) {
      await this.cut(delivery, eligible - settings.target.limit, 'TargetLimited', null, 'DESC');
      eligible = settings.target.limit;
    }
    if (settings.target.controlGroup) {
      const size = shareOf(settings.target.controlGroup.size, eligible);
      if (size > 0) await this.cut(delivery, Math.min(size, eligible), 'ControlAddress', null, 'ASC');
      eligible -= Math.min(size, eligible);
    }
    const dayStart = startOfDay(delivery.contactAt ? new Date(delivery.contactAt) : new Date());
    const alreadyToday = typology.capacity.length
      ? await this.db.read((em) =>
          typologyVolume(
            em,
            settings.typology,
            dayStart.toISOString(),
            new Date(dayStart.getTime() + DAY_MS).toISOString(),
            deliveryId,
          ),
        )
      : 0;
    const capacity = capacityCheck(typology, alreadyToday, eligible);
    findings.push(...capacity.findings);
    if (capacity.allowed < eligible) {
      await this.cut(
        delivery,
        eligible - capacity.allowed,
        'ExcludedAfterArbitration',
        capacity.rule ?? null,
        'DESC',
      );
      eligible = capacity.allowed;
    }

    await this.complete(
      delivery,
      concludeAnalysis({
        settings,
        typology,
        targeted,
        toDeliver: eligible,
        exclusionsByReason: await this.exclusionCounts(deliveryId),
        findings,
        durationSeconds: (Date.now() - started) / 1000,
      }),
    );
  }

  private countKept(deliveryId: string): Promise<number> {
    return this.db.read(async (em) => {
      const [row] = (await em.query(
        sqlFor(em, 'SELECT COUNT(*) AS n FROM planner_recipient WHERE delivery_id = ? AND reason IS NULL'),
        [deliveryId],
      )) as { n: number | string }[];
      return Number(row?.n ?? 0);
    });
  }

  private exclusionCounts(deliveryId: string): Promise<Partial<Record<FailureReason, number>>> {
    return this.db.read(async (em) => {
      const rows = (await em.query(
        sqlFor(
          em,
          'SELECT reason, COUNT(*) AS n FROM planner_recipient WHERE delivery_id = ? AND reason IS NOT NULL GROUP BY reason',
        ),
        [deliveryId],
      )) as { reason: FailureReason; n: number | string }[];
      return Object.fromEntries(rows.map((row) => [row.reason, Number(row.n)]));
    });
  }

  /** Excludes `count` kept recipients, picked by rank (a stable random order), and records why. */
  private async cut(
    delivery: Delivery,
    count: number,
    reason: FailureReason,
    rule: string | null,
    order: 'ASC' | 'DESC',
  ): Promise<void> {
    const { deliveryId, analysisRun: run } = delivery;
    let left = count;
    while (left > 0) {
      const done = await this.db.transaction(async (em) => {
        const rows = (await em.query(
          sqlFor(
            em,
            `SELECT seq, message_id AS "messageId", address, domain, attributes FROM planner_recipient
             WHERE delivery_id = ? AND reason IS NULL ORDER BY rank ${order}, seq LIMIT ?`,
          ),
          [deliveryId, Math.min(left, JOB_CHUNK)],
        )) as { seq: number; messageId: string; address: string; domain: string; attributes: string }[];
        if (rows.length === 0) return 0;
        const seqs = rows.map((r) => r.seq);
        await em.query(
          sqlFor(
            em,
            `UPDATE planner_recipient SET reason = ?, rule = ? WHERE delivery_id = ? AND seq IN (${seqs.map(() => '?').join(', ')})`,
          ),
          [reason, rule, deliveryId, ...seqs],
        );
        await this.commands.appendFacts(
          em,
          delivery,
          rows.map((r) =>
            excludedFact(deliveryId, run, {
              messageId: r.messageId,
              address: r.address,
              domain: r.domain,
              attributes: {},
              reason,
              rule,
            }),
          ),
        );
        return rows.length;
      });
      if (done === 0) return;
      left -= done;
    }
  }

  private async complete(delivery: Delivery, report: AnalysisReport): Promise<void> {
    await this.db.transaction((em) =>
      this.commands.applyInternal(em, delivery.deliveryId, () => ({
        kind: 'analysis-completed',
        deliveryId: delivery.deliveryId,
        run: delivery.analysisRun,
        report,
        now: new Date(),
      })),
    );
    this.logger.info(
      {
        delivery_id: delivery.deliveryId,
        targeted: report.targeted,
        to_deliver: report.toDeliver,
        blocking: report.blocking,
      },
      'delivery analysed',
    );
  }

  /**
   * Hands the target to the MTA as planned messages, in target order, each with its wave's start
   * as `notBefore`. The cursor commits with each chunk's events, so a restart neither skips nor
   * repeats a message.
   */
  private async emit(delivery: Delivery): Promise<void> {
    const { deliveryId } = delivery;
    const startAt = Date.parse(delivery.startAt ?? new Date().toISOString());
    const validUntil =
      delivery.validUntil ?? new Date(startAt + delivery.settings.validityHours * HOUR_MS).toISOString();
    const plan = wavesFromReport(delivery.report?.waves ?? []);
    const confirmedAt = Date.parse(delivery.confirmedAt ?? new Date().toISOString());
    // Planned messages carry only the attributes the templates read (all of them when the templates
    // read nested paths): events stay small, and the profile's other columns stay in the planner.
    const compiled = CompiledContent.compile(delivery.settings.content);
    const attributesOf = (raw: string): Attributes => {
      const all = JSON.parse(raw) as Attributes;
      return compiled.ok ? compiled.compiled.readAttributes(all) : all;
    };
    // Deliveries under a pressure rule leave a contact per recipient, which later pressure rules count.
    const typology = await this.db.read((em) => loadCompiledTypology(em, delivery.settings.typology));
    const recordContacts = (typology?.pressure ?? null) !== null;
    const contactAt = new Date(startAt).toISOString();
    const timer = new PhaseTimer();
    let emitted = 0;
    for (;;) {
      timer.mark('other');
      const more = await this.db.transaction(async (em) => {
        timer.mark('other');
        const [progress] = (await em.query(
          sqlFor(
            em,
            'SELECT emit_cursor AS cursor, emitted, status FROM planner_delivery WHERE delivery_id = ?',
          ),
          [deliveryId],
        )) as { cursor: number | string; emitted: number | string; status: string }[];
        // Stopped during the handover: what was not handed over is canceled instead of planned.
        const canceling = progress?.status === 'Stopped';
        if (progress?.status !== 'StartPending' && !canceling) return false;
        const rows = (await em.query(
          sqlFor(
            em,
            `SELECT seq, message_id AS "messageId", address, domain, attributes FROM planner_recipient
             WHERE delivery_id = ? AND reason IS NULL AND seq > ? ORDER BY seq LIMIT ?`,
          ),
          [deliveryId, Number(progress.cursor), JOB_CHUNK],
        )) as {
          seq: number | string;
          messageId: string;
          address: string;
          domain: string;
          attributes: string;
        }[];
        timer.mark('read');
        if (rows.length === 0) return false;
        let position = Number(progress.emitted);
        const at = new Date().toISOString();
        const facts = rows.map((row) => {
          if (canceling) {
            position++;
            return canceledFact(deliveryId, row.messageId, row.address, at);
          }
          const wave = plan.length > 1 ? waveIndexOf(position, plan) : 0;
          position++;
          const releaseAt = startAt + (plan[wave]?.offsetMs ?? 0);
          return plannedFact(
            deliveryId,
            {
              messageId: row.messageId,
              address: row.address,
              domain: row.domain,
              attributes: attributesOf(row.attributes),
              reason: null,
            },
            {
              validUntil,
              ...(releaseAt > confirmedAt ? { notBefore: new Date(releaseAt).toISOString() } : {}),
              ...(plan.length > 1 ? { wave } : {}),
            },
          );
        });
        timer.mark('build');
        await this.commands.appendFacts(em, delivery, facts);
        timer.mark('events');
        if (recordContacts && !canceling)
          await insertMany(
            em,
            'planner_contact',
            ['address', 'delivery_id', 'at'],
            rows.map((row) => [row.address, deliveryId, contactAt]),
            'ON CONFLICT (address, delivery_id) DO NOTHING',
          );
        emitted += facts.length;
        await em.query(
          sqlFor(
            em,
            'UPDATE planner_delivery SET emit_cursor = ?, emitted = ?, job_until = ? WHERE delivery_id = ?',
          ),
          [
            Number(rows[rows.length - 1]!.seq),
            position,
            new Date(Date.now() + this.leaseMs).toISOString(),
            deliveryId,
          ],
        );
        return true;
      });
      timer.mark('commit');
      if (!more || this.stopping) break;
    }
    this.logger.info(
      { delivery_id: deliveryId, emitted, phases_ms: timer.ms, memory_mb: memoryMb() },
      'planned messages handed over',
    );
    if (this.stopping || delivery.status === 'Stopped') return;
    await this.db.transaction((em) =>
      this.commands.applyInternal(em, deliveryId, () => ({
        kind: 'emission-completed',
        deliveryId,
        now: new Date(),
      })),
    );
  }
}

const RECIPIENT_COLUMNS = [
  'delivery_id',
  'seq',
  'message_id',
  'address',
  'domain',
  'attributes',
  'reason',
  'rule',
  'detail',
  'rank',
] as const;

const startOfDay = (at: Date) => new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));

/** An audience member's address, normalized at import: only its domain is split off. */
function normalizedMember(address: string): AddressCheck {
  return { ok: true, address, domain: address.slice(address.lastIndexOf('@') + 1) };
}
