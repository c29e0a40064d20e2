import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { MailboxSimulator } from './mailbox-simulator';
import { mimeParts } from '../testing/mime-parts';
import { testMessage, TestSmtpClient } from '../testing/smtp-test-client';

const VERP = 'bounces+c42.m7@postwave.test';

type Structure = ReturnType<typeof mimeParts>;

/** The body of the part of `type` in a report. */
function part(report: Structure, type: string): string {
  const found = report.parts.find((p) => p.type === type);
  if (!found) throw new Error(`no ${type} part; parts: ${report.parts.map((p) => p.type).join(', ')}`);
  return found.body;
}

describe('asynchronous reports', () => {
  let inboxDir: string;
  let bounceInbox: MailboxSimulator;
  let sim: MailboxSimulator;
  let client: TestSmtpClient;

  beforeEach(async () => {
    inboxDir = await mkdtemp(join(tmpdir(), 'sim-reports-'));
    // A second simulator plays the product's bounce inbox and keeps what it gets as .eml.
    bounceInbox = await MailboxSimulator.start({ port: 0, hostname: 'bounce.sim.test', inboxDir });
    sim = await MailboxSimulator.start({
      port: 0,
      hostname: 'mx.sim.test',
      dsnReturn: { host: '127.0.0.1', port: bounceInbox.port },
    });
    client = await TestSmtpClient.connect(sim.port);
  });

  afterEach(async () => {
    await client.close();
    await sim.stop();
    await bounceInbox.stop();
    await rm(inboxDir, { recursive: true, force: true });
  });

  /** The raw .eml of the first message the bounce inbox got. */
  async function received(): Promise<string> {
    const message = await bounceInbox.waitForMessage();
    return readFile(message.emlPath!, 'utf8');
  }

  it('sends an RFC 3464 DSN for dsn-hard to the VERP return path from the null sender', async () => {
    const sent = await client.send(VERP, ['dsn-hard@example.sim'], testMessage({ Subject: 'Spring sale' }), {
      envid: 'c42.m7',
      notify: ['FAILURE'],
      orcpt: 'rfc822;dsn-hard@example.sim',
    });
    expect(sent.accepted).toEqual(['dsn-hard@example.sim']); // accepted first, bounced later

    const dsn = mimeParts(await received());
    expect(bounceInbox.accepted[0]).toMatchObject({ mailFrom: '', recipients: [VERP] });
    expect(dsn.type).toBe('multipart/report');
    expect(dsn.params['report-type']).toBe('delivery-status');
    expect(dsn.parts.map((p) => p.type)).toEqual([
      'text/plain',
      'message/delivery-status',
      'text/rfc822-headers',
    ]);
    const status = part(dsn, 'message/delivery-status');
    expect(status).toContain('Original-Envelope-Id: c42.m7');
    expect(status).toContain('Final-Recipient: rfc822; dsn-hard@example.sim');
    expect(status).toContain('Original-Recipient: rfc822; dsn-hard@example.sim');
    expect(status).toContain('Action: failed');
    expect(status).toContain('Status: 5.1.1');
    expect(status).toContain(
      'Diagnostic-Code: smtp; 550 5.1.1 <dsn-hard@example.sim>: Recipient address rejected: User unknown',
    );
    expect(part(dsn, 'text/rfc822-headers')).toContain('Subject: Spring sale');
    expect(sim.reports).toEqual([expect.objectContaining({ kind: 'dsn', status: 'sent', to: VERP })]);
  });

  it('words the DSN of a personality domain like that provider', async () => {
    await client.send(VERP, ['dsn-hard@outlook.sim'], testMessage());

    const status = part(mimeParts(await received()), 'message/delivery-status');
    expect(status).toContain('Status: 5.5.0');
    expect(status).toContain(
      'Diagnostic-Code: smtp; 550 5.5.0 Requested action not taken: mailbox unavailable',
    );
  });

  it('sends an RFC 5965 abuse report for complaint with the original headers', async () => {
    await client.send(VERP, ['complaint@example.sim'], testMessage({ 'Message-ID': '<m7@postwave.test>' }));

    const arf = mimeParts(await received());
    expect(arf.type).toBe('multipart/report');
    expect(arf.params['report-type']).toBe('feedback-report');
    expect(arf.parts.map((p) => p.type)).toEqual([
      'text/plain',
      'message/feedback-report',
      'text/rfc822-headers',
    ]);
    const report = part(arf, 'message/feedback-report');
    expect(report).toContain('Feedback-Type: abuse');
    expect(report).toContain('Version: 1');
    expect(report).toContain('Original-Rcpt-To: <complaint@example.sim>');
    expect(report).toContain(`Original-Mail-From: <${VERP}>`);
    expect(report).toContain('Source-IP: 127.0.0.1');
    expect(part(arf, 'text/rfc822-headers')).toContain('Message-ID: <m7@postwave.test>');
  });

  it('sends an out-of-office reply for autoreply, marked auto-replied', async () => {
    await client.send(
      VERP,
      ['autoreply@example.sim'],
      testMessage({ Subject: 'News', 'Message-ID': '<m8@postwave.test>' }),
    );

    const reply = await simpleParser(await received());
    expect(bounceInbox.accepted[0]).toMatchObject({ mailFrom: '', recipients: [VERP] });
    expect(reply.headers.get('auto-submitted')).toBe('auto-replied');
    expect(reply.subject).toBe('Auto: News');
    expect(reply.inReplyTo).toBe('<m8@postwave.test>');
    expect(reply.from?.value[0]?.address).toBe('autoreply@example.sim');
  });

  it('never answers a bounce or an automatic message, so reports cannot loop', async () => {
    await client.send('', ['dsn-hard@example.sim', 'complaint@example.sim'], testMessage());
    await client.send(VERP, ['autoreply@example.sim'], testMessage({ 'Auto-Submitted': 'auto-generated' }));
    await sim.reportsSettled();

    expect(sim.reports).toEqual([]);
    expect(bounceInbox.accepted).toEqual([]);
  });

  it('cancels reports that are still waiting when the simulator stops', async () => {
    await client.send(VERP, ['dsn-hard-60000@example.sim'], testMessage());
    await client.close();
    await sim.stop();

    expect(sim.reports.map((r) => r.status)).toEqual(['cancelled']);
    expect(sim.stats().reports).toMatchObject({ scheduled: 0, cancelled: 1 });
  });
});

describe('asynchronous reports without a return server', () => {
  it('skips the report and says why', async () => {
    const sim = await MailboxSimulator.start({ port: 0 });
    const client = await TestSmtpClient.connect(sim.port);
    await client.send(VERP, ['dsn-hard@example.sim'], testMessage());
    await client.close();
    await sim.stop();

    expect(sim.reports).toEqual([
      expect.objectContaining({ status: 'skipped', detail: 'no dsnReturn configured' }),
    ]);
  });
});
