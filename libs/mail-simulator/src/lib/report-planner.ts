import type { SMTPServerEnvelope } from 'smtp-server';
import { parseRecipientBehaviour } from './recipient-behaviour';
import {
  composeArf,
  composeAutoReply,
  composeDsn,
  type ComposedReport,
  type ReportSubject,
} from './report-composer';
import type { AcceptedMessage, ReportRecord } from './simulator-types';
import type { SmtpReply } from './smtp-reply';

export interface PlannedReport {
  record: ReportRecord;
  compose: () => Promise<ComposedReport>;
  /** From the address (`dsn-hard-5000@`); undefined means the simulator's default. */
  delayMs?: number;
}

export interface ReportPlanInput {
  message: AcceptedMessage;
  envelope: SMTPServerEnvelope;
  hostname: string;
  /** Auto-Submitted header of the message, if any. */
  autoSubmitted?: string;
  /** The reply the recipient's provider would have given, quoted in the DSN. */
  failureReply: (recipient: string) => SmtpReply;
}

/** Which reports the accepted recipients of a message owe its sender, and how to write them. */
export function planReports({
  message,
  envelope,
  hostname,
  autoSubmitted,
  failureReply,
}: ReportPlanInput): PlannedReport[] {
  // A bounce (null sender) must never cause another report: that is how mail loops start.
  if (!message.mailFrom) return [];
  const automatic = Boolean(autoSubmitted && autoSubmitted.toLowerCase() !== 'no');
  const envid = envelope.dsn?.envid ?? undefined;
  const plans: PlannedReport[] = [];
  for (const rcpt of envelope.rcptTo) {
    const recipient = rcpt.address;
    const b = parseRecipientBehaviour(recipient);
    if (b.kind !== 'dsn-hard' && b.kind !== 'complaint' && b.kind !== 'autoreply') continue;
    if (b.kind === 'autoreply' && automatic) continue; // RFC 3834 §2: never auto-reply to automatic mail
    const subject: ReportSubject = { hostname, message, recipient, orcpt: rcpt.dsn?.orcpt, envid };
    const kind = b.kind === 'dsn-hard' ? 'dsn' : b.kind === 'complaint' ? 'arf' : 'autoreply';
    const compose =
      kind === 'dsn'
        ? () => composeDsn(subject, failureReply(recipient))
        : kind === 'arf'
          ? () => composeArf(subject)
          : () => composeAutoReply(subject);
    const record: ReportRecord = {
      kind,
      messageId: message.id,
      recipient,
      to: message.mailFrom,
      status: 'scheduled',
    };
    plans.push({ record, compose, delayMs: b.delayMs });
  }
  return plans;
}
