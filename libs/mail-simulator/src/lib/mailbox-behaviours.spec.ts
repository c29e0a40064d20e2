import { MailboxSimulator } from './mailbox-simulator';
import { rawDialogue, testMessage, TestSmtpClient } from '../testing/smtp-test-client';

const FROM = 'bounces+c1.m1@postwave.test';

/** EHLO, MAIL, then one RCPT per address; returns the replies to the RCPTs. */
async function rcptReplies(port: number, ...rcpts: string[]): Promise<string[]> {
  const replies = await rawDialogue(port, [
    'EHLO c.test',
    `MAIL FROM:<${FROM}>`,
    ...rcpts.map((r) => `RCPT TO:<${r}>`),
    'QUIT',
  ]);
  return replies.slice(3, 3 + rcpts.length);
}

describe('MailboxSimulator mailbox behaviours', () => {
  let now = Date.parse('2026-01-01T00:00:00Z');
  let sim: MailboxSimulator;
  let client: TestSmtpClient;

  beforeEach(async () => {
    sim = await MailboxSimulator.start({ port: 0, hostname: 'mx.sim.test', clock: () => now });
    client = await TestSmtpClient.connect(sim.port);
  });

  afterEach(async () => {
    await client.close();
    await sim.stop();
  });

  it('accepts an ordinary mailbox and records its headers, not its body', async () => {
    const raw = testMessage({ Subject: '=?UTF-8?B?w4l0w6k=?= sale', 'Message-ID': '<abc@postwave.test>' });
    const out = await client.send(FROM, ['anything@example.sim'], raw);

    expect(out.accepted).toEqual(['anything@example.sim']);
    expect(out.response).toMatch(/^250 2\.0\.0 Ok: queued as \S+$/);
    expect(sim.accepted[0]).toMatchObject({
      mailFrom: FROM,
      recipients: ['anything@example.sim'],
      size: raw.length,
      messageId: '<abc@postwave.test>',
      subject: 'Été sale',
      dkimSigned: false,
      clientAddress: '127.0.0.1',
    });
    expect(sim.accepted[0]!.rawHeaders).not.toContain('Hello from the test');
  });

  it('refuses a hard bounce at RCPT with 550 5.1.1 on the wire', async () => {
    expect(await rcptReplies(sim.port, 'bounce-hard@example.sim')).toEqual([
      '550 5.1.1 <bounce-hard@example.sim>: Recipient address rejected: User unknown',
    ]);
  });

  it('refuses a full mailbox at RCPT with 452 4.2.2', async () => {
    expect(await rcptReplies(sim.port, 'mailbox-full+7@example.sim')).toEqual(['452 4.2.2 Mailbox full']);
  });

  it('accepts a recipient and refuses another in the same message', async () => {
    const out = await client.send(
      FROM,
      ['anything@example.sim', 'bounce-hard.42@example.sim'],
      testMessage(),
    );

    expect(out.accepted).toEqual(['anything@example.sim']);
    expect(out.rejected).toEqual({
      'bounce-hard.42@example.sim':
        '550 5.1.1 <bounce-hard.42@example.sim>: Recipient address rejected: User unknown',
    });
    expect(sim.accepted.map((m) => m.recipients)).toEqual([['anything@example.sim']]);
  });

  it('defers defer-3 three times with 451 4.3.0, then accepts it', async () => {
    const outcomes = [];
    for (let i = 0; i < 4; i++)
      outcomes.push(await client.send(FROM, ['defer-3@example.sim'], testMessage()));

    expect(outcomes.slice(0, 3).map((o) => o.rejected['defer-3@example.sim'])).toEqual(
      Array(3).fill('451 4.3.0 <defer-3@example.sim>: Temporary local problem, please try again later'),
    );
    expect(outcomes[3]!.accepted).toEqual(['defer-3@example.sim']);
  });

  it('greylists the first attempt of a client, sender and recipient triple', async () => {
    const first = await client.send(FROM, ['greylist@example.sim'], testMessage());
    const retry = await client.send(FROM, ['greylist@example.sim'], testMessage());
    const otherSender = await client.send('other@postwave.test', ['greylist@example.sim'], testMessage());

    expect(first.rejected['greylist@example.sim']).toBe(
      '450 4.7.1 <greylist@example.sim>: Recipient address rejected: Greylisted, try again later',
    );
    expect(retry.accepted).toEqual(['greylist@example.sim']);
    expect(otherSender.rejected['greylist@example.sim']).toMatch(/^450 4\.7\.1 /);
  });

  it('keeps greylisting retries that come before the minimum delay', async () => {
    const first = await client.send(FROM, ['greylist-300@example.sim'], testMessage());
    now += 299_000;
    const early = await client.send(FROM, ['greylist-300@example.sim'], testMessage());
    now += 1_000;
    const onTime = await client.send(FROM, ['greylist-300@example.sim'], testMessage());

    expect([first.responseCode, early.responseCode, onTime.responseCode]).toEqual([450, 450, 250]);
  });

  it('holds the replies of a slow mailbox back', async () => {
    const started = Date.now();
    const out = await client.send(FROM, ['slow-300@example.sim'], testMessage());

    expect(out.accepted).toEqual(['slow-300@example.sim']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(600); // RCPT and end of DATA, 300 ms each
  });

  it('refuses the content of reject-data after DATA with 554 5.7.1 and keeps nothing', async () => {
    const out = await client.send(FROM, ['reject-data@example.sim', 'anything@example.sim'], testMessage());

    expect(out.response).toBe('554 5.7.1 Message content rejected');
    expect(sim.accepted).toHaveLength(0);
  });

  it('records DKIM signatures without verifying them', async () => {
    const dkim =
      'v=1; a=rsa-sha256; c=relaxed/relaxed; d=news.postwave.test;\r\n s=pw2026; h=from:subject; bh=abc=; b=xyz=';
    await client.send(FROM, ['anything@example.sim'], testMessage({ 'DKIM-Signature': dkim }));

    expect(sim.accepted[0]).toMatchObject({
      dkimSigned: true,
      dkimSignatures: [{ domain: 'news.postwave.test', selector: 'pw2026' }],
    });
  });

  it('counts connections, messages and refusals by reply code', async () => {
    await client.send(
      FROM,
      ['anything@example.sim', 'bounce-hard@example.sim', 'mailbox-full@example.sim'],
      testMessage(),
    );

    expect(sim.stats()).toMatchObject({
      connectionsOpen: 1,
      messagesAccepted: 1,
      recipientsAccepted: 1,
      rejections: { '550 5.1.1': 1, '452 4.2.2': 1 },
    });
  });
});
