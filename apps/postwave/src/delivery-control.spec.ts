import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MailboxSimulator } from '@postwave/mail-simulator';
import { runService, type RunningService } from '@postwave/platform/runtime';
import { DEFAULT_MX_RULES } from '@postwave/sending/domain';
import { freePort, http, waitFor, type DeliverySummary, type MessageRow } from '@postwave/testing';
import { embeddedEnv } from './embedded-env';
import { embeddedService, type EmbeddedConfig } from './embedded.service';

/**
 * Pause holds what the MTA has not sent, resume releases it, stop cancels the rest ("Delivery
 * canceled") and cannot be undone. The site is paced at 5 messages a second so there is time to act.
 */
describe('pausing, resuming and stopping a delivery in progress', () => {
  const dir = mkdtempSync(join(tmpdir(), 'postwave-control-'));
  let simulator: MailboxSimulator;
  let service: RunningService<EmbeddedConfig>;
  const summary = async (id: string) =>
    (await http<DeliverySummary>('GET', `${service.url}/v1/deliveries/${id}`)).body;
  const delivered = () => simulator.accepted.length;

  beforeAll(async () => {
    simulator = await MailboxSimulator.start({ port: 0 });
    writeFileSync(
      join(dir, 'mx-rules.json'),
      JSON.stringify([
        {
          id: 'slow-site',
          mxHosts: ['*.slow.example'],
          domains: ['slow.sim'],
          maxConnections: 1,
          messagesPerConnection: 5,
          messagesPerHour: 18_000,
          adaptive: { minMessagesPerHour: 60 },
        },
        ...DEFAULT_MX_RULES.slice(-1),
      ]),
    );
    service = await runService(
      embeddedService,
      embeddedEnv({
        SQLITE_PATH: join(dir, 'postwave.sqlite'),
        HTTP_PORT: '0',
        SIMULATOR_ENABLED: 'false',
        SIMULATOR_PORT: String(await freePort()),
        BOUNCE_SMTP_PORT: '0',
        MTA_ROUTES: `slow.sim=127.0.0.1:${simulator.port}`,
        MTA_MX_RULES_FILE: join(dir, 'mx-rules.json'),
        LOG_LEVEL: 'error',
      }),
    );
    const recipients = Array.from({ length: 40 }, (_, i) => ({
      address: `user${i}@slow.sim`,
      attributes: {},
    }));
    await http('POST', `${service.url}/v1/deliveries`, {
      deliveryId: 'controlled',
      approvalMode: 'Automatic',
      content: { sender: { address: 'news@shop.example' }, subject: 'Hi', text: 'Hello' },
      recipients,
    });
  });

  afterAll(async () => {
    await service?.close();
    await simulator?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pause stops sending within the messages already in flight, and resume carries on', async () => {
    await waitFor('sending to start', async () => (delivered() >= 3 ? true : undefined));
    expect((await http('POST', `${service.url}/v1/deliveries/controlled/pause`, {})).status).toBe(201);
    await waitFor('the delivery to show Paused', async () =>
      (await summary('controlled')).state === 'Paused' ? true : undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const whilePaused = delivered();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(delivered()).toBe(whilePaused);
    expect(whilePaused).toBeLessThan(40);

    expect((await http('POST', `${service.url}/v1/deliveries/controlled/resume`, {})).status).toBe(201);
    await waitFor('sending to resume', async () => (delivered() > whilePaused + 2 ? true : undefined));
  });

  it('stop cancels what was not sent, and a stopped delivery cannot resume', async () => {
    expect(
      (await http('POST', `${service.url}/v1/deliveries/controlled/stop`, { reason: 'wrong audience' }))
        .status,
    ).toBe(201);
    const stopped = await waitFor('every message to be final', async () => {
      const s = await summary('controlled');
      return s.kpis.pending + s.kpis.takenIntoAccount === 0 && s.kpis.success + s.kpis.canceled === 40
        ? s
        : undefined;
    });
    expect(stopped.state).toBe('Stopped');
    const sentAtStop = stopped.kpis.success;
    expect(sentAtStop).toBeLessThan(40);
    expect(delivered()).toBe(sentAtStop);

    const messages = (
      await http<MessageRow[]>('GET', `${service.url}/v1/deliveries/controlled/messages?status=Canceled`)
    ).body;
    expect(messages).toHaveLength(40 - sentAtStop);
    expect(messages[0]).toMatchObject({ statusLabel: 'Delivery canceled' });

    const resumed = await http<{ error: string }>(
      'POST',
      `${service.url}/v1/deliveries/controlled/resume`,
      {},
    );
    expect(resumed.status).toBe(409);
    expect(resumed.body.error).toContain('cannot resume a delivery that is Stopped');
  });
});
