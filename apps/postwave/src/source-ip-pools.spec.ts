import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MailboxSimulator } from '@postwave/mail-simulator';
import { runService, type RunningService } from '@postwave/platform/runtime';
import { DEFAULT_MX_RULES } from '@postwave/sending/domain';
import { freePort, http, settledDelivery } from '@postwave/testing';
import { embeddedEnv } from './embedded-env';
import { embeddedService, type EmbeddedConfig } from './embedded.service';

/**
 * Two source addresses on loopback, the second one new and warming up: it may send only its
 * daily cap to the site, the rest overflows to the warm address, and each connects with its own
 * HELO name.
 */
describe('source IP pools with warm-up', () => {
  const dir = mkdtempSync(join(tmpdir(), 'postwave-pools-'));
  let simulator: MailboxSimulator;
  let service: RunningService<EmbeddedConfig>;

  beforeAll(async () => {
    simulator = await MailboxSimulator.start({ port: 0 });
    writeFileSync(
      join(dir, 'mx-rules.json'),
      JSON.stringify([
        {
          id: 'pool-site',
          mxHosts: ['*.pool.example'],
          domains: ['pool.sim'],
          maxConnections: 2,
          messagesPerConnection: 2,
          messagesPerHour: 1_000_000,
        },
        ...DEFAULT_MX_RULES.slice(-1),
      ]),
    );
    const today = new Date().toISOString().slice(0, 10);
    writeFileSync(
      join(dir, 'warmup.json'),
      JSON.stringify([{ ip: '127.0.0.3', start: today, dailyCaps: [4, 8, 16], sites: ['pool-site'] }]),
    );
    service = await runService(
      embeddedService,
      embeddedEnv({
        SQLITE_PATH: join(dir, 'postwave.sqlite'),
        HTTP_PORT: '0',
        SIMULATOR_ENABLED: 'false',
        SIMULATOR_PORT: String(await freePort()),
        BOUNCE_SMTP_PORT: '0',
        MTA_ROUTES: `pool.sim=127.0.0.1:${simulator.port}`,
        MTA_MX_RULES_FILE: join(dir, 'mx-rules.json'),
        MTA_SOURCE_IPS: '127.0.0.2=warm.mta.test,127.0.0.3=new.mta.test',
        MTA_WARMUP_FILE: join(dir, 'warmup.json'),
        LOG_LEVEL: 'error',
      }),
    );
  });

  afterAll(async () => {
    await service?.close();
    await simulator?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('caps the warming address at its daily plan and overflows the rest to the warm one', async () => {
    const recipients = Array.from({ length: 20 }, (_, i) => ({
      address: `user${i}@pool.sim`,
      attributes: {},
    }));
    await http('POST', `${service.url}/v1/deliveries`, {
      deliveryId: 'pools',
      approvalMode: 'Automatic',
      content: { sender: { address: 'news@shop.example' }, subject: 'Hi', text: 'Hello' },
      recipients,
    });
    const { summary } = await settledDelivery(service.url, 'pools', 20);
    expect(summary.kpis.success).toBe(20);

    const from = (ip: string) => simulator.accepted.filter((m) => m.clientAddress.endsWith(ip));
    expect(from('127.0.0.3')).toHaveLength(4);
    expect(from('127.0.0.2')).toHaveLength(16);
    expect(new Set(from('127.0.0.3').map((m) => m.clientHelo))).toEqual(new Set(['new.mta.test']));
    expect(new Set(from('127.0.0.2').map((m) => m.clientHelo))).toEqual(new Set(['warm.mta.test']));
  });

  it('shows one path per site and source address with its history', async () => {
    const report = await http<{
      paths: Array<{ site: string; sourceIp: string; history: Array<{ accepted: number }> }>;
    }>('GET', `${service.url}/v1/mta/paths`);
    const accepted = (ip: string) =>
      report.body.paths
        .find((p) => p.site === 'pool-site' && p.sourceIp === ip)
        ?.history.reduce((n, h) => n + h.accepted, 0);
    expect([accepted('127.0.0.2'), accepted('127.0.0.3')]).toEqual([16, 4]);
  });
});
