import { http, waitFor, type DeliverySummary, type MessageRow } from '@postwave/testing';
import { addresses, startEmbedded, type EmbeddedUnderTest } from './embedded.test-support';

/**
 * Pause holds what the MTA has not sent, resume releases it, stop cancels the rest ("Delivery
 * canceled") and cannot be undone. The site is paced at 5 messages a second so there is time to act.
 */
describe('pausing, resuming and stopping a delivery in progress', () => {
  let app: EmbeddedUnderTest;
  const url = () => app.service.url;
  const summary = async (id: string) =>
    (await http<DeliverySummary>('GET', `${url()}/v1/deliveries/${id}`)).body;
  const delivered = () => app.simulator.accepted.length;

  beforeAll(async () => {
    app = await startEmbedded({
      prefix: 'control',
      domain: 'slow.sim',
      rules: [
        {
          id: 'slow-site',
          mxHosts: ['*.slow.example'],
          domains: ['slow.sim'],
          maxConnections: 1,
          messagesPerConnection: 5,
          messagesPerHour: 18_000,
          adaptive: { minMessagesPerHour: 60 },
        },
      ],
    });
    await app.deliver('controlled', addresses(40, 'slow.sim'));
  });

  afterAll(() => app?.close());

  it('pause stops sending within the messages already in flight, and resume carries on', async () => {
    await waitFor('sending to start', async () => (delivered() >= 3 ? true : undefined));
    expect((await http('POST', `${url()}/v1/deliveries/controlled/pause`, {})).status).toBe(201);
    await waitFor('the delivery to show Paused', async () =>
      (await summary('controlled')).state === 'Paused' ? true : undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const whilePaused = delivered();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(delivered()).toBe(whilePaused);
    expect(whilePaused).toBeLessThan(40);

    expect((await http('POST', `${url()}/v1/deliveries/controlled/resume`, {})).status).toBe(201);
    await waitFor('sending to resume', async () => (delivered() > whilePaused + 2 ? true : undefined));
  });

  it('stop cancels what was not sent, and a stopped delivery cannot resume', async () => {
    expect(
      (await http('POST', `${url()}/v1/deliveries/controlled/stop`, { reason: 'wrong audience' })).status,
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
      await http<MessageRow[]>('GET', `${url()}/v1/deliveries/controlled/messages?status=Canceled`)
    ).body;
    expect(messages).toHaveLength(40 - sentAtStop);
    expect(messages[0]).toMatchObject({ statusLabel: 'Delivery canceled' });

    const resumed = await http<{ error: string }>('POST', `${url()}/v1/deliveries/controlled/resume`, {});
    expect(resumed.status).toBe(409);
    expect(resumed.body.error).toContain('cannot resume a delivery that is Stopped');
  });
});
