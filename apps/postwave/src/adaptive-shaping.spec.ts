import { TOPICS } from '@postwave/contracts';
import { http, settledDelivery, waitFor } from '@postwave/testing';
import { addresses, startEmbedded, type EmbeddedUnderTest } from './embedded.test-support';

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
  let clockOffset = 0;
  let app: EmbeddedUnderTest;

  beforeAll(async () => {
    app = await startEmbedded({
      prefix: 'shaping',
      domain: 'throttle.sim',
      simulator: {
        clock: () => Date.now() + clockOffset,
        personalities: [
          {
            name: 'throttler',
            description: 'accepts 10 messages a minute per client, then 421',
            domains: ['throttle.sim'],
            limits: { messagesPerMinutePerIp: 10 },
          },
        ],
      },
      rules: [
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
      ],
      env: {
        MTA_RETRY_FIRST_MS: '200',
        MTA_RETRY_MAX_MS: '400',
        MTA_RETRY_JITTER: '0',
        MTA_BUILD_THREADS: '1',
      },
    });
  });

  afterAll(() => app?.close());

  const site = async () => {
    const report = await http<PathReport>('GET', `${app.service.url}/v1/mta/paths`);
    return report.body.paths.find((path) => path.site === 'throttle-site');
  };

  it('backs off on 421, then recovers toward the ceiling once the site accepts again', async () => {
    await app.deliver('throttled', addresses(30, 'throttle.sim'));

    const backedOff = await waitFor('the path to back off', async () => {
      const path = await site();
      return path && path.maxConnections < path.ceiling.maxConnections ? path : undefined;
    });
    expect(backedOff.cause).toMatch(/^421/);
    expect(backedOff.messagesPerHour).toBeLessThan(backedOff.ceiling.messagesPerHour);

    // The receiver's minute passes (its clock moves on) every time we look, so it accepts again.
    const { summary } = await waitFor('every message to be delivered', async () => {
      clockOffset += 61_000;
      const settled = await settledDelivery(app.service.url, 'throttled', 30, 200).catch(() => undefined);
      return settled?.summary.kpis.success === 30 ? settled : undefined;
    });
    expect(summary.kpis).toMatchObject({ success: 30, errors: 0 });

    // A quiet receiver now (a fresh minute for every message): a run of accepted messages climbs back.
    clockOffset += 3_600_000;
    await app.deliver('after-the-storm', addresses(8, 'throttle.sim', 'calm'));
    await waitFor('the calm delivery', async () => {
      clockOffset += 61_000;
      const settled = await settledDelivery(app.service.url, 'after-the-storm', 8, 200).catch(
        () => undefined,
      );
      return settled?.summary.kpis.success === 8 ? settled : undefined;
    });
    const recovered = await site();
    expect(recovered!.history.reduce((n, h) => n + h.accepted, 0)).toBe(38);
    expect(recovered!.history.reduce((n, h) => n + h.deferred, 0)).toBeGreaterThan(0);

    const changes: Array<{ direction: string; maxConnections: number }> = [];
    await app.service.platform.eventLog.replay({
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

    // The same learned state, and the counts behind it, for Prometheus.
    const scraped = await fetch(`${app.service.url}/metrics`);
    expect(scraped.headers.get('content-type')).toMatch(/^text\/plain;.*version=0\.0\.4/);
    const metrics = await scraped.text();
    const sample = (name: string, extra = '') =>
      Number(
        new RegExp(`^${name}\\{site="throttle-site"[^}]*${extra}[^}]*\\} (\\S+)$`, 'm').exec(metrics)?.[1] ??
          NaN,
      );
    expect(sample('postwave_mta_path_max_connections')).toBe(recovered!.maxConnections);
    expect(sample('postwave_mta_path_messages_per_hour')).toBe(recovered!.messagesPerHour);
    expect(sample('postwave_mta_attempts_total', 'outcome="accepted"')).toBe(38);
    expect(sample('postwave_mta_attempts_total', 'outcome="deferred"')).toBeGreaterThan(0);
    expect(sample('postwave_mta_path_limit_changes_total', 'direction="decreased"')).toBe(
      changes.filter((c) => c.direction === 'decreased').length,
    );
    expect(metrics).toMatch(/^postwave_mta_spool_messages\{state="done"\} 38$/m);
    // Every attempt's message was built on the build thread.
    const built = (where: string) =>
      Number(
        new RegExp(`^postwave_mta_messages_built_total\\{where="${where}"\\} (\\S+)$`, 'm').exec(
          metrics,
        )?.[1],
      );
    expect(metrics).toMatch(/^postwave_mta_build_threads 1$/m);
    expect(built('thread')).toBeGreaterThanOrEqual(38);
    expect(built('in-process')).toBe(0);
  });
});
