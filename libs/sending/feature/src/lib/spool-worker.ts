import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { isPermanent, qualifyConnectionFailure, qualifyReply } from '@postwave/bounce-rules';
import type { DeliveryContent } from '@postwave/contracts';
import {
  DATABASE,
  EVENT_LOG,
  EnvelopeFactory,
  INSTANCE,
  LOGGER,
  type EventLog,
} from '@postwave/platform/eventing';
import { SpanKind, traceparentOf, withSpan, type Logger } from '@postwave/platform/observability';
import type { Database } from '@postwave/platform/persistence';
import {
  decideAfterAttempt,
  expiredInQueue,
  type AttemptResult,
  type Endpoint,
} from '@postwave/sending/domain';
import { DkimKeyring } from './dkim-keyring';
import { MessageBuilder } from './message-builder';
import { MTA_OPTIONS, type MtaOptions } from './mta-options';
import { MxRouter } from './mx-router';
import type { SpoolRow } from './sending.entities';
import { ConnectionFailure, SmtpSession } from './smtp-session';
import { SpoolStore } from './spool-store';

const CLAIM_BATCH = 200;
const IDLE_MS = 100;
const CONTENT_WAIT_MS = 1000;

/**
 * Drains the spool: claims due messages with a lease, groups them by destination domain, sends each
 * group over reused SMTP connections (at most `maxConnections` at once) and records every outcome
 * with its events in one transaction.
 */
@Injectable()
export class SpoolWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  private wake: (() => void) | null = null;
  private readonly router: MxRouter;
  private readonly builder: MessageBuilder;
  private readonly envelopes = new EnvelopeFactory('/postwave/sending-mta');
  private readonly store: SpoolStore;

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(EVENT_LOG) private readonly eventLog: EventLog,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(INSTANCE) private readonly instance: string,
    @Inject(MTA_OPTIONS) private readonly options: MtaOptions,
  ) {
    this.router = new MxRouter(options.routes, options.dnsServers);
    this.builder = new MessageBuilder(
      {
        instance: options.instance,
        verpDomain: options.verp.domain,
        verpSecret: options.verp.secret,
        unsubscribeUrl: options.unsubscribeUrl,
      },
      new DkimKeyring(options.dkim.keysDir, options.dkim.selector, options.dkim.generateMissing, logger),
    );
    this.store = new SpoolStore(db);
  }

  onApplicationBootstrap(): void {
    this.running = true;
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Called when new messages were spooled, to skip the idle wait. */
  poke(): void {
    this.wake?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const claimed = await this.store.claim(this.instance, CLAIM_BATCH, this.options.leaseMs);
        if (claimed.length > 0) {
          await this.deliver(claimed);
          continue;
        }
      } catch (error) {
        this.logger.error({ err: error }, 'spool worker cycle failed');
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, IDLE_MS);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  private async deliver(rows: readonly SpoolRow[]): Promise<void> {
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
        await this.store.postpone(row.messageId, new Date(now.getTime() + CONTENT_WAIT_MS));
        continue;
      }
      byDomain.set(row.domain, [...(byDomain.get(row.domain) ?? []), row]);
    }
    const jobs: Array<() => Promise<void>> = [];
    for (const [domain, group] of byDomain) {
      for (let i = 0; i < group.length; i += this.options.messagesPerConnection) {
        const chunk = group.slice(i, i + this.options.messagesPerConnection);
        jobs.push(() => this.deliverToDomain(domain, chunk, contents));
      }
    }
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
      for (const row of rows)
        await this.outcome(row, {
          kind: 'rejected',
          reply: route.detail,
          permanent: qualification.type === 'Hard',
          qualification,
        });
      return;
    }
    let session: SmtpSession | null = null;
    let lastFailure: ConnectionFailure | null = null;
    for (const host of route.hosts) {
      try {
        session = await SmtpSession.open(host, {
          heloName: this.options.heloName,
          tls: this.options.tls,
          ...this.timeouts(),
        });
        break;
      } catch (error) {
        if (!(error instanceof ConnectionFailure)) throw error;
        lastFailure = error;
        // A 5xx greeting is the host's answer for everyone: do not try the next MX for it.
        if (error.reply && isPermanent(error.reply)) break;
      }
    }
    if (!session) {
      for (const row of rows) await this.outcome(row, this.connectionResult(lastFailure));
      return;
    }
    try {
      for (const row of rows) {
        await withSpan(
          'mta deliver',
          {
            parent: row.traceparent ?? undefined,
            kind: SpanKind.CLIENT,
            attributes: { 'postwave.message_id': row.messageId, 'net.peer.name': session.endpoint.host },
          },
          async () => {
            const built = await this.builder.build(contents.get(row.deliveryId)!, {
              messageId: row.messageId,
              deliveryId: row.deliveryId,
              address: row.address,
              attributes: JSON.parse(row.attributes),
            });
            if (!built.ok) {
              const qualification = {
                type: 'Hard' as const,
                reason: 'PersonalizationError' as const,
                reasonCode: 203,
                rule: 'build-failed',
              };
              return this.outcome(row, {
                kind: 'rejected',
                reply: built.error,
                permanent: true,
                qualification,
              });
            }
            try {
              const sent = await session!.send(built.message.mailFrom, row.address, built.message.raw);
              return this.outcome(
                row,
                sent.kind === 'accepted'
                  ? { kind: 'accepted', reply: sent.reply, mxHost: session!.endpoint.host }
                  : {
                      kind: 'rejected',
                      reply: sent.reply,
                      permanent: isPermanent(sent.reply),
                      qualification: qualifyReply(sent.reply),
                    },
              );
            } catch (error) {
              if (!(error instanceof ConnectionFailure)) throw error;
              lastFailure = error;
              return this.outcome(row, this.connectionResult(error));
            }
          },
        );
        if (lastFailure || session.dead) break;
      }
    } finally {
      session.close();
    }
    if (lastFailure || session.dead) {
      // The connection died mid-way: whatever was not attempted goes back to the queue untouched.
      await this.store.release(rows.map((row) => row.messageId));
    }
  }

  private connectionResult(failure: ConnectionFailure | null): AttemptResult {
    if (failure?.reply) {
      return {
        kind: 'rejected',
        reply: failure.reply,
        permanent: isPermanent(failure.reply),
        qualification: qualifyReply(failure.reply),
      };
    }
    const kind = failure?.kind ?? 'unknown';
    const detail = failure?.detail ?? 'no host could be reached';
    return {
      kind: 'rejected',
      reply: detail,
      permanent: false,
      qualification: qualifyConnectionFailure({ kind, detail }),
    };
  }

  private async outcome(row: SpoolRow, result: AttemptResult): Promise<void> {
    const attempt = row.attempts + 1;
    const decision = decideAfterAttempt(result, {
      messageId: row.messageId,
      deliveryId: row.deliveryId,
      attempt,
      now: new Date(),
      validUntil: new Date(row.validUntil),
      policy: this.options.retry,
    });
    await this.record(
      { ...row, attempts: attempt, lastReply: result.reply },
      decision.facts,
      decision.kind === 'retry' ? decision.at : null,
    );
  }

  private record(
    row: SpoolRow,
    facts: Parameters<EnvelopeFactory['wrap']>[0],
    retryAt: Date | null,
  ): Promise<void> {
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
    return this.db.transaction(async (em) => {
      await this.store.settle(em, row, retryAt);
      const causation = {
        correlationId: row.correlationId,
        causationId: row.messageId,
        traceparent: traceparentOf() ?? row.traceparent ?? undefined,
      };
      await this.eventLog.appendIn(em, this.envelopes.wrap(facts, causation));
    });
  }

  private timeouts() {
    const { connectMs, greetingMs, socketMs } = this.options.timeouts;
    return { connectMs, greetingMs, socketMs };
  }
}

async function runLimited(jobs: ReadonlyArray<() => Promise<void>>, limit: number): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, jobs.length) }, async () => {
    while (next < jobs.length) await jobs[next++]!();
  });
  await Promise.all(lanes);
}

export type { Endpoint };
