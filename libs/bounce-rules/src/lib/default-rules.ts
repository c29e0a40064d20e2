import type { BounceRuleData, BounceRuleSet } from './bounce-rule.schema';
import { MAILBOX_STATE_RULES } from './rules/mailbox-state.rules';
import { PROVIDER_RULES } from './rules/provider.rules';
import { DNS_RULES, RECIPIENT_RULES } from './rules/recipient.rules';
import { REPUTATION_REFUSAL_RULES } from './rules/reputation-refusal.rules';
import { SENDER_REFUSAL_RULES } from './rules/sender-refusal.rules';
import { SPECIAL_RULES } from './rules/special.rules';
import { ENHANCED_CODE_RULES, REPLY_CODE_RULES } from './rules/status-code.rules';
import {
  EXPIRY_RULES,
  GREYLIST_RULES,
  LOOP_RULES,
  RATE_LIMIT_RULES,
  SERVICE_RULES,
  SIZE_RULES,
  TEMPORARY_RULES,
} from './rules/transient.rules';
import { validateRuleSet } from './validate-rule-set';

/**
 * The default rules, in evaluation order (first match wins). The order is the design:
 *  1. non-bounces (auto-replies, delay and success notices, complaints), expiry and loops (whatever
 *     they quote), and provider texts that override misleading codes;
 *  2. mailbox full / disabled wording, greylisting;
 *  3. TLS failures and refusals of our sender, then DNS answers, then refusals of our IP or content,
 *     then size and rate limits (they say nothing of the address);
 *  4. unknown domain / mailbox wording, then explicitly temporary wording;
 *  5. RFC 3463 enhanced codes, weak "service unavailable" wording, RFC 5321 basic codes, and the
 *     Not defined catch-all.
 */
export const DEFAULT_RULES: readonly BounceRuleData[] = [
  ...SPECIAL_RULES,
  ...EXPIRY_RULES,
  ...LOOP_RULES,
  ...PROVIDER_RULES,
  ...MAILBOX_STATE_RULES,
  ...GREYLIST_RULES,
  ...SENDER_REFUSAL_RULES,
  ...DNS_RULES,
  ...REPUTATION_REFUSAL_RULES,
  ...SIZE_RULES,
  ...RATE_LIMIT_RULES,
  ...RECIPIENT_RULES,
  ...TEMPORARY_RULES,
  ...ENHANCED_CODE_RULES,
  ...SERVICE_RULES,
  ...REPLY_CODE_RULES,
];

/** Validated once at load: a broken data file fails every test and the service start, loudly. */
export const DEFAULT_RULE_SET: BounceRuleSet = validateRuleSet(DEFAULT_RULES);
