import { z } from 'zod';

/**
 * Failure type of a message (Campaign §4.2). `Hard` is permanent, `Soft` is retried within the
 * validity period, `Ignored` is known-harmless (auto-replies, analysis exclusions), `NotDefined`
 * is an error no rule has qualified yet.
 */
export const FailureType = z.enum(['Hard', 'Soft', 'Ignored', 'NotDefined']);
export type FailureType = z.infer<typeof FailureType>;

/** Failure reasons with their `@failureReason` codes (Campaign §4.3). */
export const FAILURE_REASONS = {
  NotDefined: { code: 0, label: 'Not defined', usualType: 'NotDefined' },
  UserUnknown: { code: 1, label: 'User unknown', usualType: 'Hard' },
  InvalidDomain: { code: 2, label: 'Invalid domain', usualType: 'Soft' },
  Unreachable: { code: 3, label: 'Unreachable', usualType: 'Soft' },
  AccountDisabled: { code: 4, label: 'Account disabled', usualType: 'Soft' },
  MailboxFull: { code: 5, label: 'Mailbox full', usualType: 'Soft' },
  NotConnected: { code: 6, label: 'Not connected', usualType: 'Ignored' },
  AddressNotSpecified: { code: 7, label: 'Address not specified', usualType: 'Hard' },
  Denylisted: { code: 8, label: 'Denylisted address', usualType: 'Hard' },
  Quarantined: { code: 9, label: 'Address in quarantine', usualType: 'Hard' },
  Double: { code: 10, label: 'Double', usualType: 'Ignored' },
  ExcludedByRule: { code: 11, label: 'Excluded by a SQL rule', usualType: 'Ignored' },
  ExcludedAfterArbitration: { code: 12, label: 'Excluded after arbitration', usualType: 'Ignored' },
  BadQualityAddress: { code: 14, label: 'Bad-quality address', usualType: 'Ignored' },
  UnqualifiedAddress: { code: 15, label: 'Unqualified address', usualType: 'Ignored' },
  NotEligible: { code: 16, label: 'Not eligible for the offers', usualType: 'Ignored' },
  TargetLimited: { code: 17, label: 'Target limited in size', usualType: 'Ignored' },
  Refused: { code: 20, label: 'Refused', usualType: 'Soft' },
  ErrorIgnored: { code: 25, label: 'Error ignored', usualType: 'Ignored' },
  ControlAddress: { code: 127, label: 'Control address', usualType: 'Ignored' },
  // Postwave additions (no Campaign code exists for these; codes above 200 are ours).
  InvalidSyntax: { code: 201, label: 'Invalid address syntax', usualType: 'Hard' },
  Unsubscribed: { code: 202, label: 'Unsubscribed', usualType: 'Ignored' },
  PersonalizationError: { code: 203, label: 'Personalization error', usualType: 'Ignored' },
  Expired: { code: 204, label: 'Validity period expired', usualType: 'Soft' },
} as const satisfies Record<string, { code: number; label: string; usualType: FailureType }>;

export type FailureReason = keyof typeof FAILURE_REASONS;
export const FailureReason = z.enum(Object.keys(FAILURE_REASONS) as [FailureReason, ...FailureReason[]]);

export const reasonCode = (reason: FailureReason): number => FAILURE_REASONS[reason].code;
export const reasonLabel = (reason: FailureReason): string => FAILURE_REASONS[reason].label;
