import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { isPermanent, qualifyConnectionFailure, qualifyReply } from '@postwave/bounce-rules';
import type { DeliveryContent, Envelope, Fact } from '@postwave/contracts';
import {
  DATABASE,
  EVENT_LOG,
  EnvelopeFactory,
  INSTANCE,
  LOGGER,
  type EventLog,
} from '@postwave/platform/eventing';
import {
  SpanKind,
  traceparentOf,
  withSpan,
  type Logger,
  type Metric,
} from '@postwave/platform/observability';
import type { Database } from '@postwave/platform/persistence';
import {
  admit,
  readmit,
  tlsPolicyFor,
  decideAfterAttempt,
  messageCanceled,
  pathSignal,
  expiredInQueue,
  throttleCause,
  type Admission,
  type PathGate,
  type AttemptResult,
  type Endpoint,
  type Outcome,
  type SiteMatch,
} from '@postwave/sending/domain';
import { DkimKeyring } from './dkim-keyring';
import { BuildPool } from './build-pool';
import type { PreparedResult } from './message-builder';
import { CLAIMS_IN_FLIGHT, MTA_OPTIONS, type MtaOptions } from './mta-options';
import { MtaShaping, type Observation } from './mta-shaping';
import { MxRouter } from './mx-router';
import type { SpoolRow } from './sending.entities';
import { ConnectionFailure, SmtpSession, type NextMessage } from './smtp-session';
import { SpoolStore } from './spool-store';

const IDLE_MS = 100;
const CONTENT_WAIT_MS = 1000;
/** How stale the view of paused and stopped deliveries may be. */
const CONTROL_REFRESH_MS = 250;

/**
 * Messages of a session built ahead of the one being sent: the build threads work while the
 * session waits for the receiver's replies.
 */
const BUILD_AHEAD = 16;

/** Attempt records waiting for their batch transaction. */
const RECORD_BATCH = 400;
/**
 * How long a record waits for others to share its transaction. At 5 ms a batch held about ten
 * records; at 25 ms about thirty, and the outcome events then reach the projection and the bounce
 * consumer in batches as big: bench:mta ran 0.9 instead of 2.8 SQLite statements per message.
 * At 50 ms (about a hundred records at 2,000 messages a second) the event loop spent about 0.013
 * ms less per message, 2% of the CPU, over six side-by-side pairs of bench:mta runs.
 * An outcome is at most this much later in the log; the session sends on meanwhile, and only the
 * end of a chunk waits for its records.
 */
const RECORD_FLUSH_MS = 50;

interface PendingRecord {
  readonly row: SpoolRow;
  readonly envelopes: readonly Envelope[];
  readonly retryAt: Date | null;
  /** The answer's share of the path history and limits, when it came from a path. */
  readonly observation: Observation | undefined;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** A control state due to be read again. */
const STALE = Symbol('stale');

/** Where an attempt went: the shaping path it counts against. */
interface PathRef {
  readonly match: SiteMatch;
  readonly sourceIp: string;
  /** EHLO name of the source address (the MTA's default when null). */
  readonly helo?: string | null;
}

/**
 * Drains the spool: claims due messages with a lease, groups them by destination, finds each
 * destination's site and path limits (MX rules, adaptive controller), sends over reused SMTP
 * connections within those limits, and records every outcome with its events in one transaction.
 */
@Injectable()
export class SpoolWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  private wake: (() => void) | null = null;
  private readonly router: MxRouter;
  private readonly builder: BuildPool;
  private readonly envelopes = new EnvelopeFactory('/postwave/sending-mta');
  private readonly store: SpoolStore;
  readonly shaping: MtaShaping;
  private pending: PendingRecord[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  /** Paused and stopped deliveries, re-read from the shared table so every replica honours them. */
  private controls = new Map<string, string>();
  private controlsReadAt = 0;

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(EVENT_LOG) private readonly eventLog: EventLog,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(INSTANCE) private readonly instance: string,
    @Inject(MTA_OPTIONS) private readonly options: MtaOptions,
  ) {
    this.router = new MxRouter(options.routes, options.dnsServers);
    this.builder = new BuildPool(
      {
        instance: options.instance,
        verpDomain: options.verp.domain,
        verpSecret: options.verp.secret,
        unsubscribeUrl: options.unsubscribeUrl,
      },
      new DkimKeyring(options.dkim.keysDir, options.dkim.selector, options.dkim.generateMissing, logger),
      options.buildThreads,
      logger,
    );
    this.store = new SpoolStore(db);
    this.shaping = new MtaShaping(
      db,
      logger,
      options.mxRulesFile,
      (em, facts) =>
        this.eventLog.appendIn(
          em,
          this.envelopes.wrap(facts, { correlationId: 'mta-shaping', causationId: this.instance }),
        ),
      options.sourceIps,
      options.warmup,
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.shaping.load();
    this.builder.start();
    this.running = true;
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.flush();
    await this.builder.close();
  }

  /** Where messages are built: the live build threads, and the messages built on them and in-process. */
  buildMetrics(): Metric[] {
    const stats = this.builder.stats();
    return [
      {
        name: 'postwave_mta_build_threads',
        help: 'Message build threads running (MTA_BUILD_THREADS when all are up).',
        type: 'gauge',
        samples: [{ labels: {}, value: stats.threads }],
      },
      {
        name: 'postwave_mta_messages_built_total',
        help: 'Messages personalized, assembled and signed, by where: on a build thread or in-process.',
        type: 'counter',
        samples: [
          { labels: { where: 'thread' }, value: stats.threaded },
          { labels: { where: 'in-process' }, value: stats.inProcess },
        ],
      },
    ];
  }

  /** Spools planned messages (a message already there is left alone); returns the ids added. */
  spool(em: Parameters<SpoolStore['addMany']>[0], rows: Parameters<SpoolStore['addMany']>[1]) {
    return this.store.addMany(em, rows);
  }

  cancelQueued(em: Parameters<SpoolStore['cancelQueued']>[0], deliveryId: string) {
    this.controlsReadAt = 0;
    return this.store.cancelQueued(em, deliveryId, new Date());
  }

  /** A delivery was paused or resumed: look at the control table again before the next send. */
  controlChanged(): void {
    this.controlsReadAt = 0;
    this.poke();
  }

  /** Called when new messages were spooled, to skip the idle wait. */
  poke(): void {
    this.wake?.();
  }

  /**
   * Claims and delivers in overlapping cycles: a new claim starts while earlier ones still send,
   * so the sessions of one claim finishing one after the other never leave the MTA idle.
   */
  private async run(): Promise<void> {
    const cycles = new Set<Promise<void>>();
    while (this.running) {
      let claimed = 0;
      if (cycles.size < CLAIMS_IN_FLIGHT) {
        try {
          this.shaping.reloadRules();
          const rows = await this.store.claim(this.instance, this.options.claimBatch, this.options.leaseMs);
          claimed = rows.length;
          if (claimed > 0) {
            const cycle: Promise<void> = this.deliver(rows)
              .catch((error: unknown) => this.logger.error({ err: error }, 'spool worker cycle failed'))
              .finally(() => {
                cycles.delete(cycle);
                this.wake?.();
              });
            cycles.add(cycle);
          }
        } catch (error) {
          this.logger.error({ err: error }, 'spool worker cycle failed');
        }
      }
      if (claimed > 0 && cycles.size < CLAIMS_IN_FLIGHT) continue;
      // Idle, or as busy as allowed: wait for a cycle to end, new messages, or the next poll.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, IDLE_MS);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    await Promise.all(cycles);
  }

  private async deliver(rows: readonly SpoolRow[]): Promise<void> {
    await this.announceDue(rows);
    const contents = await this.store.contents([...new Set(rows.map((row) => row.deliveryId))]);
    const byDomain = new Map<string, SpoolRow[]>();
    const now = new Date();
    for (const row of rows) {
      if (new Date(row.validUntil) <= now) {
        await this.record(row, [expiredInQueue({ ...row, attempt: row.attempts, now }, row.lastReply)], null);
        continue;
      }
      if (!contents.has(row.deliveryId)) {
        // The delivery's content arrives on another stream; wait for it instead of failing.
        await this.store.postpone([row.messageId], new Date(now.getTime() + CONTENT_WAIT_MS));
        continue;
      }
      // Appended in place: copying the group for every row was quadratic in a claim's size.
      const group = byDomain.get(row.domain);
      if (group) group.push(row);
      else byDomain.set(row.domain, [row]);
    }
    const jobs = [...byDomain].map(
      ([domain, group]) =>
        () =>
          this.deliverToDomain(domain, group, contents),
    );
    await runLimited(jobs, this.options.maxConnections);
  }

  private async deliverToDomain(
    domain: string,
    rows: readonly SpoolRow[],
    contents: ReadonlyMap<string, DeliveryContent>,
  ) {
    const route = await this.router.route(domain);
    if (!route.ok) {
      const qualification = qualifyConnectionFailure({ kind: route.kind, detail: route.detail });
      for (const row of rows) {
        await this.outcome(
          row,
          { kind: 'rejected', reply: route.detail, permanent: qualification.type === 'Hard', qualification },
          null,
        );
      }
      return;
    }
    const match = this.shaping.site(domain, route.viaMx ? (route.hosts[0]?.host ?? null) : null);
    const perConnection = Math.min(match.rule.messagesPerConnection, this.options.messagesPerConnection);
    const chunks: SpoolRow[][] = [];
    for (let i = 0; i < rows.length; i += perConnection) chunks.push(rows.slice(i, i + perConnection));
    await Promise.all(
      chunks.map((chunk) => {
        const ip = this.shaping.chooseSourceIp(match);
        if (!ip)
          return this.store.postpone(
            chunk.map((row) => row.messageId),
            new Date(this.shaping.nextOpportunity(match)),
          );
        return this.deliverChunk(
          { match, sourceIp: ip.address, helo: ip.helo },
          route.hosts,
          chunk,
          contents,
        );
      }),
    );
  }

  /** One SMTP session's worth of messages, within the path's connection, pacing and suspension limits. */
  private async deliverChunk(
    path: PathRef,
    hosts: readonly Endpoint[],
    rows: readonly SpoolRow[],
    contents: ReadonlyMap<string, DeliveryContent>,
  ) {
    const ids = rows.map((row) => row.messageId);
    const suspended = this.shaping.suspendedUntil(path.match, path.sourceIp);
    if (suspended) return this.store.postpone(ids, new Date(suspended));
    const release = await this.shaping.connection(path.match, path.sourceIp);
    try {
      const session = await this.open(path, hosts);
      if (session instanceof ConnectionFailure) {
        if (session.reply && throttleCause(session.reply)) {
          // Refused at the greeting with a slow-down: the whole chunk waits out the cool-off.
          await this.outcome(rows[0]!, this.connectionResult(session), path);
          const until = this.shaping.suspendedUntil(path.match, path.sourceIp);
          return this.store.postpone(ids.slice(1), new Date(until ?? Date.now() + 1000));
        }
        for (const row of rows) await this.outcome(row, this.connectionResult(session), path);
        return;
      }
      // Outcomes commit in batches while the session goes on to the next message; the chunk ends
      // only when all of them are committed.
      const commits: Promise<void>[] = [];
      const builds: Array<Promise<PreparedResult>> = [];
      // What each build gave once it is done, and each message's admission when it was decided
      // early, as the message before it went out (see `next` below).
      const built: Array<PreparedResult | undefined> = [];
      const admitted: Array<Admission | undefined> = [];
      const gate: PathGate = {
        suspendedUntil: () => this.shaping.suspendedUntil(path.match, path.sourceIp),
        underCap: () => this.shaping.underCap(path.match, path.sourceIp),
        slot: () => this.shaping.slot(path.match, path.sourceIp),
      };
      // An attempt counted as it was announced, then never sent, is taken back.
      const uncount = (admission: Admission | undefined) => {
        if (admission?.kind === 'send' && admission.counted)
          this.shaping.uncountAttempt(path.match, path.sourceIp);
      };
      const content = (row: SpoolRow) => contents.get(row.deliveryId)!;
      try {
        for (const [index, row] of rows.entries()) {
          const control = await this.control(row.deliveryId);
          const early = admitted[index];
          // Admitted early, it is looked at again: the reply before it may have suspended the path
          // (or another session's), and the delivery may have been paused or stopped since.
          const admission =
            early?.kind === 'send' ? readmit(control, gate, early) : (early ?? admit(control, gate));
          if (admission.kind !== 'send') {
            // Not sent after all: an announced message is dropped with the connection (see close).
            uncount(early);
            if (admission.kind === 'paused') return this.store.release(ids.slice(index));
            if (admission.kind === 'stopped') return this.cancelClaimed(rows.slice(index));
            return this.store.postpone(ids.slice(index), admission.until);
          }
          const wait = admission.notBefore - Date.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          if (!admission.counted) this.shaping.countAttempt(path.match, path.sourceIp);
          for (let ahead = index; ahead < Math.min(rows.length, index + BUILD_AHEAD); ahead++) {
            if (builds[ahead]) continue;
            const building = this.build(rows[ahead]!, content(rows[ahead]!));
            // Built ahead of its turn: a failed build is seen when its turn comes, or never if the
            // session ends first, and then it must not count as an unhandled rejection.
            building.then(
              (result) => (built[ahead] = result),
              () => undefined,
            );
            builds[ahead] = building;
          }
          // Asked once the server said 354: the following message goes out behind this one's data
          // when it is built and may be sent right away (the same checks as at the top of the loop).
          const next = (): NextMessage | null => {
            const following = rows[index + 1];
            const ready = built[index + 1];
            if (!following || !ready?.ok) return null;
            const control = this.controlNow(following.deliveryId);
            if (control === STALE) return null;
            const early = admit(control, gate);
            if (early.kind !== 'send' || early.notBefore > Date.now()) {
              admitted[index + 1] = early;
              return null;
            }
            // Counted now, as it goes out: parallel sessions must not all pass the warm-up cap.
            this.shaping.countAttempt(path.match, path.sourceIp);
            admitted[index + 1] = { ...early, counted: true };
            return {
              mailFrom: ready.message.mailFrom,
              recipient: following.address,
              message: ready.message.smtp,
            };
          };
          const ended = await this.deliverOne(session, path, row, builds[index]!, commits, next);
          if (ended || session.dead) {
            uncount(admitted[index + 1]);
            return this.store.release(ids.slice(index + 1));
          }
        }
      } finally {
        session.close();
        await Promise.all(commits).catch((error) =>
          // The messages went out; their rows stay leased and are retried after the lease (at least once).
          this.logger.error({ err: error }, 'recording delivery outcomes failed'),
        );
      }
    } finally {
      release();
    }
  }

  /** The delivery's control state as last read, or STALE when it is due to be read again. */
  private controlNow(deliveryId: string): string | undefined | typeof STALE {
    return this.controlsStale() ? STALE : this.controls.get(deliveryId);
  }

  private controlsStale(): boolean {
    return Date.now() - this.controlsReadAt > CONTROL_REFRESH_MS;
  }

  private async control(deliveryId: string): Promise<string | undefined> {
    if (this.controlsStale()) {
      const rows = await this.db.read((em) =>
        em.find<{ deliveryId: string; state: string }>('DeliveryControlEntry'),
      );
      this.controls = new Map(rows.map((row) => [row.deliveryId, row.state]));
      this.controlsReadAt = Date.now();
    }
    return this.controls.get(deliveryId);
  }

  /** Messages this worker held when their delivery was stopped: canceled instead of sent. */
  private async cancelClaimed(rows: readonly SpoolRow[]): Promise<void> {
    for (const row of rows) {
      const fact = messageCanceled(row.messageId, row.deliveryId, new Date());
      await this.record(row, [fact], null);
    }
  }

  private async open(path: PathRef, hosts: readonly Endpoint[]): Promise<SmtpSession | ConnectionFailure> {
    const { rule } = path.match;
    let failure = new ConnectionFailure('unknown', 'no host to connect to', null);
    for (const host of hosts) {
      try {
        return await SmtpSession.open(host, {
          heloName: path.helo ?? this.options.heloName,
          ...(path.sourceIp !== 'default' ? { localAddress: path.sourceIp } : {}),
          tls: tlsPolicyFor(rule, this.options.tls),
          ca: this.options.tlsCa,
          connectMs: Math.min(rule.timeouts.connectMs, this.options.timeouts.connectMs),
          greetingMs: Math.min(rule.timeouts.greetingMs, this.options.timeouts.greetingMs),
          socketMs: Math.min(rule.timeouts.commandMs, this.options.timeouts.socketMs),
        });
      } catch (error) {
        if (!(error instanceof ConnectionFailure)) throw error;
        failure = error;
        // A 5xx greeting is the host's answer for everyone: do not try the next MX for it.
        if (error.reply && isPermanent(error.reply)) break;
      }
    }
    return failure;
  }

  /** Messages of a later wave reach the MTA's hands when their wave starts: announce them now. */
  private async announceDue(rows: readonly SpoolRow[]): Promise<void> {
    const due = rows.filter((row) => !row.announced);
    if (due.length === 0) return;
    const at = new Date().toISOString();
    await this.db.transaction(async (em) => {
      await this.store.announce(
        em,
        due.map((row) => row.messageId),
      );
      await this.eventLog.appendIn(
        em,
        due.flatMap((row) =>
          this.envelopes.wrap(
            [
              {
                type: 'postwave.message.taken-into-account.v1',
                subject: row.messageId,
                data: { messageId: row.messageId, deliveryId: row.deliveryId, mta: this.instance, at },
              },
            ],
            {
              correlationId: row.correlationId,
              causationId: row.messageId,
              traceparent: row.traceparent ?? undefined,
            },
          ),
        ),
      );
    });
    for (const row of due) row.announced = 1;
  }

  private build(row: SpoolRow, content: DeliveryContent): Promise<PreparedResult> {
    return this.builder.build(content, {
      messageId: row.messageId,
      deliveryId: row.deliveryId,
      address: row.address,
      attributes: JSON.parse(row.attributes),
      subjectPrefix: row.subjectPrefix,
    });
  }

  /** Sends and records one message once it is built; true when the connection is gone. */
  private deliverOne(
    session: SmtpSession,
    path: PathRef,
    row: SpoolRow,
    building: Promise<PreparedResult>,
    commits: Promise<void>[],
    next: () => NextMessage | null,
  ): Promise<boolean> {
    return withSpan(
      'mta deliver',
      {
        parent: row.traceparent ?? undefined,
        kind: SpanKind.CLIENT,
        attributes: {
          'postwave.message_id': row.messageId,
          'postwave.site': path.match.site,
          'net.peer.name': session.endpoint.host,
        },
      },
      async () => {
        const built = await building;
        if (!built.ok) {
          const qualification = {
            type: 'Hard' as const,
            reason: 'PersonalizationError' as const,
            reasonCode: 203,
            rule: 'build-failed',
          };
          await this.outcome(
            row,
            { kind: 'rejected', reply: built.error, permanent: true, qualification },
            null,
          );
          return false;
        }
        try {
          const sent = await session.send(built.message.mailFrom, row.address, built.message.smtp, next);
          const result: AttemptResult =
            sent.kind === 'accepted'
              ? { kind: 'accepted', reply: sent.reply, mxHost: session.endpoint.host }
              : {
                  kind: 'rejected',
                  reply: sent.reply,
                  permanent: isPermanent(sent.reply),
                  qualification: qualifyReply(sent.reply),
                };
          commits.push(this.outcome(row, result, path));
          return false;
        } catch (error) {
          if (!(error instanceof ConnectionFailure)) throw error;
          commits.push(this.outcome(row, this.connectionResult(error), path));
          return true;
        }
      },
    );
  }

  private connectionResult(failure: ConnectionFailure): AttemptResult {
    if (failure.reply) {
      return {
        kind: 'rejected',
        reply: failure.reply,
        permanent: isPermanent(failure.reply),
        qualification: qualifyReply(failure.reply),
      };
    }
    return {
      kind: 'rejected',
      reply: failure.detail,
      permanent: false,
      qualification: qualifyConnectionFailure({ kind: failure.kind, detail: failure.detail }),
    };
  }

  private outcome(row: SpoolRow, result: AttemptResult, path: PathRef | null): Promise<void> {
    const attempt = row.attempts + 1;
    const now = new Date();
    const decision = decideAfterAttempt(result, {
      messageId: row.messageId,
      deliveryId: row.deliveryId,
      attempt,
      now,
      validUntil: new Date(row.validUntil),
      policy: this.options.retry,
    });
    const signal = pathSignal(result, now.getTime());
    const outcome: Outcome =
      decision.kind === 'sent' ? 'accepted' : decision.kind === 'retry' ? 'deferred' : 'bounced';
    return this.record(
      { ...row, attempts: attempt, lastReply: result.reply },
      decision.facts,
      decision.kind === 'retry' ? decision.at : null,
      path ? this.shaping.observed(path.match, path.sourceIp, signal, outcome) : undefined,
    );
  }

  /**
   * Records an attempt: the spool row, its events and the shaping history commit together. Records
   * are grouped into one transaction per few milliseconds (or per RECORD_BATCH), which is what lets
   * the durable spool keep up; the promise resolves once the record is committed.
   */
  private record(
    row: SpoolRow,
    facts: readonly Fact[],
    retryAt: Date | null,
    observation?: Observation,
  ): Promise<void> {
    if (this.logger.isLevelEnabled('debug'))
      this.logger.debug(
        {
          message_id: row.messageId,
          delivery_id: row.deliveryId,
          correlation_id: row.correlationId,
          attempt: row.attempts,
          outcome: facts.map((fact) => fact.type),
          reply: row.lastReply,
        },
        'delivery attempt recorded',
      );
    // Envelopes are made now, inside the attempt's span, so they carry its trace context.
    const envelopes = this.envelopes.wrap(facts, {
      correlationId: row.correlationId,
      causationId: row.messageId,
      traceparent: traceparentOf() ?? row.traceparent ?? undefined,
    });
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ row, envelopes, retryAt, observation, resolve, reject });
      if (this.pending.length >= RECORD_BATCH) void this.flush();
      else this.flushTimer ??= setTimeout(() => void this.flush(), RECORD_FLUSH_MS);
    });
  }

  private async flush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const records = this.pending.splice(0);
    if (records.length === 0) return;
    try {
      await this.db.transaction(async (em) => {
        await this.store.settleMany(em, records);
        await this.shaping.persist(
          em,
          records.flatMap((record) => (record.observation ? [record.observation] : [])),
        );
        await this.eventLog.appendIn(
          em,
          records.flatMap((record) => record.envelopes),
        );
      });
      for (const record of records) record.resolve();
    } catch (error) {
      for (const record of records) record.reject(error);
    }
  }
}

async function runLimited(jobs: ReadonlyArray<() => Promise<void>>, limit: number): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, jobs.length) }, async () => {
    while (next < jobs.length) await jobs[next++]!();
  });
  await Promise.all(lanes);
}
