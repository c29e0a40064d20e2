import { z } from 'zod';
import { ApprovalMode, DeliveryContent, Schedule, WaveSpec } from './delivery-commands';
import { FailureReason } from './failure';

/** When a finding was made, in the analysis' execution order (Campaign §2.3). */
export const AnalysisPhase = z.enum([
  'start-of-targeting',
  'filtering',
  'pressure',
  'capacity',
  'end-of-targeting',
  'personalization',
  'end-of-analysis',
]);
export type AnalysisPhase = z.infer<typeof AnalysisPhase>;

export const Finding = z.object({
  rule: z.string(),
  phase: AnalysisPhase.optional(),
  level: z.enum(['info', 'warning', 'error']),
  message: z.string(),
});
export type Finding = z.infer<typeof Finding>;

export const AnalysisReport = z.object({
  targeted: z.number().int(),
  toDeliver: z.number().int(),
  excluded: z.number().int(),
  exclusionsByReason: z.partialRecord(FailureReason, z.number().int()),
  findings: z.array(Finding),
  /** True when at least one finding is an error: confirmation is refused. */
  blocking: z.boolean(),
  typology: z.string().optional(),
  /** The wave plan: offsets from the start and sizes, in target order. */
  waves: z
    .array(z.object({ index: z.number().int(), offsetHours: z.number(), size: z.number().int() }))
    .optional(),
  /** Seconds the analysis took. */
  durationSeconds: z.number().optional(),
});
export type AnalysisReport = z.infer<typeof AnalysisReport>;

/** The target as the delivery defines it (inline recipients are not repeated in events). */
export const TargetSummary = z.object({
  audience: z.string().optional(),
  inlineRecipients: z.number().int().optional(),
  filter: z.string().optional(),
  limit: z.number().int().optional(),
  controlGroup: z.object({ size: z.union([z.number(), z.string()]) }).optional(),
});

export const DeliveryCreatedV1 = z.object({
  deliveryId: z.string(),
  label: z.string().optional(),
  content: DeliveryContent,
  validityHours: z.number().int(),
  approvalMode: ApprovalMode,
  createdAt: z.string(),
  target: TargetSummary.optional(),
  typology: z.string().optional(),
  schedule: Schedule.optional(),
  waves: WaveSpec.optional(),
});
/** An edit while the delivery is prepared: the settings as they now are; the last analysis is void. */
export const DeliveryUpdatedV1 = DeliveryCreatedV1.omit({ createdAt: true }).extend({
  updatedAt: z.string(),
});
export const DeliveryAnalysisStartedV1 = z.object({
  deliveryId: z.string(),
  at: z.string(),
  /** Each analysis is a run; its exclusions replace those of earlier runs. */
  run: z.number().int().optional(),
});
export const DeliveryScheduledV1 = z.object({
  deliveryId: z.string(),
  /** The contact date as an instant (UTC). */
  contactDate: z.string(),
  timeZone: z.string(),
  mode: z.enum(['start-at-date', 'analyze-at-date']),
  at: z.string(),
});
/** All messages are handed over and the contact date has come: the delivery is in progress. */
export const DeliveryStartedV1 = z.object({
  deliveryId: z.string(),
  at: z.string(),
  messageCount: z.number().int(),
});
export const DeliveryFinishedV1 = z.object({ deliveryId: z.string(), at: z.string() });
export const DeliveryFailedV1 = z.object({ deliveryId: z.string(), at: z.string(), reason: z.string() });
export const DeliveryProofSentV1 = z.object({
  deliveryId: z.string(),
  proofNumber: z.number().int(),
  recipients: z.number().int(),
  at: z.string(),
});
export const DeliveryAnalyzedV1 = z.object({
  deliveryId: z.string(),
  report: AnalysisReport,
  analyzedAt: z.string(),
  run: z.number().int().optional(),
});
export const DeliveryConfirmedV1 = z.object({
  deliveryId: z.string(),
  confirmedAt: z.string(),
  /** End of the validity period: no attempt is made after it. */
  validUntil: z.string(),
  messageCount: z.number().int(),
  /** When sending starts (the contact date, or the confirmation). */
  startAt: z.string().optional(),
});
export const DeliveryCommandRejectedV1 = z.object({
  deliveryId: z.string(),
  commandId: z.string(),
  commandType: z.string(),
  reason: z.string(),
  field: z.string().optional(),
  value: z.unknown().optional(),
});

/** Pause, resume and stop: the MTA holds, releases or cancels the delivery's queued messages. */
export const DeliveryControlledV1 = z.object({
  deliveryId: z.string(),
  at: z.string(),
  reason: z.string().optional(),
});
