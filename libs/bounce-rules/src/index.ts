export {
  BounceRuleSchema,
  BounceRuleSetError,
  RuleType,
  type BounceRule,
  type BounceRuleData,
  type BounceRuleSet,
  type RuleIssue,
} from './lib/bounce-rule.schema';
export { DEFAULT_RULES, DEFAULT_RULE_SET } from './lib/default-rules';
export {
  CONNECTION_FAILURE_RULES,
  qualifyConnectionFailure,
  type ConnectionFailure,
  type ConnectionFailureKind,
} from './lib/qualify-connection-failure';
export { qualifyReply, UNMATCHED_RULE_ID, type Qualification } from './lib/qualify-reply';
export { isPermanent, parseSmtpReply, type SmtpReply } from './lib/smtp-reply';
export { validateRuleSet } from './lib/validate-rule-set';
