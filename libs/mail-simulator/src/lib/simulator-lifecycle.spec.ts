import { MailboxSimulator } from './mailbox-simulator';
import { testMessage, TestSmtpClient } from '../testing/smtp-test-client';

describe('simulator lifecycle', () => {
  it('stops promptly even when a client never says QUIT', async () => {
    const sim = await MailboxSimulator.start({ port: 0, closeTimeoutMs: 50 });
    const idle = await TestSmtpClient.connect(sim.port);
    const started = Date.now();
    await sim.stop();
    await idle.ended();

    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('releases a held reply at stop instead of waiting for it', async () => {
    const sim = await MailboxSimulator.start({ port: 0, closeTimeoutMs: 50 });
    const client = await TestSmtpClient.connect(sim.port);
    const pending = client.send('b@postwave.test', ['slow-60000@example.sim'], testMessage());
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await sim.stop();
    await pending;
    await client.close();

    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('fails to start on a port that is taken, with the socket error', async () => {
    const first = await MailboxSimulator.start({ port: 0 });
    await expect(MailboxSimulator.start({ port: first.port })).rejects.toThrow(/EADDRINUSE/);
    await first.stop();
  });

  it('rejects invalid personalities before listening', async () => {
    await expect(
      MailboxSimulator.start({ port: 0, personalities: [{ name: 'x', domains: [] }] }),
    ).rejects.toThrow(/personality "x": domains: /);
  });

  it('logs structured entries and survives a throwing listener', async () => {
    const entries: Array<Record<string, unknown>> = [];
    const sim = await MailboxSimulator.start({ port: 0, logger: (e) => entries.push(e) });
    sim.on('message', () => {
      throw new Error('listener bug');
    });
    const client = await TestSmtpClient.connect(sim.port);
    const out = await client.send(
      'b@postwave.test',
      ['a@example.sim', 'bounce-hard@example.sim'],
      testMessage(),
    );
    await client.close();
    await sim.stop();

    expect(out.accepted).toEqual(['a@example.sim']);
    expect(entries.map((e) => e['event'])).toEqual(['reply.refused', 'message.accepted', 'listener.error']);
    expect(entries[0]).toMatchObject({
      stage: 'RCPT',
      code: 550,
      enhanced: '5.1.1',
      rcpt: 'bounce-hard@example.sim',
    });
  });

  it('gives up waiting for a message with a clear error', async () => {
    const sim = await MailboxSimulator.start({ port: 0 });
    await expect(sim.waitForMessage(() => true, 20)).rejects.toThrow('No matching message within 20 ms');
    await sim.stop();
  });
});
