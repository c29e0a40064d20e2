import type { Fact, FailureReason } from '@postwave/contracts';

/**
 * The soft-error counter behind the quarantine (Campaign §5.3): each significant soft error of an
 * address increments its counter, at most once per period (a day by default), and the address is
 * quarantined when the counter reaches the threshold (5; 3 for reasons that point at the mailbox:
 * full, disabled, invalid domain). A delivered message, or ten quiet days, make it valid again.
 * Refused is not counted: it reflects the sender's IP or domain reputation, not the address.
 */
export interface SoftErrorSettings {
  readonly maxErrors: number;
  /** Errors closer together than this count once. */
  readonly periodMs: number;
  /** A counter whose last error is older than this starts again. */
  readonly resetAfterMs: number;
}

export const DEFAULT_SOFT_ERROR_SETTINGS: SoftErrorSettings = {
  maxErrors: 5,
  periodMs: 24 * 3_600_000,
  resetAfterMs: 10 * 24 * 3_600_000,
};

/** Reasons that say the mailbox itself is the problem: quarantined within the third error (V7-MX). */
const MAILBOX_REASONS: readonly FailureReason[] = ['MailboxFull', 'AccountDisabled', 'InvalidDomain'];
const NOT_COUNTED: readonly FailureReason[] = [
  'Refused',
  'NotDefined',
  'PersonalizationError',
  'Expired',
  'ErrorIgnored',
];

export interface AddressErrors {
  readonly address: string;
  readonly count: number;
  /** When the counter last moved (ISO). */
  readonly lastErrorAt: string;
  readonly lastReason: FailureReason;
  readonly quarantined: boolean;
}

export interface SoftError {
  readonly address: string;
  readonly reason: FailureReason;
  readonly messageId: string;
  readonly deliveryId: string;
  readonly at: string;
}

export type SoftErrorStep = {
  /** The counter after this error; null when it should be forgotten. */
  readonly state: AddressErrors | null;
  readonly quarantine: Fact | null;
};

export function countSoftError(
  current: AddressErrors | null,
  error: SoftError,
  settings: SoftErrorSettings = DEFAULT_SOFT_ERROR_SETTINGS,
): SoftErrorStep {
  if (NOT_COUNTED.includes(error.reason) || current?.quarantined) return { state: current, quarantine: null };
  const at = Date.parse(error.at);
  const last = current ? Date.parse(current.lastErrorAt) : Number.NEGATIVE_INFINITY;
  if (current && at - last < settings.periodMs) return { state: current, quarantine: null };
  const base = current && at - last <= settings.resetAfterMs ? current.count : 0;
  const count = base + 1;
  const threshold = MAILBOX_REASONS.includes(error.reason)
    ? Math.min(3, settings.maxErrors)
    : settings.maxErrors;
  const quarantined = count >= threshold;
  const state: AddressErrors = {
    address: error.address,
    count,
    lastErrorAt: error.at,
    lastReason: error.reason,
    quarantined,
  };
  if (!quarantined) return { state, quarantine: null };
  return {
    state,
    quarantine: {
      type: 'postwave.address.quarantined.v1',
      subject: error.address,
      data: {
        address: error.address,
        failureType: 'Soft',
        reason: error.reason,
        messageId: error.messageId,
        deliveryId: error.deliveryId,
        at: error.at,
      },
    },
  };
}

/** A delivered message clears an address "with errors" (a quarantine stays until lifted by hand). */
export const afterDelivered = (current: AddressErrors | null): AddressErrors | null =>
  current && !current.quarantined ? null : current;
