import type { AnalysisReport, ApprovalMode, DeliveryContent, Schedule, WaveSpec } from '@postwave/contracts';

/** Delivery lifecycle states (Campaign §1.1). */
export type DeliveryStatus =
  | 'BeingEdited'
  | 'TargetingPending'
  | 'Analysis'
  | 'PendingConfirmation'
  | 'Pending'
  | 'StartPending'
  | 'InProgress'
  | 'Paused'
  | 'Stopped'
  | 'Finished'
  | 'Failed';

/** The target as stored with the delivery; inline recipients live in their own table. */
export interface TargetDefinition {
  readonly audience?: string;
  readonly inlineRecipients?: number;
  readonly filter?: string;
  readonly limit?: number;
  readonly controlGroup?: { readonly size: number | `${number}%` };
}

/** What the operator edits; any change voids the analysis. */
export interface DeliverySettingsState {
  readonly label?: string;
  readonly content: DeliveryContent;
  readonly target: TargetDefinition;
  readonly typology: string;
  readonly validityHours: number;
  readonly approvalMode: ApprovalMode;
  readonly schedule?: Schedule;
  readonly waves?: WaveSpec;
}

export interface Delivery {
  readonly deliveryId: string;
  readonly status: DeliveryStatus;
  readonly settings: DeliverySettingsState;
  /** The contact date as an instant, once scheduled. */
  readonly contactAt?: string;
  /** Increments with every analysis, so a late result of an older run is recognised and dropped. */
  readonly analysisRun: number;
  readonly report?: AnalysisReport;
  readonly createdAt: string;
  readonly confirmedAt?: string;
  /** When sending starts: the contact date or the confirmation. */
  readonly startAt?: string;
  readonly validUntil?: string;
  readonly messageCount?: number;
  readonly proofs: number;
  /** Where a paused delivery goes back to. */
  readonly resumeTo?: 'InProgress' | 'Pending';
  readonly failureReason?: string;
  /** Trace context of the creating command: the whole delivery is one trace. */
  readonly traceparent?: string;
}

export type DeliveryState = Delivery | null;

/** States in which nothing will happen any more. */
export const TERMINAL: readonly DeliveryStatus[] = ['Stopped', 'Finished'];
/** States in which the settings may change (which voids the analysis). */
export const EDITABLE: readonly DeliveryStatus[] = [
  'BeingEdited',
  'TargetingPending',
  'PendingConfirmation',
  'Failed',
];

/** When the scheduler must look at a delivery next, from its state. */
export function nextDueAt(delivery: Delivery): string | null {
  switch (delivery.status) {
    case 'TargetingPending':
      return delivery.contactAt ?? null;
    case 'Pending':
      return delivery.startAt ?? null;
    case 'InProgress':
    case 'Paused':
      return delivery.validUntil ?? null;
    default:
      return null;
  }
}
