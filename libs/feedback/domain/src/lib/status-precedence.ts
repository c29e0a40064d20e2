import type { MessageStatus } from '@postwave/contracts';

/**
 * Which status may replace which (the delivery log's precedence table). A status not listed as
 * replaceable is never downgraded by late or duplicate feedback. The one exception to finality,
 * an asynchronous hard bounce turning Sent into Failed, is the `lateHardBounce` row.
 */
export const MAY_REPLACE: Readonly<Record<MessageStatus, readonly MessageStatus[]>> = {
  Pending: [],
  Ignored: [],
  TakenIntoAccount: ['Pending'],
  Sent: ['Pending', 'TakenIntoAccount'],
  Failed: ['Pending', 'TakenIntoAccount'],
  // A stop cancels what the MTA has not sent yet, whether still planned or already in its spool.
  Canceled: ['Pending', 'TakenIntoAccount'],
};

export const LATE_HARD_BOUNCE: { readonly from: MessageStatus; readonly to: MessageStatus } = {
  from: 'Sent',
  to: 'Failed',
};

/** Statuses whose failure reason feedback may still update (soft bounces touch only the reason). */
export const REASON_UPDATABLE: readonly MessageStatus[] = ['Pending', 'TakenIntoAccount'];

export const FINAL_STATUSES: readonly MessageStatus[] = ['Sent', 'Failed', 'Ignored', 'Canceled'];

export function mayTransition(from: MessageStatus, to: MessageStatus, asyncHardBounce = false): boolean {
  if (MAY_REPLACE[to].includes(from)) return true;
  return asyncHardBounce && from === LATE_HARD_BOUNCE.from && to === LATE_HARD_BOUNCE.to;
}
