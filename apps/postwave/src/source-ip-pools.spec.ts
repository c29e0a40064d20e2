import { http, settledDelivery } from '@postwave/testing';
import { addresses, startEmbedded, type EmbeddedUnderTest } from './embedded.test-support';

/**
 * Two source addresses on loopback, the second one new and warming up: it may send only its
 * daily cap to the site, the rest overflows to the warm address, and each connects with its own
 * HELO name.
 */
describe('source IP pools with warm-up', () => {
  let app: EmbeddedUnderTest;

  beforeAll(async () => {
    const today = new Date().toISOString().slice(0, 10);
    app = await startEmbedded({
      prefix: 'pools',
      domain: 'pool.sim',
      rules: [
        {
          id: 'pool-site',
          mxHosts: ['*.pool.example'],
          domains: ['pool.sim'],
          maxConnections: 2,
          messagesPerConnection: 2,
          messagesPerHour: 1_000_000,
        },
      ],
      files: {
        'warmup.json': [{ ip: '127.0.0.3', start: today, dailyCaps: [4, 8, 16], sites: ['pool-site'] }],
      },
      env: {
        MTA_SOURCE_IPS: '127.0.0.2=warm.mta.test,127.0.0.3=new.mta.test',
        MTA_WARMUP_FILE: '$DIR/warmup.json',
      },
    });
  });

  afterAll(() => app?.close());

  it('caps the warming address at its daily plan and overflows the rest to the warm one', async () => {
    await app.deliver('pools', addresses(20, 'pool.sim'));
    const { summary } = await settledDelivery(app.service.url, 'pools', 20);
    expect(summary.kpis.success).toBe(20);

    const from = (ip: string) => app.simulator.accepted.filter((m) => m.clientAddress.endsWith(ip));
    expect(from('127.0.0.3')).toHaveLength(4);
    expect(from('127.0.0.2')).toHaveLength(16);
    expect(new Set(from('127.0.0.3').map((m) => m.clientHelo))).toEqual(new Set(['new.mta.test']));
    expect(new Set(from('127.0.0.2').map((m) => m.clientHelo))).toEqual(new Set(['warm.mta.test']));
  });

  it('shows one path per site and source address with its history', async () => {
    const report = await http<{
      paths: Array<{ site: string; sourceIp: string; history: Array<{ accepted: number }> }>;
    }>('GET', `${app.service.url}/v1/mta/paths`);
    const accepted = (ip: string) =>
      report.body.paths
        .find((p) => p.site === 'pool-site' && p.sourceIp === ip)
        ?.history.reduce((n, h) => n + h.accepted, 0);
    expect([accepted('127.0.0.2'), accepted('127.0.0.3')]).toEqual([16, 4]);
  });
});
