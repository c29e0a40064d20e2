export { MailboxSimulator, type MailboxSimulatorEvents } from './lib/mailbox-simulator';
export type {
  SimulatorOptions,
  AcceptedMessage,
  ReportRecord,
  ReportKind,
  ReportStatus,
  SimulatorStats,
} from './lib/simulator-types';
export { SIMULATOR_DEFAULT_DOMAINS, isSimulatorDomain, matchesDomainPattern } from './lib/simulator-domains';
export {
  parseRecipientBehaviour,
  type RecipientBehaviour,
  type BehaviourKind,
} from './lib/recipient-behaviour';
export {
  BUILT_IN_PERSONALITIES,
  GMAIL,
  YAHOO,
  OUTLOOK,
  GENERIC_REPLIES,
  validatePersonalities,
} from './lib/personalities';
export {
  PersonalityConfigError,
  REPLY_KINDS,
  REPLY_PLACEHOLDERS,
  type ProviderPersonality,
  type ProviderPersonalityInput,
  type ReplyKind,
  type ReplyTemplate,
} from './lib/personality-schema';
export type { SmtpReply } from './lib/smtp-reply';
