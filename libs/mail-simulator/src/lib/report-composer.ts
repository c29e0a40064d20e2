import MimeNode from 'nodemailer/lib/mime-node';
import type { AcceptedMessage, ReportKind } from './simulator-types';
import { replyText, type SmtpReply } from './smtp-reply';

export interface ReportSubject {
  hostname: string;
  message: AcceptedMessage;
  /** The simulated recipient the report is about. */
  recipient: string;
  /** RCPT ORCPT parameter (RFC 3461), xtext-encoded as received. */
  orcpt?: string;
  /** MAIL ENVID parameter (RFC 3461). */
  envid?: string;
}

export interface ComposedReport {
  kind: ReportKind;
  /** `false` is the null reverse-path `MAIL FROM:<>`. */
  envelope: { from: string | false; to: string };
  raw: Buffer;
}

const USER_AGENT = 'PostwaveMailboxSimulator/1.0';

const xtextDecode = (v: string) =>
  v.replace(/\+([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));

/** RFC 5322 date without the milliseconds Date#toUTCString lacks anyway. */
const rfcDate = (d: Date) => d.toUTCString().replace('GMT', '+0000');

function originalHeaders(message: AcceptedMessage): string {
  return message.rawHeaders.replace(/\r?\n/g, '\r\n') + '\r\n';
}

function lines(...fields: Array<string | undefined>): string {
  return fields.filter((f): f is string => Boolean(f)).join('\r\n') + '\r\n';
}

/**
 * RFC 3464 DSN for a recipient that failed after acceptance. It goes to the envelope sender
 * (the VERP Return-Path) from the null sender, as RFC 5321 §4.5.5 requires for bounces, so
 * the product can attribute it from the RCPT address alone.
 */
export async function composeDsn(s: ReportSubject, reply: SmtpReply): Promise<ComposedReport> {
  const { message, hostname, recipient } = s;
  const root = new MimeNode('multipart/report; report-type=delivery-status');
  root.setHeader({
    From: `Mail Delivery System <MAILER-DAEMON@${hostname}>`,
    To: `<${message.mailFrom}>`,
    Subject: 'Undelivered Mail Returned to Sender',
    'Auto-Submitted': 'auto-replied',
    'Message-ID': `<${message.id}.dsn@${hostname}>`,
    Date: rfcDate(new Date()),
  });
  root
    .createChild('text/plain')
    .setContent(
      `This is the mail system at host ${hostname}.\r\n\r\nYour message could not be delivered to <${recipient}>.\r\n\r\n` +
        `<${recipient}>: ${replyText(reply)}\r\n`,
    );
  const perMessage = lines(
    `Reporting-MTA: dns; ${hostname}`,
    s.envid ? `Original-Envelope-Id: ${s.envid}` : undefined,
    `Arrival-Date: ${rfcDate(message.receivedAt)}`,
  );
  const perRecipient = lines(
    `Final-Recipient: rfc822; ${recipient}`,
    s.orcpt ? `Original-Recipient: ${xtextDecode(s.orcpt).replace(/;\s*/, '; ')}` : undefined,
    'Action: failed',
    `Status: ${reply.enhanced ?? `${String(reply.code)[0]}.0.0`}`,
    `Remote-MTA: dns; ${hostname}`,
    `Diagnostic-Code: smtp; ${replyText(reply)}`,
    `Last-Attempt-Date: ${rfcDate(new Date())}`,
  );
  root.createChild('message/delivery-status').setContent(`${perMessage}\r\n${perRecipient}`);
  // Only headers are kept in memory, so the returned content is always RET=HDRS style.
  root.createChild('text/rfc822-headers').setContent(originalHeaders(message));
  return { kind: 'dsn', envelope: { from: false, to: message.mailFrom }, raw: await root.build() };
}

/**
 * RFC 5965 abuse report. Providers send these to the address registered for their feedback
 * loop, which for bulk senders is usually the bounce mailbox, so it goes to the envelope
 * sender too. The third part is text/rfc822-headers, one of the two types §2 allows.
 */
export async function composeArf(s: ReportSubject): Promise<ComposedReport> {
  const { message, hostname, recipient } = s;
  const root = new MimeNode('multipart/report; report-type=feedback-report');
  root.setHeader({
    From: `Feedback Loop <fbl@${hostname}>`,
    To: `<${message.mailFrom}>`,
    Subject: `Abuse report: ${message.subject ?? '(no subject)'}`,
    'Message-ID': `<${message.id}.arf@${hostname}>`,
    Date: rfcDate(new Date()),
  });
  root
    .createChild('text/plain')
    .setContent(
      `This is an email abuse report for a message received from IP ${message.clientAddress} on ${rfcDate(message.receivedAt)}.\r\n` +
        `The recipient <${recipient}> marked it as spam.\r\n`,
    );
  root
    .createChild('message/feedback-report')
    .setContent(
      lines(
        'Feedback-Type: abuse',
        `User-Agent: ${USER_AGENT}`,
        'Version: 1',
        message.mailFrom ? `Original-Mail-From: <${message.mailFrom}>` : undefined,
        `Original-Rcpt-To: <${recipient}>`,
        `Arrival-Date: ${rfcDate(message.receivedAt)}`,
        `Reporting-MTA: dns; ${hostname}`,
        `Source-IP: ${message.clientAddress}`,
      ),
    );
  root.createChild('text/rfc822-headers').setContent(originalHeaders(message));
  return {
    kind: 'arf',
    envelope: { from: `fbl@${hostname}`, to: message.mailFrom },
    raw: await root.build(),
  };
}

/** RFC 3834 out-of-office reply: to the Return-Path, from the null sender, marked auto-replied. */
export async function composeAutoReply(s: ReportSubject): Promise<ComposedReport> {
  const { message, hostname, recipient } = s;
  const root = new MimeNode('text/plain');
  root.setHeader({
    From: `<${recipient}>`,
    To: `<${message.mailFrom}>`,
    Subject: `Auto: ${message.subject ?? 'Out of office'}`,
    'Auto-Submitted': 'auto-replied',
    'X-Auto-Response-Suppress': 'All',
    'Message-ID': `<${message.id}.auto@${hostname}>`,
    Date: rfcDate(new Date()),
    ...(message.messageId ? { 'In-Reply-To': message.messageId, References: message.messageId } : {}),
  });
  root.setContent('I am out of the office and will reply when I am back.\r\n\r\n(Simulated auto-reply.)\r\n');
  return { kind: 'autoreply', envelope: { from: false, to: message.mailFrom }, raw: await root.build() };
}
