import type { MessageStatus } from '@postwave/contracts';

export type StatusCounts = Readonly<Record<MessageStatus, number>>;

export const ZERO_COUNTS: StatusCounts = {
  Pending: 0,
  TakenIntoAccount: 0,
  Sent: 0,
  Failed: 0,
  Ignored: 0,
  Canceled: 0,
};

/** Moves one message from one status count to another (from = null for a new message). */
export function shiftCounts(
  counts: StatusCounts,
  from: MessageStatus | null,
  to: MessageStatus,
): StatusCounts {
  if (from === to) return counts;
  const next = { ...counts, [to]: counts[to] + 1 };
  if (from !== null) next[from] = counts[from] - 1;
  return next;
}

export interface DeliveryKpis {
  /** Messages left after analysis (Campaign `@toDeliver`). */
  readonly toDeliver: number;
  /** Sent + Failed: messages whose outcome is known. */
  readonly processed: number;
  /** Messages the MTA reported delivered; relaying alone does not count (EFS). */
  readonly success: number;
  readonly successRate: number;
  readonly errors: number;
  readonly errorRate: number;
  readonly ignored: number;
  readonly pending: number;
  readonly takenIntoAccount: number;
  readonly canceled: number;
}

const rate = (part: number, whole: number) => (whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 100);

/** Indicators as Campaign defines them (§7.2), computed from the status counts. */
export function deliveryKpis(counts: StatusCounts): DeliveryKpis {
  const toDeliver = counts.Pending + counts.TakenIntoAccount + counts.Sent + counts.Failed + counts.Canceled;
  return {
    toDeliver,
    processed: counts.Sent + counts.Failed,
    success: counts.Sent,
    successRate: rate(counts.Sent, toDeliver),
    errors: counts.Failed,
    errorRate: rate(counts.Failed, toDeliver),
    ignored: counts.Ignored,
    pending: counts.Pending,
    takenIntoAccount: counts.TakenIntoAccount,
    canceled: counts.Canceled,
  };
}
