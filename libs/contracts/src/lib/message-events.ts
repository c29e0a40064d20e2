import { z } from 'zod';
import { FailureReason, FailureType } from './failure';

const Attributes = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]));

const Qualified = {
  failureType: FailureType,
  reason: FailureReason,
  reasonCode: z.number().int(),
  /** Id of the qualification rule that matched. */
  rule: z.string(),
};

/** Per-message events stay small: content lives once in the delivery stream. */
export const MessagePlannedV1 = z.object({
  messageId: z.string(),
  deliveryId: z.string(),
  address: z.string(),
  domain: z.string(),
  attributes: Attributes,
  validUntil: z.string(),
  /** Not sent before this instant: the start of the message's wave (or the contact date). */
  notBefore: z.string().optional(),
  wave: z.number().int().optional(),
  /** Proof messages carry their proof number; they never count in the KPIs. */
  proof: z.number().int().optional(),
  subjectPrefix: z.string().optional(),
});
export const MessageExcludedV1 = z.object({
  messageId: z.string(),
  deliveryId: z.string(),
  /** The address as given (may be empty or invalid). */
  address: z.string(),
  failureType: FailureType,
  reason: FailureReason,
  reasonCode: z.number().int(),
  detail: z.string().optional(),
  /** The typology rule that excluded it, if any. */
  rule: z.string().optional(),
  /** The analysis run that excluded it (exclusions of earlier runs are void). */
  analysisRun: z.number().int().optional(),
});
export const MessageTakenIntoAccountV1 = z.object({
  messageId: z.string(),
  deliveryId: z.string(),
  mta: z.string(),
  at: z.string(),
});
export const MessageDeferredV1 = z.object({
  messageId: z.string(),
  deliveryId: z.string(),
  attempt: z.number().int(),
  reply: z.string(),
  ...Qualified,
  nextAttemptAt: z.string(),
});
export const MessageSentV1 = z.object({
  messageId: z.string(),
  deliveryId: z.string(),
  attempt: z.number().int(),
  reply: z.string(),
  mxHost: z.string(),
  at: z.string(),
});
export const MessageFailedV1 = z.object({
  messageId: z.string(),
  deliveryId: z.string(),
  attempt: z.number().int(),
  reply: z.string(),
  ...Qualified,
  /** True when the validity period ended before a retry succeeded. */
  expired: z.boolean(),
  at: z.string(),
});
/** The delivery was stopped before this message was sent ("Delivery canceled"). */
export const MessageCanceledV1 = z.object({
  messageId: z.string(),
  deliveryId: z.string(),
  at: z.string(),
  /** Given when the planner cancels a message the MTA never saw (so the log can show it). */
  address: z.string().optional(),
});
/** An asynchronous bounce (DSN), complaint (ARF) or auto-reply that came back by mail. */
export const MessageBouncedV1 = z.object({
  messageId: z.string(),
  deliveryId: z.string(),
  address: z.string(),
  kind: z.enum(['dsn', 'arf', 'auto-reply']),
  diagnostic: z.string(),
  ...Qualified,
  at: z.string(),
});
export const AddressQuarantinedV1 = z.object({
  address: z.string(),
  failureType: FailureType,
  reason: FailureReason,
  messageId: z.string(),
  deliveryId: z.string(),
  at: z.string(),
});

/** The recipient asked to receive no more mail (List-Unsubscribe mailto or one-click). */
export const AddressUnsubscribedV1 = z.object({
  address: z.string(),
  messageId: z.string(),
  deliveryId: z.string(),
  via: z.enum(['mailto', 'one-click']),
  at: z.string(),
});

/**
 * Consent recorded by an operator or a client system: unsubscribed from one audience or from
 * everything, denylisted, or allowed again (which lifts that scope's unsubscription or denylisting).
 */
export const AddressConsentChangedV1 = z.object({
  address: z.string(),
  status: z.enum(['unsubscribed', 'denylisted', 'allowed']),
  /** The audience the change applies to; absent = every audience. */
  audience: z.string().optional(),
  reason: z.string().optional(),
  at: z.string(),
});

const Limits = z.object({ maxConnections: z.number().int(), messagesPerHour: z.number().int() });

/** The adaptive controller changed a delivery path's live limits (site × source IP). */
export const PathLimitsChangedV1 = z.object({
  site: z.string(),
  sourceIp: z.string(),
  ruleId: z.string(),
  direction: z.enum(['decreased', 'increased']),
  before: Limits,
  after: Limits,
  /** Until when the path sends nothing (a cool-off after a slow-down answer). */
  suspendedUntil: z.string().nullable(),
  /** The receiver's reply that caused a decrease. */
  cause: z.string().nullable(),
  at: z.string(),
});
