import { reasonCode, type FailureReason, type FailureType } from '@postwave/contracts';
import type { BounceRuleSet, RuleType } from './bounce-rule.schema';
import { DEFAULT_RULE_SET } from './default-rules';
import { parseSmtpReply, replyClass, type SmtpReply } from './smtp-reply';

/** Outcome of qualifying one failure: Campaign type and reason, `@failureReason` code, rule id that decided. */
export type Qualification = {
  type: FailureType;
  reason: FailureReason;
  reasonCode: number;
  rule: string;
};

/** Rule id reported when a custom rule set has no catch-all and nothing matched. */
export const UNMATCHED_RULE_ID = 'unmatched';

/**
 * `ByClass`: 5xx is permanent (Hard), 4xx is retried (Soft); a reply with no failure class at all
 * (no code, or a 2xx/3xx that says it failed) takes the rule's `typeWithoutCode`, Soft unless the
 * rule says its wording is permanent by nature.
 */
export function resolveType(
  type: RuleType,
  reply: SmtpReply,
  typeWithoutCode?: 'Hard' | 'Soft',
): FailureType {
  if (type !== 'ByClass') return type;
  const replyCls = replyClass(reply);
  if (replyCls === 5) return 'Hard';
  if (replyCls === 4) return 'Soft';
  return typeWithoutCode ?? 'Soft';
}

export function qualification(type: FailureType, reason: FailureReason, rule: string): Qualification {
  return { type, reason, reasonCode: reasonCode(reason), rule };
}

/**
 * Qualifies an SMTP reply (sync, from the sending MTA) or a DSN diagnostic (async) with an ordered
 * rule set; the first matching rule wins. Retry decisions belong to `isPermanent`, not to this.
 */
export function qualifyReply(
  reply: string | SmtpReply,
  rules: BounceRuleSet = DEFAULT_RULE_SET,
): Qualification {
  const parsed = typeof reply === 'string' ? parseSmtpReply(reply) : reply;
  const rule = rules.rules.find((r) => r.test(parsed));
  if (!rule) return qualification('NotDefined', 'NotDefined', UNMATCHED_RULE_ID);
  return qualification(resolveType(rule.type, parsed, rule.typeWithoutCode), rule.reason, rule.id);
}
