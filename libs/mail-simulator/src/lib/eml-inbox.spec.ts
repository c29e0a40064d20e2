import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MailboxSimulator } from './mailbox-simulator';
import { testMessage, TestSmtpClient } from '../testing/smtp-test-client';

describe('the .eml inbox', () => {
  let dir: string;
  let sim: MailboxSimulator;
  let client: TestSmtpClient;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sim-inbox-'));
    sim = await MailboxSimulator.start({ port: 0, hostname: 'mx.sim.test', inboxDir: join(dir, 'inbox') });
    client = await TestSmtpClient.connect(sim.port);
  });

  afterEach(async () => {
    await client.close();
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps each accepted message as <id>.eml behind trace headers, byte for byte', async () => {
    const raw = testMessage({ Subject: 'Kept' });
    await client.send('bounces+m1@postwave.test', ['a@example.sim', 'b@example.sim'], raw);

    const [message] = sim.accepted;
    expect(await readdir(join(dir, 'inbox'))).toEqual([`${message!.id}.eml`]);
    const eml = await readFile(message!.emlPath!, 'utf8');
    expect(
      eml.startsWith(
        'Return-Path: <bounces+m1@postwave.test>\r\nDelivered-To: a@example.sim\r\nDelivered-To: b@example.sim\r\n',
      ),
    ).toBe(true);
    expect(eml).toMatch(/\r\nReceived: from client\.test \(\[127\.0\.0\.1\]\)\r\n\tby mx\.sim\.test /);
    expect(eml.endsWith(raw)).toBe(true);
  });

  it('writes nothing for a message whose content is refused', async () => {
    await client.send('bounces@postwave.test', ['reject-data@example.sim'], testMessage());
    await client.send('bounces@postwave.test', ['bounce-hard@example.sim'], testMessage());

    expect(await readdir(join(dir, 'inbox'))).toEqual([]);
  });

  it('refuses an oversized message with 552 5.3.4 and leaves no temporary file', async () => {
    await client.close();
    await sim.stop();
    sim = await MailboxSimulator.start({ port: 0, inboxDir: join(dir, 'inbox'), maxMessageSize: 200 });
    client = await TestSmtpClient.connect(sim.port);
    const out = await client.send(
      'bounces@postwave.test',
      ['a@example.sim'],
      testMessage({ 'X-Pad': 'x'.repeat(400) }),
    );

    expect(out.response).toMatch(/^552 5\.3\.4 /);
    expect(await readdir(join(dir, 'inbox'))).toEqual([]);
  });
});
