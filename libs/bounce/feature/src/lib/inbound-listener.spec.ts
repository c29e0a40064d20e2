import { DEFAULT_SOFT_ERROR_SETTINGS } from '@postwave/bounce/domain';
import { TOPICS, verpAddress, type Envelope } from '@postwave/contracts';
import { MailboxSimulator } from '@postwave/mail-simulator';
import { EmbeddedEventLog, eventingEntities } from '@postwave/platform/eventing';
import { createLogger } from '@postwave/platform/observability';
import { Database } from '@postwave/platform/persistence';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { BounceOptions } from './bounce-options';
import { bounceEntities } from './bounce.entities';
import { Unsubscribes } from './unsubscribes';
import { InboundListener } from './inbound-listener';

const SECRET = 'verp-secret-for-the-bounce-tests';
const MESSAGE_ID = 'm00112233445566778899aabb';
const VERP_DOMAIN = 'bounces.example';

/** What one SMTP transaction got back: the refusals are data here. */
interface Outcome {
  accepted: boolean;
  responseCode?: number;
  response?: string;
}

/** A loopback SMTP client (nodemailer's SMTPConnection) that sends one message per connection. */
async function send(port: number, from: string, to: string, raw: string): Promise<Outcome> {
  const connection = new SMTPConnection({
    host: '127.0.0.1',
    port,
    name: 'mx.provider.test',
    ignoreTLS: true,
  });
  await new Promise<void>((resolve, reject) => {
    connection.once('error', reject);
    connection.connect(() => resolve());
  });
  connection.on('error', () => undefined);
  const outcome = await new Promise<Outcome>((resolve) =>
    connection.send({ from, to: [to] }, raw, (error, info) => {
      if (!error) return resolve({ accepted: true, response: info.response });
      const failed = error as Error & {
        response?: string;
        responseCode?: number;
        rejectedErrors?: Array<{ response?: string; responseCode?: number }>;
      };
      const rejected = failed.rejectedErrors?.[0] ?? failed;
      resolve({ accepted: false, responseCode: rejected.responseCode, response: rejected.response });
    }),
  );
  await new Promise<void>((resolve) => {
    if (connection.destroyed) return resolve();
    connection.once('end', () => resolve());
    connection.quit();
  });
  return outcome;
}

const dsnFor = (
  to: string,
  diagnostic = '550 5.1.1 <ada@example.org>: Recipient address rejected: User unknown',
) =>
  [
    'From: Mail Delivery System <MAILER-DAEMON@mx.example.org>',
    `To: <${to}>`,
    'Subject: Undelivered Mail Returned to Sender',
    'Auto-Submitted: auto-replied',
    'Message-ID: <dsn-1@mx.example.org>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain',
    '',
    'Your message could not be delivered.',
    '',
    '--b1',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.example.org',
    '',
    'Final-Recipient: rfc822; ada@example.org',
    'Action: failed',
    'Status: 5.1.1',
    `Diagnostic-Code: smtp; ${diagnostic}`,
    '',
    '--b1--',
    '',
  ].join('\r\n');

describe('InboundListener', () => {
  let db: Database;
  let eventLog: EmbeddedEventLog;
  let listener: InboundListener | null = null;
  const logger = createLogger({ service: 't', level: 'silent', destination: { write: () => undefined } });

  const options: BounceOptions = {
    smtpHost: '127.0.0.1',
    smtpPort: 0,
    verpSecret: SECRET,
    hostname: 'bounces.example',
    maxSize: 64 * 1024,
    softErrors: DEFAULT_SOFT_ERROR_SETTINGS,
  };

  /** Every event on the message topic, in order. */
  async function messageEvents(): Promise<Envelope[]> {
    const seen: Envelope[] = [];
    await eventLog.replay({
      group: `t-${Math.random()}`,
      topics: [TOPICS.messageEvents],
      handle: async (event) => void seen.push(event.envelope),
    });
    return seen;
  }

  const start = async (overrides: Partial<BounceOptions> = {}) => {
    const started = new InboundListener(
      { ...options, ...overrides },
      db,
      eventLog,
      logger,
      new Unsubscribes(db, eventLog),
    );
    listener = started;
    await started.onApplicationBootstrap();
    return started.port!;
  };

  beforeEach(async () => {
    db = await Database.open({
      kind: 'sqlite',
      location: ':memory:',
      entities: [...eventingEntities('sqlite'), ...bounceEntities()],
    });
    eventLog = new EmbeddedEventLog(db, logger);
    await db.transaction((em) =>
      em.insert('BounceMessage', {
        messageId: MESSAGE_ID,
        deliveryId: 'd-spring',
        address: 'ada@example.org',
      }),
    );
  });

  afterEach(async () => {
    await listener?.onApplicationShutdown();
    listener = null;
    await eventLog.stop();
    await db.close();
  });

  it('listens on a free loopback port when given port 0', async () => {
    const port = await start();

    expect(port).toBeGreaterThan(0);
  });

  it('refuses a report to a forged VERP address at RCPT with 550 and records nothing', async () => {
    const port = await start();
    const forged = `b+${MESSAGE_ID}.aaaaaaaaaaaa@${VERP_DOMAIN}`;

    const outcome = await send(port, '', forged, dsnFor(forged));

    expect(outcome).toMatchObject({ accepted: false, responseCode: 550 });
    expect(outcome.response).toContain('No such bounce address');
    expect(await messageEvents()).toEqual([]);
  });

  it('refuses a report signed with another VERP secret', async () => {
    const port = await start();
    const otherInstall = verpAddress(MESSAGE_ID, 'another-install-secret-0123', VERP_DOMAIN);

    const outcome = await send(port, '', otherInstall, dsnFor(otherInstall));

    expect(outcome).toMatchObject({ accepted: false, responseCode: 550 });
  });

  it('accepts a DSN to a valid VERP address and records a Hard bounce for the message it names', async () => {
    const port = await start();
    const to = verpAddress(MESSAGE_ID, SECRET, VERP_DOMAIN);

    const outcome = await send(port, '', to, dsnFor(to));

    expect(outcome).toMatchObject({ accepted: true });
    const events = await messageEvents();
    expect(events).toEqual([
      expect.objectContaining({
        type: 'postwave.message.bounced.v1',
        subject: MESSAGE_ID,
        source: '/postwave/bounce-qualifier',
        correlationid: 'd-spring',
        causationid: '<dsn-1@mx.example.org>',
        data: expect.objectContaining({
          messageId: MESSAGE_ID,
          deliveryId: 'd-spring',
          address: 'ada@example.org',
          kind: 'dsn',
          failureType: 'Hard',
          reason: 'UserUnknown',
          diagnostic: '550 5.1.1 <ada@example.org>: Recipient address rejected: User unknown',
        }),
      }),
    ]);
  });

  it('accepts a report for a message it does not know without recording anything', async () => {
    const port = await start();
    const to = verpAddress('m-unknown-message', SECRET, VERP_DOMAIN);

    const outcome = await send(port, '', to, dsnFor(to));

    expect(outcome.accepted).toBe(true);
    expect(await messageEvents()).toEqual([]);
  });

  it('records the complaint a provider sends straight to the listener as a Hard Denylisted bounce', async () => {
    const port = await start();
    const provider = await MailboxSimulator.start({ port: 0, dsnReturn: { host: '127.0.0.1', port } });
    try {
      const verp = verpAddress(MESSAGE_ID, SECRET, VERP_DOMAIN);
      const original = [
        'From: news@shop.example',
        'To: complaint@example.sim',
        'Subject: Spring sale',
        '',
        'Hi.',
        '',
      ];

      await send(provider.port, verp, 'complaint@example.sim', original.join('\r\n'));
      await provider.reportsSettled();

      expect(provider.reports).toEqual([expect.objectContaining({ kind: 'arf', status: 'sent', to: verp })]);
    } finally {
      await provider.stop();
    }
    expect(await messageEvents()).toEqual([
      expect.objectContaining({
        type: 'postwave.message.bounced.v1',
        data: expect.objectContaining({ kind: 'arf', failureType: 'Hard', reason: 'Denylisted' }),
      }),
    ]);
  });

  it('refuses a report larger than maxSize with 552 instead of reading it whole', async () => {
    const port = await start({ maxSize: 4096 });
    const to = verpAddress(MESSAGE_ID, SECRET, VERP_DOMAIN);
    const padded = dsnFor(to).replace(
      'Your message could not be delivered.',
      ('x'.repeat(70) + '\r\n').repeat(120),
    );

    const outcome = await send(port, '', to, padded);

    expect(outcome).toMatchObject({ accepted: false, responseCode: 552 });
    expect(await messageEvents()).toEqual([]);
  });

  it('stops listening on shutdown', async () => {
    const port = await start();

    await listener!.onApplicationShutdown();
    listener = null;

    const to = verpAddress(MESSAGE_ID, SECRET, VERP_DOMAIN);
    await expect(send(port, '', to, dsnFor(to))).rejects.toMatchObject({
      message: expect.stringMatching(/ECONNREFUSED/),
    });
  });
});
