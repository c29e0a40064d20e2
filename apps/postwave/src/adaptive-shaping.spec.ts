import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOPICS } from '@postwave/contracts';
import { MailboxSimulator } from '@postwave/mail-simulator';
import { runService, type RunningService } from '@postwave/platform/runtime';
import { DEFAULT_MX_RULES } from '@postwave/sending/domain';
import { freePort, http, settledDelivery, waitFor } from '@postwave/testing';
import { embeddedEnv } from './embedded-env';
import { embeddedService, type EmbeddedConfig } from './embedded.service';

interface PathReport {
  paths: Array<{
    site: string;
    maxConnections: number;
    messagesPerHour: number;
    suspended: boolean;
    cause: string | null;
    ceiling: { maxConnections: number; messagesPerHour: number };
    history: Array<{ accepted: number; deferred: number }>;
  }>;
}

/**
 * A receiver that rate-limits (10 messages a minute, then 421 4.7.0) makes the MTA's controller
 * back off and suspend the path; once the receiver accepts again the limits climb back, and the
 * API shows what was learned.
 */
describe('adaptive delivery against a rate-limiting site', () => {
  const dir = mkdtempSync(join(tmpdir(), 'postwave-shaping-'));
  let clockOffset = 0;
  let simulator: MailboxSimulator;
  let service: RunningService<EmbeddedConfig>;

  beforeAll(async () => {
    simulator = await MailboxSimulator.start({
      port: 0,
      clock: () => Date.now() + clockOffset,
      personalities: [
        {
          name: 'throttler',
          description: 'accepts 10 messages a minute per client, then 421',
          domains: ['throttle.sim'],
          limits: { messagesPerMinutePerIp: 10 },
        },
      ],
    });
    const rules = [
      {
        id: 'throttle-site',
        mxHosts: ['*.throttle.example'],
        domains: ['throttle.sim'],
        maxConnections: 4,
        messagesPerConnection: 50,
        messagesPerHour: 360_000,
        adaptive: {
          coolOffMs: 300,
          maxCoolOffMs: 600,
          recoverAfter: 4,
          rateStep: 0.25,
          minMessagesPerHour: 3600,
        },
      },
      ...DEFAULT_MX_RULES.slice(-1),
    ];
    writeFileSync(join(dir, 'mx-rules.json'), JSON.stringify(rules));
    service = await runService(
      embeddedService,
      embeddedEnv({
        SQLITE_PATH: join(dir, 'postwave.sqlite'),
        HTTP_PORT: '0',
        SIMULATOR_ENABLED: 'false',
        BOUNCE_SMTP_PORT: '0',
        MTA_ROUTES: `throttle.sim=127.0.0.1:${simulator.port}`,
        MTA_MX_RULES_FILE: join(dir, 'mx-rules.json'),
        MTA_RETRY_FIRST_MS: '200',
        MTA_RETRY_MAX_MS: '400',
        MTA_RETRY_JITTER: '0',
        LOG_LEVEL: 'error',
        SIMULATOR_PORT: String(await freePort()),
      }),
    );
  });

  afterAll(async () => {
    await service?.close();
    await simulator?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const site = async () => {
    const report = await http<PathReport>('GET', `${service.url}/v1/mta/paths`);
    return report.body.paths.find((path) => path.site === 'throttle-site');
  };

  it('backs off on 421, then recovers toward the ceiling once the site accepts again', async () => {
    const recipients = Array.from({ length: 30 }, (_, i) => ({
      address: `user${i}@throttle.sim`,
      attributes: {},
    }));
    const created = await http('POST', `${service.url}/v1/deliveries`, {
      deliveryId: 'throttled',
      approvalMode: 'Automatic',
      content: { sender: { address: 'news@shop.example' }, subject: 'Hi', text: 'Hello' },
      recipients,
    });
    expect(created.status).toBe(201);

    const backedOff = await waitFor('the path to back off', async () => {
      const path = await site();
      return path && path.maxConnections < path.ceiling.maxConnections ? path : undefined;
    });
    expect(backedOff.cause).toMatch(/^421/);
    expect(backedOff.messagesPerHour).toBeLessThan(backedOff.ceiling.messagesPerHour);

    // The receiver's minute passes (its clock moves on) every time we look, so it accepts again.
    const { summary } = await waitFor('every message to be delivered', async () => {
      clockOffset += 61_000;
      const settled = await settledDelivery(service.url, 'throttled', 30, 200).catch(() => undefined);
      return settled?.summary.kpis.success === 30 ? settled : undefined;
    });
    expect(summary.kpis).toMatchObject({ success: 30, errors: 0 });

    // A quiet receiver now (a fresh minute for every message): a run of accepted messages climbs back.
    clockOffset += 3_600_000;
    await http('POST', `${service.url}/v1/deliveries`, {
      deliveryId: 'after-the-storm',
      approvalMode: 'Automatic',
      content: { sender: { address: 'news@shop.example' }, subject: 'Hi', text: 'Hello' },
      recipients: Array.from({ length: 8 }, (_, i) => ({ address: `calm${i}@throttle.sim`, attributes: {} })),
    });
    await waitFor('the calm delivery', async () => {
      clockOffset += 61_000;
      const settled = await settledDelivery(service.url, 'after-the-storm', 8, 200).catch(() => undefined);
      return settled?.summary.kpis.success === 8 ? settled : undefined;
    });
    const recovered = await site();
    expect(recovered!.history.reduce((n, h) => n + h.accepted, 0)).toBe(38);
    expect(recovered!.history.reduce((n, h) => n + h.deferred, 0)).toBeGreaterThan(0);

    const changes: Array<{ direction: string; maxConnections: number }> = [];
    await service.platform.eventLog.replay({
      group: 'shaping-test',
      topics: [TOPICS.mtaEvents],
      handle: async (event) => {
        if (event.envelope.type === 'postwave.mta.path-limits-changed.v1') {
          changes.push({
            direction: event.envelope.data.direction,
            maxConnections: event.envelope.data.after.maxConnections,
          });
        }
      },
    });
    expect(changes[0]?.direction).toBe('decreased');
    expect(changes.at(-1)?.direction).toBe('increased');
    // Recovered above the lowest limit it learned, and the API shows the last change.
    const lowest = Math.min(
      ...changes.filter((c) => c.direction === 'decreased').map((c) => c.maxConnections),
    );
    expect(recovered!.maxConnections).toBeGreaterThan(lowest);
    expect(recovered!.maxConnections).toBe(changes.at(-1)?.maxConnections);
  });
});
