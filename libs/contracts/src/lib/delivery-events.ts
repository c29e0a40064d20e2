import { z } from 'zod';
import { ApprovalMode, DeliveryContent } from './delivery-commands';
import { FailureReason } from './failure';

export const Finding = z.object({
  rule: z.string(),
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
});
export type AnalysisReport = z.infer<typeof AnalysisReport>;

export const DeliveryCreatedV1 = z.object({
  deliveryId: z.string(),
  label: z.string().optional(),
  content: DeliveryContent,
  validityHours: z.number().int(),
  approvalMode: ApprovalMode,
  createdAt: z.string(),
});
export const DeliveryAnalyzedV1 = z.object({
  deliveryId: z.string(),
  report: AnalysisReport,
  analyzedAt: z.string(),
});
export const DeliveryConfirmedV1 = z.object({
  deliveryId: z.string(),
  confirmedAt: z.string(),
  /** End of the validity period: no attempt is made after it. */
  validUntil: z.string(),
  messageCount: z.number().int(),
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
