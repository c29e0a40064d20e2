import type { AnalysisReport, ApprovalMode, DeliveryContent } from '@postwave/contracts';

/** Delivery lifecycle states (Campaign §1.1) the planner knows so far. */
export type DeliveryStatus = 'PendingConfirmation' | 'InProgress' | 'Paused' | 'Stopped';

/** A recipient kept for sending once the delivery is confirmed. */
export interface TargetRecipient {
  readonly messageId: string;
  readonly address: string;
  readonly domain: string;
  readonly attributes: Readonly<Record<string, string | number | boolean | null>>;
}

export interface Delivery {
  readonly deliveryId: string;
  readonly status: DeliveryStatus;
  readonly label?: string;
  readonly content: DeliveryContent;
  readonly validityHours: number;
  readonly approvalMode: ApprovalMode;
  readonly report: AnalysisReport;
  readonly target: readonly TargetRecipient[];
  readonly createdAt: string;
  readonly confirmedAt?: string;
  readonly validUntil?: string;
  /** Trace context of the creating command: the whole delivery is one trace. */
  readonly traceparent?: string;
}

export type DeliveryState = Delivery | null;
