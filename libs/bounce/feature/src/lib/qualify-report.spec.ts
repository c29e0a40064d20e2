import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MailboxSimulator } from '@postwave/mail-simulator';
import { simpleParser } from 'mailparser';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { qualifyReport } from './inbound-listener';

const qualify = async (raw: string) => qualifyReport(raw, await simpleParser(raw));

/** Sends one message over a fresh loopback connection and closes it. */
async function sendOnce(port: number, from: string, to: string, raw: string): Promise<void> {
  const connection = new SMTPConnection({ host: '127.0.0.1', port, name: 'mta.test', ignoreTLS: true });
  await new Promise<void>((resolve, reject) => {
    connection.once('error', reject);
    connection.connect(() => resolve());
  });
  try {
    await new Promise<void>((resolve, reject) =>
      connection.send({ from, to: [to] }, raw, (error) => (error ? reject(error) : resolve())),
    );
  } finally {
    await new Promise<void>((resolve) => {
      connection.once('end', () => resolve());
      connection.quit();
    });
  }
}

const original = (to: string, subject: string) =>
  [
    'From: Shop News <news@shop.example>',
    `To: ${to}`,
    `Subject: ${subject}`,
    `Message-ID: <${subject.toLowerCase().replace(/\W/g, '')}.mta-1@shop.example>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Spring is here.',
    '',
  ].join('\r\n');

/** A Postfix bounce as Postfix 3.x writes it (RFC 3464 with Postfix's own X- fields). */
const postfixDsn = (action: string, status: string, diagnostic: string) =>
  [
    'Return-Path: <>',
    'Received: by mx.example.org (Postfix) id 8A1C2400A6; Thu,  1 Jan 2026 10:00:05 +0100 (CET)',
    'Date: Thu,  1 Jan 2026 10:00:05 +0100 (CET)',
    'From: MAILER-DAEMON@mx.example.org (Mail Delivery System)',
    'Subject: Undelivered Mail Returned to Sender',
    'To: b+m0123456789abcdef01234567.abcdefghijkl@bounces.shop.example',
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status;',
    '\tboundary="8A1C2400A6.1767258005/mx.example.org"',
    'Content-Transfer-Encoding: 8bit',
    'Message-Id: <20260101090005.8A1C2400A6@mx.example.org>',
    '',
    'This is a MIME-encapsulated message.',
    '',
    '--8A1C2400A6.1767258005/mx.example.org',
    'Content-Description: Notification',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'This is the mail system at host mx.example.org.',
    '',
    "I'm sorry to have to inform you that your message could not",
    'be delivered to one or more recipients.',
    '',
    `<nobody@example.org>: host mail.example.org[192.0.2.25] said: ${diagnostic}`,
    '    (in reply to RCPT TO command)',
    '',
    '--8A1C2400A6.1767258005/mx.example.org',
    'Content-Description: Delivery report',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.example.org',
    'X-Postfix-Queue-ID: 8A1C2400A6',
    'X-Postfix-Sender: rfc822; b+m0123456789abcdef01234567.abcdefghijkl@bounces.shop.example',
    'Arrival-Date: Thu,  1 Jan 2026 10:00:04 +0100 (CET)',
    '',
    'Final-Recipient: rfc822; nobody@example.org',
    'Original-Recipient: rfc822;nobody@example.org',
    `Action: ${action}`,
    `Status: ${status}`,
    'Remote-MTA: dns; mail.example.org',
    // Postfix folds long fields at a space.
    `Diagnostic-Code: smtp; ${diagnostic.slice(0, diagnostic.lastIndexOf(' ', 50))}`,
    `    ${diagnostic.slice(diagnostic.lastIndexOf(' ', 50) + 1)}`,
    '',
    '--8A1C2400A6.1767258005/mx.example.org',
    'Content-Description: Undelivered Message Headers',
    'Content-Type: text/rfc822-headers',
    '',
    'From: Shop News <news@shop.example>',
    'To: nobody@example.org',
    'Subject: Spring sale',
    'Message-ID: <m0123456789abcdef01234567.mta-1@shop.example>',
    '',
    '--8A1C2400A6.1767258005/mx.example.org--',
    '',
  ].join('\r\n');

/** An Exchange Online non-delivery report: HTML and text alternatives first, then the RFC 3464 part. */
const exchangeNdr = [
  'From: Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@contoso.com>',
  'To: <b+m0123456789abcdef01234567.abcdefghijkl@bounces.shop.example>',
  'Date: Thu, 1 Jan 2026 09:00:07 +0000',
  'Content-Type: multipart/report; report-type=delivery-status;',
  '\tboundary="_000_4b5fd1c9a2e84a7c9d02PH0PR04MB7345namp_"',
  'X-MS-Exchange-Message-Is-Ndr:',
  'Content-Language: en-US',
  'Message-ID: <4b5fd1c9-a2e8-4a7c-9d02-5e7b3f1c0a11@PH0PR04MB7345.namprd04.prod.outlook.com>',
  'In-Reply-To: <m0123456789abcdef01234567.mta-1@shop.example>',
  'Subject: Undeliverable: Spring sale',
  'Auto-Submitted: auto-replied',
  'MIME-Version: 1.0',
  '',
  '--_000_4b5fd1c9a2e84a7c9d02PH0PR04MB7345namp_',
  'Content-Type: multipart/alternative;',
  '\tboundary="_002_4b5fd1c9a2e84a7c9d02PH0PR04MB7345namp_"',
  '',
  '--_002_4b5fd1c9a2e84a7c9d02PH0PR04MB7345namp_',
  'Content-Type: text/plain; charset="us-ascii"',
  '',
  "Your message to nobody@contoso.com couldn't be delivered.",
  "nobody wasn't found at contoso.com.",
  '',
  '--_002_4b5fd1c9a2e84a7c9d02PH0PR04MB7345namp_',
  'Content-Type: text/html; charset="us-ascii"',
  '',
  "<html><body><p>Your message to nobody@contoso.com couldn't be delivered.</p></body></html>",
  '',
  '--_002_4b5fd1c9a2e84a7c9d02PH0PR04MB7345namp_--',
  '',
  '--_000_4b5fd1c9a2e84a7c9d02PH0PR04MB7345namp_',
  'Content-Type: message/delivery-status',
  '',
  'Reporting-MTA: dns;PH0PR04MB7345.namprd04.prod.outlook.com',
  'Received-From-MTA: dns;mta.shop.example',
  'Arrival-Date: Thu, 1 Jan 2026 09:00:06 +0000',
  '',
  'Final-Recipient: rfc822;nobody@contoso.com',
  'Action: failed',
  'Status: 5.1.10',
  'Diagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup',
  'X-Display-Name: nobody@contoso.com',
  '',
  '',
  '--_000_4b5fd1c9a2e84a7c9d02PH0PR04MB7345namp_',
  'Content-Type: message/rfc822',
  '',
  'From: Shop News <news@shop.example>',
  'To: nobody@contoso.com',
  'Subject: Spring sale',
  '',
  'Spring is here.',
  '',
  '--_000_4b5fd1c9a2e84a7c9d02PH0PR04MB7345namp_--',
  '',
].join('\r\n');

describe('qualifyReport', () => {
  describe('on the reports a mailbox provider sends back (captured from the mailbox simulator)', () => {
    let inboxDir: string;
    let bounceInbox: MailboxSimulator;
    let provider: MailboxSimulator;
    const reports = new Map<string, string>();

    beforeAll(async () => {
      inboxDir = await mkdtemp(join(tmpdir(), 'pw-bounce-inbox-'));
      // The second simulator plays our bounce inbox and keeps each report as an .eml file.
      bounceInbox = await MailboxSimulator.start({ port: 0, hostname: 'bounces.sim.test', inboxDir });
      provider = await MailboxSimulator.start({
        port: 0,
        hostname: 'mx.provider.sim',
        dsnReturn: { host: '127.0.0.1', port: bounceInbox.port },
      });
      for (const kind of ['dsn-hard', 'complaint', 'autoreply']) {
        const verp = `b+${kind.replace('-', '')}.tag@bounces.shop.example`;
        await sendOnce(
          provider.port,
          verp,
          `${kind}@example.sim`,
          original(`${kind}@example.sim`, 'Spring sale'),
        );
        const report = await bounceInbox.waitForMessage((m) => m.recipients.includes(verp));
        reports.set(kind, await readFile(report.emlPath!, 'utf8'));
      }
    });

    afterAll(async () => {
      await provider?.stop();
      await bounceInbox?.stop();
      await rm(inboxDir, { recursive: true, force: true });
    });

    it('qualifies a DSN for an unknown user as a Hard UserUnknown bounce with the remote reply', async () => {
      const result = await qualify(reports.get('dsn-hard')!);

      expect(result).toEqual([
        {
          kind: 'dsn',
          diagnostic: '550 5.1.1 <dsn-hard@example.sim>: Recipient address rejected: User unknown',
          qualification: expect.objectContaining({ type: 'Hard', reason: 'UserUnknown' }),
        },
      ]);
    });

    it('qualifies an ARF abuse report as a Hard Denylisted complaint', async () => {
      const result = await qualify(reports.get('complaint')!);

      expect(result).toEqual([
        {
          kind: 'arf',
          diagnostic: 'complaint: abuse',
          qualification: expect.objectContaining({
            type: 'Hard',
            reason: 'Denylisted',
            rule: 'arf-complaint',
          }),
        },
      ]);
    });

    it('qualifies an out-of-office auto-reply as Ignored', async () => {
      const result = await qualify(reports.get('autoreply')!);

      expect(result).toEqual([
        {
          kind: 'auto-reply',
          diagnostic: 'auto-reply: Auto: Spring sale',
          qualification: expect.objectContaining({ type: 'Ignored', rule: 'auto-reply' }),
        },
      ]);
    });
  });

  it('qualifies a Postfix bounce for an unknown user as Hard UserUnknown, unfolding the diagnostic', async () => {
    const raw = postfixDsn(
      'failed',
      '5.1.1',
      '550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown in virtual mailbox table',
    );

    const result = await qualify(raw);

    expect(result).toEqual([
      {
        kind: 'dsn',
        diagnostic:
          '550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown in virtual mailbox table',
        qualification: expect.objectContaining({ type: 'Hard', reason: 'UserUnknown' }),
      },
    ]);
  });

  it('qualifies a Postfix delay notice as Soft, even when the remote reply reads like a hard bounce', async () => {
    const raw = postfixDsn(
      'delayed',
      '4.4.1',
      '550 5.1.1 <nobody@example.org>: Recipient address rejected ok',
    );

    const result = await qualify(raw);

    expect(result).toEqual([
      expect.objectContaining({ kind: 'dsn', qualification: expect.objectContaining({ type: 'Soft' }) }),
    ]);
  });

  it('qualifies an Exchange Online NDR (RecipientNotFound, 5.1.10) as Hard UserUnknown', async () => {
    const result = await qualify(exchangeNdr);

    expect(result).toEqual([
      {
        kind: 'dsn',
        diagnostic: '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup',
        qualification: expect.objectContaining({ type: 'Hard', reason: 'UserUnknown' }),
      },
    ]);
  });

  it('ignores a DSN that only reports a successful delivery', async () => {
    const raw = postfixDsn('delivered', '2.0.0', '250 2.0.0 Ok: queued as 4Zx3 in the remote mailbox store');

    expect(await qualify(raw)).toEqual([]);
  });

  it('finds nothing to record in an ordinary reply from a person', async () => {
    const raw = [
      'From: Ada <ada@example.org>',
      'To: b+m0123456789abcdef01234567.abcdefghijkl@bounces.shop.example',
      'Subject: Re: Spring sale',
      'Message-ID: <reply-1@example.org>',
      '',
      'Do you ship to Lisbon?',
      '',
    ].join('\r\n');

    expect(await qualify(raw)).toEqual([]);
  });
});
