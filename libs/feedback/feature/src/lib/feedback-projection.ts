import { Inject, Injectable } from '@nestjs/common';
import {
  MESSAGE_STATUS_LABELS,
  TOPICS,
  type EventType,
  type MessageStatus,
  type Topic,
} from '@postwave/contracts';
import {
  deliveryKpis,
  MESSAGE_LOG_EVENTS,
  projectMessageEvents,
  type MessageLog,
  type StatusCounts,
  type StoredMessageLog,
  type TimedMessageEvent,
} from '@postwave/feedback/domain';
import {
  DATABASE,
  EVENT_LOG,
  forgetGroup,
  BatchBuffer,
  type ConsumedEnvelope,
  type EventLog,
  type EventTx,
} from '@postwave/platform/eventing';
import { inChunks, insertMany, sqlFor, type Database } from '@postwave/platform/persistence';
import type { EntityManager } from 'typeorm';
import type { DeliveryRow } from './feedback.entities';

export const FEEDBACK_GROUP = 'feedback-projector';
export const FEEDBACK_TOPICS: readonly Topic[] = [TOPICS.deliveryEvents, TOPICS.messageEvents];

/** Every event type the read model is built from: the delivery header events and the delivery log's. */
export const PROJECTED_EVENTS: readonly EventType[] = [
  'postwave.delivery.created.v1',
  'postwave.delivery.updated.v1',
  'postwave.delivery.analysis-started.v1',
  'postwave.delivery.analyzed.v1',
  'postwave.delivery.confirmed.v1',
  'postwave.delivery.started.v1',
  'postwave.delivery.proof-sent.v1',
  'postwave.delivery.paused.v1',
  'postwave.delivery.resumed.v1',
  'postwave.delivery.stopped.v1',
  'postwave.delivery.finished.v1',
  'postwave.delivery.failed.v1',
  ...MESSAGE_LOG_EVENTS,
];

/** Count columns of fb_delivery by status, for relative updates. */
const COUNT_SQL: Record<MessageStatus, string> = {
  Pending: 'pending',
  TakenIntoAccount: 'taken_into_account',
  Sent: 'sent',
  Failed: 'failed',
  Ignored: 'ignored',
  Canceled: 'canceled',
};

const LOG_COLUMNS = `message_id AS "messageId", delivery_id AS "deliveryId", address, status, failure_type AS "failureType",
  reason, reason_code AS "reasonCode", last_reply AS "lastReply", attempts, updated_at AS "updatedAt", proof,
  analysis_run AS "analysisRun"`;

const LOG_WRITE_COLUMNS = [
  'message_id',
  'delivery_id',
  'address',
  'status',
  'failure_type',
  'reason',
  'reason_code',
  'last_reply',
  'attempts',
  'updated_at',
  'proof',
  'analysis_run',
];

type MessageLogEnvelope = TimedMessageEvent & ConsumedEnvelope;

const isMessageLogEvent = (envelope: ConsumedEnvelope): envelope is MessageLogEnvelope =>
  (MESSAGE_LOG_EVENTS as readonly string[]).includes(envelope.type);

const emptyDelivery = (deliveryId: string): DeliveryRow => ({
  deliveryId,
  label: null,
  subject: null,
  state: 'Unknown',
  createdAt: null,
  targeted: 0,
  messageCount: null,
  analysisRun: 0,
  report: null,
  startAt: null,
  validUntil: null,
  proofs: 0,
  pending: 0,
  takenIntoAccount: 0,
  sent: 0,
  failed: 0,
  ignored: 0,
  canceled: 0,
});

const countsOf = (row: DeliveryRow): StatusCounts => ({
  Pending: row.pending,
  TakenIntoAccount: row.takenIntoAccount,
  Sent: row.sent,
  Failed: row.failed,
  Ignored: row.ignored,
  Canceled: row.canceled,
});

/**
 * Applies events to the read model. Row timestamps come from the events, so a rebuild produces
 * exactly the rows the live projection has.
 */
@Injectable()
export class FeedbackProjection {
  /** Message events of a consumer batch, written together when it ends. */
  private readonly messages = new BatchBuffer<MessageLogEnvelope>((tx, envelopes) =>
    this.applyToMessages(tx.em, envelopes),
  );

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(EVENT_LOG) private readonly eventLog: EventLog,
  ) {}

  async apply(em: EntityManager, envelope: ConsumedEnvelope): Promise<void> {
    switch (envelope.type) {
      case 'postwave.delivery.created.v1':
        return this.updateDelivery(em, envelope.data.deliveryId, (row) => ({
          ...row,
          label: envelope.data.label ?? null,
          subject: envelope.data.content.subject,
          createdAt: envelope.data.createdAt,
          state: row.state === 'Unknown' ? 'BeingEdited' : row.state,
        }));
      case 'postwave.delivery.updated.v1':
        return this.updateDelivery(em, envelope.data.deliveryId, (row) => ({
          ...row,
          label: envelope.data.label ?? null,
          subject: envelope.data.content.subject,
          state: 'BeingEdited',
          report: null,
        }));
      case 'postwave.delivery.analysis-started.v1':
        return this.analysisStarted(em, envelope.data.deliveryId, envelope.data.run ?? 1);
      case 'postwave.delivery.analyzed.v1':
        return this.updateDelivery(em, envelope.data.deliveryId, (row) => ({
          ...row,
          targeted: envelope.data.report.targeted,
          report: JSON.stringify(envelope.data.report),
          state: ['Unknown', 'Analysis', 'BeingEdited'].includes(row.state)
            ? 'PendingConfirmation'
            : row.state,
        }));
      case 'postwave.delivery.confirmed.v1': {
        const { startAt, confirmedAt, validUntil, messageCount } = envelope.data;
        return this.updateDelivery(em, envelope.data.deliveryId, (row) => ({
          ...row,
          // Streams from before the start pending phase existed: confirmation meant in progress.
          state:
            startAt === undefined
              ? 'InProgress'
              : Date.parse(startAt) > Date.parse(confirmedAt) + 1000
                ? 'Pending'
                : 'StartPending',
          messageCount,
          startAt: startAt ?? confirmedAt,
          validUntil,
        }));
      }
      case 'postwave.delivery.proof-sent.v1':
        return this.updateDelivery(em, envelope.data.deliveryId, (row) => ({
          ...row,
          proofs: Math.max(row.proofs, envelope.data.proofNumber),
        }));
      case 'postwave.delivery.started.v1':
      case 'postwave.delivery.paused.v1':
      case 'postwave.delivery.resumed.v1':
      case 'postwave.delivery.stopped.v1':
      case 'postwave.delivery.finished.v1':
      case 'postwave.delivery.failed.v1': {
        const state = {
          'postwave.delivery.started.v1': 'InProgress',
          'postwave.delivery.paused.v1': 'Paused',
          'postwave.delivery.resumed.v1': 'InProgress',
          'postwave.delivery.stopped.v1': 'Stopped',
          'postwave.delivery.finished.v1': 'Finished',
          'postwave.delivery.failed.v1': 'Failed',
        }[envelope.type];
        return this.updateDelivery(em, envelope.data.deliveryId, (row) => ({ ...row, state }));
      }
      default:
        if (isMessageLogEvent(envelope)) return this.applyToMessages(em, [envelope]);
    }
  }

  /** Drops the read model and replays the event stream from the first event. */
  async rebuild(): Promise<{ replayed: number }> {
    await this.db.transaction(async (em) => {
      await em.clear('FeedbackMessageLog');
      await em.clear('FeedbackDelivery');
      await forgetGroup(em, FEEDBACK_GROUP);
    });
    const replayed = await this.eventLog.replay({
      group: FEEDBACK_GROUP,
      topics: FEEDBACK_TOPICS,
      types: PROJECTED_EVENTS,
      handle: (event, tx) => this.applyIn(tx, event.envelope),
    });
    return { replayed };
  }

  /**
   * Applies an event inside a consumer batch: message events are buffered and written together
   * when the batch ends (or before the next delivery event, which must see them), which turns
   * three statements per event into a handful per batch.
   */
  async applyIn(tx: EventTx, envelope: ConsumedEnvelope): Promise<void> {
    if (isMessageLogEvent(envelope)) return this.messages.add(tx, envelope);
    await this.messages.flush(tx);
    await this.apply(tx.em, envelope);
  }

  /**
   * Message events, in order: the log rows they touch are read in one query, evolved in memory,
   * written back with one multi-row upsert, and each delivery's counts moved by one UPDATE.
   */
  private async applyToMessages(em: EntityManager, envelopes: readonly MessageLogEnvelope[]): Promise<void> {
    const ids = [...new Set(envelopes.map((envelope) => envelope.data.messageId))];
    const rows = new Map<string, StoredMessageLog>();
    await inChunks(ids, async (chunk, marks) => {
      const found = (await em.query(
        sqlFor(em, `SELECT ${LOG_COLUMNS} FROM fb_message_log WHERE message_id IN (${marks})`),
        chunk,
      )) as StoredMessageLog[];
      for (const row of found) rows.set(row.messageId, row);
    });
    // The latest analysis run of each delivery an exclusion names: older runs' exclusions are void.
    const runs = new Map<string, number>();
    const excludedIn = [
      ...new Set(
        envelopes.flatMap((e) =>
          e.type === 'postwave.message.excluded.v1' && e.data.analysisRun !== undefined
            ? [e.data.deliveryId]
            : [],
        ),
      ),
    ];
    await inChunks(excludedIn, async (chunk, marks) => {
      const found = (await em.query(
        sqlFor(
          em,
          `SELECT delivery_id AS "deliveryId", analysis_run AS "analysisRun" FROM fb_delivery WHERE delivery_id IN (${marks})`,
        ),
        chunk,
      )) as { deliveryId: string; analysisRun: number | null }[];
      for (const row of found) runs.set(row.deliveryId, Number(row.analysisRun ?? 0));
    });
    const { changed, moves } = projectMessageEvents(rows, envelopes, runs);

    await insertMany(
      em,
      'fb_message_log',
      LOG_WRITE_COLUMNS,
      changed.map((row) => [
        row.messageId,
        row.deliveryId,
        row.address,
        row.status,
        row.failureType,
        row.reason,
        row.reasonCode,
        row.lastReply,
        row.attempts,
        row.updatedAt,
        row.proof,
        row.analysisRun,
      ]),
      `ON CONFLICT (message_id) DO UPDATE SET address = excluded.address, status = excluded.status,
         failure_type = excluded.failure_type, reason = excluded.reason, reason_code = excluded.reason_code,
         last_reply = excluded.last_reply, attempts = excluded.attempts, updated_at = excluded.updated_at,
         proof = excluded.proof, analysis_run = excluded.analysis_run`,
    );
    for (const [deliveryId, counts] of moves) {
      const sets = (Object.entries(counts) as [MessageStatus, number][])
        .filter(([, by]) => by !== 0)
        .map(([status, by]) => `${COUNT_SQL[status]} = ${COUNT_SQL[status]} + ${by}`);
      if (sets.length === 0) continue;
      const update = sqlFor(
        em,
        `UPDATE fb_delivery SET ${sets.join(', ')} WHERE delivery_id = ? RETURNING delivery_id`,
      );
      if (this.rows(await em.query(update, [deliveryId])).length > 0) continue;
      // Messages may be projected before their delivery's header events: start the row, then count.
      await em.query(
        sqlFor(
          em,
          `INSERT INTO fb_delivery (delivery_id, state, targeted, pending, taken_into_account, sent, failed, ignored, canceled)
           VALUES (?, 'Unknown', 0, 0, 0, 0, 0, 0, 0) ON CONFLICT (delivery_id) DO NOTHING`,
        ),
        [deliveryId],
      );
      await em.query(update, [deliveryId]);
    }
  }

  /** The rows of an UPDATE … RETURNING: TypeORM answers [rows, affected] on PostgreSQL. */
  private rows(result: unknown): unknown[] {
    return this.db.kind === 'postgres' ? ((result as [unknown[], number])[0] ?? []) : (result as unknown[]);
  }

  /** A new analysis run: the exclusions of earlier runs leave the log and the counts. */
  private async analysisStarted(em: EntityManager, deliveryId: string, run: number) {
    await this.updateDelivery(em, deliveryId, (row) => ({
      ...row,
      state: 'Analysis',
      analysisRun: Math.max(row.analysisRun, run),
      report: null,
    }));
    const voided = (await em.query(
      sqlFor(
        em,
        `SELECT status, COUNT(*) AS n FROM fb_message_log
         WHERE delivery_id = ? AND proof IS NULL AND analysis_run IS NOT NULL AND analysis_run < ? GROUP BY status`,
      ),
      [deliveryId, run],
    )) as { status: MessageStatus; n: number | string }[];
    if (voided.length === 0) return;
    await em.query(
      sqlFor(
        em,
        'DELETE FROM fb_message_log WHERE delivery_id = ? AND proof IS NULL AND analysis_run IS NOT NULL AND analysis_run < ?',
      ),
      [deliveryId, run],
    );
    const moves = voided.map(({ status, n }) => `${COUNT_SQL[status]} = ${COUNT_SQL[status]} - ${Number(n)}`);
    await em.query(sqlFor(em, `UPDATE fb_delivery SET ${moves.join(', ')} WHERE delivery_id = ?`), [
      deliveryId,
    ]);
  }

  private async updateDelivery(
    em: EntityManager,
    deliveryId: string,
    change: (row: DeliveryRow) => DeliveryRow,
  ) {
    const row =
      (await em.findOne<DeliveryRow>('FeedbackDelivery', { where: { deliveryId } })) ??
      emptyDelivery(deliveryId);
    await em.save('FeedbackDelivery', change(row));
  }
}

export function deliverySummary(row: DeliveryRow) {
  const kpis = deliveryKpis(countsOf(row));
  // Planned messages travel on another stream than the confirmation: Finished waits until all of
  // them are projected and none is waiting or in the MTA's hands.
  const allProjected = row.messageCount !== null && kpis.toDeliver >= row.messageCount;
  const finished = row.state === 'InProgress' && allProjected && kpis.pending + kpis.takenIntoAccount === 0;
  return {
    deliveryId: row.deliveryId,
    label: row.label,
    subject: row.subject,
    state: finished ? 'Finished' : row.state,
    createdAt: row.createdAt,
    startAt: row.startAt,
    validUntil: row.validUntil,
    targeted: row.targeted,
    proofs: row.proofs,
    kpis,
  };
}

export function messageView(log: MessageLog) {
  return { ...log, statusLabel: MESSAGE_STATUS_LABELS[log.status] };
}

/** The rebuild entrypoint's work, on an opened platform. */
export function rebuildReadModel(platform: { db: Database; eventLog: EventLog }) {
  return new FeedbackProjection(platform.db, platform.eventLog).rebuild();
}
