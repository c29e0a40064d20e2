import type { Fact, FailureReason, FailureType } from '@postwave/contracts';

export interface FailureSeen {
  readonly address: string;
  readonly messageId: string;
  readonly deliveryId: string;
  readonly failureType: FailureType;
  readonly reason: FailureReason;
  readonly at: string;
}

/**
 * How the quarantine is fed (Campaign §5.3): a hard failure quarantines the address at once; a
 * complaint denylists it. Soft failures are retried by the MTA and only count here once they end
 * the message (expired), after which the error counter rule of a later issue applies.
 */
export function quarantineFor(failure: FailureSeen): Fact | null {
  if (failure.failureType !== 'Hard') return null;
  if (['PersonalizationError', 'Expired', 'NotDefined'].includes(failure.reason)) return null;
  return {
    type: 'postwave.address.quarantined.v1',
    subject: failure.address,
    data: {
      address: failure.address,
      failureType: failure.failureType,
      reason: failure.reason,
      messageId: failure.messageId,
      deliveryId: failure.deliveryId,
      at: failure.at,
    },
  };
}
