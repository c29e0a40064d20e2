import type { FailureReason, FailureType, MessageStatus, PostwaveEvent } from '@postwave/contracts';
import { mayTransition, REASON_UPDATABLE } from './status-precedence';

/** One row of the delivery log (Campaign "broadlog"). */
export interface MessageLog {
  readonly messageId: string;
  readonly deliveryId: string;
  readonly address: string;
  readonly status: MessageStatus;
  readonly failureType: FailureType | null;
  readonly reason: FailureReason | null;
  readonly reasonCode: number | null;
  readonly lastReply: string | null;
  readonly attempts: number;
  readonly updatedAt: string;
}

type MessageEvent = Extract<PostwaveEvent, { type: `postwave.message.${string}` }>;

export const MESSAGE_LOG_EVENTS: readonly MessageEvent['type'][] = [
  'postwave.message.planned.v1',
  'postwave.message.excluded.v1',
  'postwave.message.taken-into-account.v1',
  'postwave.message.deferred.v1',
  'postwave.message.sent.v1',
  'postwave.message.failed.v1',
  'postwave.message.bounced.v1',
  'postwave.message.canceled.v1',
];

const fresh = (messageId: string, deliveryId: string, address: string, at: string): MessageLog => ({
  messageId,
  deliveryId,
  address,
  status: 'Pending',
  failureType: null,
  reason: null,
  reasonCode: null,
  lastReply: null,
  attempts: 0,
  updatedAt: at,
});

/**
 * Evolves one message's log row. Returns the row unchanged (same reference) when the event may not
 * change it: the caller then writes nothing. Unknown messages are created from whatever event
 * arrives first, so a projection fed out of order still converges.
 */
export function evolveMessageLog(current: MessageLog | null, event: MessageEvent, at: string): MessageLog {
  const base =
    current ??
    fresh(
      event.data.messageId,
      event.data.deliveryId,
      'address' in event.data ? (event.data.address ?? '') : '',
      at,
    );
  const to = (status: MessageStatus, patch: Partial<MessageLog> = {}, asyncHard = false): MessageLog =>
    current === null || mayTransition(base.status, status, asyncHard)
      ? { ...base, ...patch, status, updatedAt: at }
      : base;
  const reasonOnly = (patch: Partial<MessageLog>): MessageLog =>
    REASON_UPDATABLE.includes(base.status) ? { ...base, ...patch, updatedAt: at } : base;

  switch (event.type) {
    case 'postwave.message.planned.v1':
      // Feedback may have created the row first (out-of-order replay): fill in the address then.
      return base.address === '' ? { ...base, address: event.data.address } : base;
    case 'postwave.message.excluded.v1':
      return current === null
        ? {
            ...base,
            status: 'Ignored',
            failureType: event.data.failureType,
            reason: event.data.reason,
            reasonCode: event.data.reasonCode,
            lastReply: event.data.detail ?? null,
          }
        : base;
    case 'postwave.message.taken-into-account.v1':
      return to('TakenIntoAccount');
    case 'postwave.message.deferred.v1':
      return reasonOnly({
        failureType: event.data.failureType,
        reason: event.data.reason,
        reasonCode: event.data.reasonCode,
        lastReply: event.data.reply,
        attempts: Math.max(base.attempts, event.data.attempt),
      });
    case 'postwave.message.sent.v1':
      // A success clears the reason a soft bounce left behind.
      return to('Sent', {
        failureType: null,
        reason: null,
        reasonCode: null,
        lastReply: event.data.reply,
        attempts: Math.max(base.attempts, event.data.attempt),
      });
    case 'postwave.message.failed.v1':
      return to('Failed', {
        failureType: event.data.failureType,
        reason: event.data.reason,
        reasonCode: event.data.reasonCode,
        lastReply: event.data.reply,
        attempts: Math.max(base.attempts, event.data.attempt),
      });
    case 'postwave.message.canceled.v1':
      return to('Canceled');
    case 'postwave.message.bounced.v1': {
      const patch = {
        failureType: event.data.failureType,
        reason: event.data.reason,
        reasonCode: event.data.reasonCode,
        lastReply: event.data.diagnostic,
      };
      if (event.data.failureType === 'Hard') return to('Failed', patch, true);
      if (event.data.failureType === 'Soft') return reasonOnly(patch);
      return base;
    }
  }
}
