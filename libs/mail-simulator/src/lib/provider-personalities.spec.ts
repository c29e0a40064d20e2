import { MailboxSimulator } from './mailbox-simulator';
import { GMAIL, OUTLOOK, YAHOO } from './personalities';
import type { ProviderPersonalityInput } from './personality-schema';
import { rawDialogue, testMessage, TestSmtpClient } from '../testing/smtp-test-client';

const FROM = 'bounces@postwave.test';

const withLimits = (p: ProviderPersonalityInput, limits: ProviderPersonalityInput['limits']) => ({
  ...p,
  limits,
});

describe('provider personalities', () => {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const sims: MailboxSimulator[] = [];
  const clients: TestSmtpClient[] = [];

  async function start(personalities?: ProviderPersonalityInput[]): Promise<MailboxSimulator> {
    const sim = await MailboxSimulator.start({
      port: 0,
      hostname: 'mx.sim.test',
      personalities,
      clock: () => now,
    });
    sims.push(sim);
    return sim;
  }

  async function connect(sim: MailboxSimulator): Promise<TestSmtpClient> {
    const client = await TestSmtpClient.connect(sim.port);
    clients.push(client);
    return client;
  }

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(sims.splice(0).map((s) => s.stop()));
  });

  it('answers an unknown Gmail user with the multi-line 550 5.1.1 reply', async () => {
    const sim = await start();
    const replies = await rawDialogue(sim.port, [
      'EHLO c.test',
      `MAIL FROM:<${FROM}>`,
      'RCPT TO:<bounce-hard@gmail.sim>',
      'QUIT',
    ]);

    const lines = replies[3]!.split('\r\n');
    expect(lines[0]).toBe('550-5.1.1 The email account that you tried to reach does not exist. Please try');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatch(
      /^550 5\.1\.1 https:\/\/support\.google\.com\/mail\/\?p=NoSuchUser \S+ - gsmtp$/,
    );
  });

  it('rate-limits Gmail with 421 4.7.28 after more than N messages a minute, then closes', async () => {
    const sim = await start([withLimits(GMAIL, { messagesPerMinutePerIp: 2 })]);
    const client = await connect(sim);
    await client.send(FROM, ['a@gmail.sim'], testMessage());
    await client.send(FROM, ['b@gmail.sim'], testMessage());
    const third = await client.send(FROM, ['c@gmail.sim'], testMessage());

    // nodemailer treats any 421 as the end of the connection and reports it as the response.
    expect(third.responseCode).toBe(421);
    expect(third.response).toMatch(
      /^421-4\.7\.28 \[127\.0\.0\.1\] Our system has detected an unusual rate of\n/,
    );
    expect(third.response).toMatch(
      /\n421 4\.7\.28 https:\/\/support\.google\.com\/mail\/\?p=UnsolicitedRateLimitError \S+ - gsmtp$/,
    );
    await client.ended(); // 421 means the server closes the connection
    expect(sim.accepted).toHaveLength(2);
  });

  it('accepts Gmail mail again once the rate window has slid past', async () => {
    const sim = await start([withLimits(GMAIL, { messagesPerMinutePerIp: 1 })]);
    const first = await connect(sim);
    await first.send(FROM, ['a@gmail.sim'], testMessage());
    now += 60_001;
    const out = await first.send(FROM, ['b@gmail.sim'], testMessage());

    expect(out.accepted).toEqual(['b@gmail.sim']);
  });

  it('does not rate-limit other domains when Gmail is throttled', async () => {
    const sim = await start([withLimits(GMAIL, { messagesPerMinutePerIp: 1 })]);
    const client = await connect(sim);
    await client.send(FROM, ['a@gmail.sim'], testMessage());

    expect((await client.send(FROM, ['b@other.sim'], testMessage())).accepted).toEqual(['b@other.sim']);
  });

  it('refuses a connection beyond the per-IP cap with 421 4.7.0', async () => {
    const sim = await start([withLimits(GMAIL, { maxConnectionsPerIp: 1 })]);
    const first = await connect(sim);
    const second = await connect(sim);
    await first.send(FROM, ['a@gmail.sim'], testMessage());
    const refused = await second.send(FROM, ['b@gmail.sim'], testMessage());

    expect(refused.response).toMatch(/^421 4\.7\.0 Try again later, closing connection\. \S+ - gsmtp$/);
    await second.ended();
    await first.close();
    const third = await connect(sim);
    expect((await third.send(FROM, ['c@gmail.sim'], testMessage())).accepted).toEqual(['c@gmail.sim']);
  });

  it('refuses recipients beyond the per-message cap with 452 4.5.3', async () => {
    const sim = await start([withLimits(GMAIL, { maxRecipientsPerMessage: 2 })]);
    const client = await connect(sim);
    const out = await client.send(
      FROM,
      ['a@gmail.sim', 'b@gmail.sim', 'c@gmail.sim', 'd@other.sim'],
      testMessage(),
    );

    expect(out.accepted).toEqual(['a@gmail.sim', 'b@gmail.sim', 'd@other.sim']);
    expect(out.rejected['c@gmail.sim']).toMatch(/^452-4\.5\.3 Your message has too many recipients/);
  });

  it('defers Yahoo with [TSS04] and answers its unknown users without an enhanced code', async () => {
    const sim = await start([withLimits(YAHOO, { messagesPerMinutePerIp: 1 })]);
    const client = await connect(sim);
    const unknown = await client.send(FROM, ['bounce-hard@yahoo.sim'], testMessage());
    await client.send(FROM, ['a@yahoo.sim'], testMessage());
    const deferred = await client.send(FROM, ['b@yahoo.sim'], testMessage());

    expect(unknown.rejected['bounce-hard@yahoo.sim']).toBe(
      "554 delivery error: dd This user doesn't have a yahoo.sim account (bounce-hard@yahoo.sim) [0] - mx.sim.test",
    );
    expect(deferred.response).toBe(
      '421 4.7.0 [TSS04] Messages from 127.0.0.1 temporarily deferred due to unexpected volume or user complaints' +
        ' - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes',
    );
  });

  it('speaks like Outlook.com: 550 5.5.0 unknown user, 451 4.7.500 server busy', async () => {
    const sim = await start([OUTLOOK]);
    const replies = await rawDialogue(sim.port, [
      'EHLO c.test',
      `MAIL FROM:<${FROM}>`,
      'RCPT TO:<bounce-hard@hotmail.sim>',
      'RCPT TO:<defer@outlook.sim>',
      'QUIT',
    ]);

    expect(replies.slice(3, 5)).toEqual([
      '550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302). [mx.sim.test]',
      '451 4.7.500 Server busy. Please try again later from [127.0.0.1]. (S77714) [mx.sim.test]',
    ]);
  });

  it('uses the generic replies for domains no personality claims', async () => {
    const sim = await start([OUTLOOK]);
    const replies = await rawDialogue(sim.port, [
      'EHLO c.test',
      `MAIL FROM:<${FROM}>`,
      'RCPT TO:<bounce-hard@gmail.sim>',
      'QUIT',
    ]);

    expect(replies[3]).toBe('550 5.1.1 <bounce-hard@gmail.sim>: Recipient address rejected: User unknown');
  });
});
