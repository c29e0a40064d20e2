import { FAILURE_REASONS, type Fact, type FailureReason } from '@postwave/contracts';
import type { Attributes } from '@postwave/content';

/** One recipient's analysis outcome, as the planner stores it. */
export interface AnalysedRecipient {
  readonly messageId: string;
  readonly address: string;
  readonly domain: string;
  readonly attributes: Attributes;
  readonly reason: FailureReason | null;
  readonly rule?: string | null;
  readonly detail?: string | null;
}

export function excludedFact(deliveryId: string, run: number, recipient: AnalysedRecipient): Fact {
  const reason = recipient.reason ?? 'NotDefined';
  return {
    type: 'postwave.message.excluded.v1',
    subject: recipient.messageId,
    data: {
      messageId: recipient.messageId,
      deliveryId,
      address: recipient.address,
      failureType: FAILURE_REASONS[reason].usualType,
      reason,
      reasonCode: FAILURE_REASONS[reason].code,
      ...(recipient.detail ? { detail: recipient.detail } : {}),
      ...(recipient.rule ? { rule: recipient.rule } : {}),
      analysisRun: run,
    },
  };
}

export function plannedFact(
  deliveryId: string,
  recipient: AnalysedRecipient,
  plan: { readonly validUntil: string; readonly notBefore?: string; readonly wave?: number },
): Fact {
  return {
    type: 'postwave.message.planned.v1',
    subject: recipient.messageId,
    data: {
      messageId: recipient.messageId,
      deliveryId,
      address: recipient.address,
      domain: recipient.domain,
      attributes: recipient.attributes,
      validUntil: plan.validUntil,
      ...(plan.notBefore ? { notBefore: plan.notBefore } : {}),
      ...(plan.wave !== undefined ? { wave: plan.wave } : {}),
    },
  };
}

/** A target message never handed to the MTA because the delivery was stopped: "Delivery canceled". */
export function canceledFact(deliveryId: string, messageId: string, address: string, at: string): Fact {
  return {
    type: 'postwave.message.canceled.v1',
    subject: messageId,
    data: { messageId, deliveryId, address, at },
  };
}
