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
  'postwave.delivery.analyzed.v1',
  'postwave.delivery.confirmed.v1',
  'postwave.delivery.paused.v1',
  'postwave.delivery.resumed.v1',
  'postwave.delivery.stopped.v1',
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
  reason, reason_code AS "reasonCode", last_reply AS "lastReply", attempts, updated_at AS "updatedAt"`;

const emptyDelivery = (deliveryId: string): DeliveryRow => ({
  deliveryId,
  label: null,
  subject: null,
  state: 'Unknown',
  createdAt: null,
  targeted: 0,
  messageCount: null,
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
          state: row.state === 'Unknown' ? 'Analysis' : row.state,
        }));
      case 'postwave.delivery.analyzed.v1':
        return this.updateDelivery(em, envelope.data.deliveryId, (row) => ({
          ...row,
          targeted: envelope.data.report.targeted,
          state: ['Unknown', 'Analysis'].includes(row.state) ? 'PendingConfirmation' : row.state,
        }));
      case 'postwave.delivery.confirmed.v1':
        return this.updateDelivery(em, envelope.data.deliveryId, (row) => ({
          ...row,
          state: 'InProgress',
          messageCount: envelope.data.messageCount,
        }));
      case 'postwave.delivery.paused.v1':
      case 'postwave.delivery.resumed.v1':
      case 'postwave.delivery.stopped.v1': {
        const state = {
          'postwave.delivery.paused.v1': 'Paused',
          'postwave.delivery.resumed.v1': 'InProgress',
          'postwave.delivery.stopped.v1': 'Stopped',
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
    )) as MessageLog[];
    const next = evolveMessageLog(current ?? null, envelope, envelope.time);
    if (next === current) return;
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
    ];
    await em.query(
      sqlFor(
        em,
        `INSERT INTO fb_message_log (message_id, delivery_id, address, status, failure_type, reason, reason_code, last_reply, attempts, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (message_id) DO UPDATE SET address = excluded.address, status = excluded.status,
           failure_type = excluded.failure_type, reason = excluded.reason, reason_code = excluded.reason_code,
           last_reply = excluded.last_reply, attempts = excluded.attempts, updated_at = excluded.updated_at`,
      ),
      values,
    );
    if (current?.status === next.status) return;
    await em.query(
      sqlFor(
        em,
        `INSERT INTO fb_delivery (delivery_id, state, targeted, pending, taken_into_account, sent, failed, ignored, canceled)
         VALUES (?, 'Unknown', 0, 0, 0, 0, 0, 0, 0) ON CONFLICT (delivery_id) DO NOTHING`,
      ),
      [next.deliveryId],
    );
    const to = COUNT_SQL[next.status];
    const moves = current ? `${COUNT_SQL[current.status]} = ${COUNT_SQL[current.status]} - 1, ` : '';
    await em.query(sqlFor(em, `UPDATE fb_delivery SET ${moves}${to} = ${to} + 1 WHERE delivery_id = ?`), [
      next.deliveryId,
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
    targeted: row.targeted,
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
