import type { FailureReason, FailureType, MessageStatus, PostwaveEvent } from '@postwave/contracts';
import { shiftCounts, ZERO_COUNTS, type StatusCounts } from './delivery-kpis';
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

/** A log row as the projection keeps it: with the proof it belongs to and the analysis run that excluded it. */
export interface StoredMessageLog extends MessageLog {
  readonly proof: number | null;
  readonly analysisRun: number | null;
}

/** A message event with the time it happened, as the log carries it. */
export type TimedMessageEvent = MessageEvent & { readonly time: string };

export interface ProjectedMessages {
  /** The rows the events changed, each in its last state. */
  readonly changed: readonly StoredMessageLog[];
  /** Per delivery, what each status count gains (negative: loses). */
  readonly moves: ReadonlyMap<string, StatusCounts>;
}

/**
 * Applies message events, in order, to their log rows (`rows` by message id; a message not there
 * starts from the event). An exclusion by an analysis run older than its delivery's latest
 * (`latestRuns`) is void; a proof's messages are in the log but never in the delivery's counts.
 */
export function projectMessageEvents(
  rows: ReadonlyMap<string, StoredMessageLog>,
  events: readonly TimedMessageEvent[],
  latestRuns: ReadonlyMap<string, number>,
): ProjectedMessages {
  const current = new Map(rows);
  const changed = new Set<string>();
  const moves = new Map<string, StatusCounts>();
  for (const event of events) {
    const before = current.get(event.data.messageId);
    let analysisRun = before?.analysisRun ?? null;
    if (event.type === 'postwave.message.excluded.v1' && event.data.analysisRun !== undefined) {
      if ((latestRuns.get(event.data.deliveryId) ?? 0) > event.data.analysisRun) continue;
      analysisRun = event.data.analysisRun;
    }
    const proof =
      before?.proof ?? (event.type === 'postwave.message.planned.v1' ? (event.data.proof ?? null) : null);
    const next = evolveMessageLog(before ?? null, event, event.time);
    if (next === before && proof === (before?.proof ?? null)) continue;
    current.set(next.messageId, { ...next, proof, analysisRun });
    changed.add(next.messageId);
    if (proof !== null) continue;
    const counts = moves.get(next.deliveryId) ?? ZERO_COUNTS;
    moves.set(next.deliveryId, shiftCounts(counts, before?.status ?? null, next.status));
  }
  return { changed: [...changed].map((id) => current.get(id)!), moves };
}
