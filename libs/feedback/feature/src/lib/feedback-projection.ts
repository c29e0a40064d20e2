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
  evolveMessageLog,
  MESSAGE_LOG_EVENTS,
  type MessageLog,
  type StatusCounts,
} from '@postwave/feedback/domain';
import {
  DATABASE,
  EVENT_LOG,
  forgetGroup,
  type ConsumedEnvelope,
  type EventLog,
} from '@postwave/platform/eventing';
import { sqlFor, type Database } from '@postwave/platform/persistence';
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

type StoredLog = MessageLog & { proof: number | null; analysisRun: number | null };

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
        if ((MESSAGE_LOG_EVENTS as readonly string[]).includes(envelope.type)) {
          return this.applyToMessage(
            em,
            envelope as Parameters<typeof evolveMessageLog>[1] & ConsumedEnvelope,
          );
        }
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
      handle: (event, tx) => this.apply(tx.em, event.envelope),
    });
    return { replayed };
  }

  private async applyToMessage(
    em: EntityManager,
    envelope: Parameters<typeof evolveMessageLog>[1] & ConsumedEnvelope,
  ): Promise<void> {
    // The hottest path of the projection (several events per message): plain SQL, no ORM.
    const [current] = (await em.query(
      sqlFor(em, `SELECT ${LOG_COLUMNS} FROM fb_message_log WHERE message_id = ?`),
      [envelope.data.messageId],
    )) as StoredLog[];
    let analysisRun: number | null = current?.analysisRun ?? null;
    if (envelope.type === 'postwave.message.excluded.v1' && envelope.data.analysisRun !== undefined) {
      // An exclusion of a run a newer analysis has replaced is void.
      const [delivery] = (await em.query(
        sqlFor(em, 'SELECT analysis_run AS "analysisRun" FROM fb_delivery WHERE delivery_id = ?'),
        [envelope.data.deliveryId],
      )) as { analysisRun: number | null }[];
      if ((delivery?.analysisRun ?? 0) > envelope.data.analysisRun) return;
      analysisRun = envelope.data.analysisRun;
    }
    const proof =
      current?.proof ??
      (envelope.type === 'postwave.message.planned.v1' ? (envelope.data.proof ?? null) : null);
    const next = evolveMessageLog(current ?? null, envelope, envelope.time);
    if (next === current && (proof ?? null) === (current?.proof ?? null)) return;
    const values = [
      next.messageId,
      next.deliveryId,
      next.address,
      next.status,
      next.failureType,
      next.reason,
      next.reasonCode,
      next.lastReply,
      next.attempts,
      next.updatedAt,
      proof,
      analysisRun,
    ];
    await em.query(
      sqlFor(
        em,
        `INSERT INTO fb_message_log (message_id, delivery_id, address, status, failure_type, reason, reason_code, last_reply, attempts, updated_at, proof, analysis_run)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (message_id) DO UPDATE SET address = excluded.address, status = excluded.status,
           failure_type = excluded.failure_type, reason = excluded.reason, reason_code = excluded.reason_code,
           last_reply = excluded.last_reply, attempts = excluded.attempts, updated_at = excluded.updated_at,
           proof = excluded.proof, analysis_run = excluded.analysis_run`,
      ),
      values,
    );
    // Proofs are in the log but never in the delivery's counts.
    if (current?.status === next.status || proof !== null) return;
    const to = COUNT_SQL[next.status];
    const moves = current ? `${COUNT_SQL[current.status]} = ${COUNT_SQL[current.status]} - 1, ` : '';
    const move = sqlFor(
      em,
      `UPDATE fb_delivery SET ${moves}${to} = ${to} + 1 WHERE delivery_id = ? RETURNING delivery_id`,
    );
    if (this.rows(await em.query(move, [next.deliveryId])).length > 0) return;
    // Messages may be projected before their delivery's header events: start the row, then count.
    await em.query(
      sqlFor(
        em,
        `INSERT INTO fb_delivery (delivery_id, state, targeted, pending, taken_into_account, sent, failed, ignored, canceled)
         VALUES (?, 'Unknown', 0, 0, 0, 0, 0, 0, 0) ON CONFLICT (delivery_id) DO NOTHING`,
      ),
      [next.deliveryId],
    );
    await em.query(move, [next.deliveryId]);
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
