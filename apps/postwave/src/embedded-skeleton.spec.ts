import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { startTelemetry, type Telemetry } from '@postwave/platform/observability';
import { runService, type RunningService } from '@postwave/platform/runtime';
import {
  freePort,
  http,
  settledDelivery,
  skeletonDelivery,
  verifyInboxSignatures,
  waitFor,
  type MessageRow,
} from '@postwave/testing';
import { embeddedEnv } from './embedded-env';
import { embeddedService, type EmbeddedConfig } from './embedded.service';

const exporter = new InMemorySpanExporter();

describe('the embedded default sends a delivery end to end', () => {
  let dir: string;
  let telemetry: Telemetry;
  let service: RunningService<EmbeddedConfig>;
  let api: string;

  beforeAll(async () => {
    telemetry = startTelemetry({ serviceName: 'postwave-test', traces: 'none', exporter });
    dir = mkdtempSync(join(tmpdir(), 'postwave-embedded-'));
    service = await runService(
      embeddedService,
      embeddedEnv({
        SQLITE_PATH: join(dir, 'postwave.sqlite'),
        HTTP_PORT: '0',
        SIMULATOR_PORT: String(await freePort()),
        SIMULATOR_INBOX_DIR: join(dir, 'inbox'),
        BOUNCE_SMTP_PORT: '0',
        LOG_LEVEL: 'warn',
      }),
    );
    api = service.url;
  });

  afterAll(async () => {
    await service?.close();
    await telemetry?.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('analyzes a delivery posted over HTTP, excluding the invalid and the duplicate recipient', async () => {
    const created = await http<{ delivery: { report: unknown; status: string } }>(
      'POST',
      `${api}/v1/deliveries`,
      skeletonDelivery('skeleton-http'),
    );
    expect(created.status).toBe(201);
    expect(created.body.delivery.status).toBe('PendingConfirmation');
    expect(created.body.delivery.report).toMatchObject({
      targeted: 10,
      toDeliver: 8,
      excluded: 2,
      exclusionsByReason: { InvalidSyntax: 1, Double: 1 },
      blocking: false,
    });
  });

  it('delivers over SMTP after confirmation: Sent for accepted mail, Failed / Hard / User unknown for a 550 5.1.1', async () => {
    expect((await http('POST', `${api}/v1/deliveries/skeleton-http/confirm`, {})).status).toBe(201);
    const { summary, messages } = await settledDelivery(api, 'skeleton-http');

    const byAddress = Object.fromEntries(messages.map((m: MessageRow) => [m.address, m]));
    expect(messages.filter((m) => m.status === 'Sent')).toHaveLength(7);
    expect(byAddress['bounce-hard@skeleton.sim']).toMatchObject({
      status: 'Failed',
      failureType: 'Hard',
      reason: 'UserUnknown',
      reasonCode: 1,
    });
    expect(byAddress['not-an-address']).toMatchObject({ status: 'Ignored', reason: 'InvalidSyntax' });
    expect(byAddress[' ADA@SKELETON.SIM ']).toMatchObject({
      status: 'Ignored',
      reason: 'Double',
      reasonCode: 10,
    });
    expect(byAddress['ada@skeleton.sim']).toMatchObject({ statusLabel: 'Sent' });
    expect(summary).toMatchObject({
      state: 'Finished',
      kpis: {
        toDeliver: 8,
        processed: 8,
        success: 7,
        successRate: 87.5,
        errors: 1,
        ignored: 2,
        pending: 0,
        takenIntoAccount: 0,
      },
    });
  });

  it('personalizes every message and signs it with DKIM (rsa-sha256) that verifies', async () => {
    const inbox = await verifyInboxSignatures(join(dir, 'inbox'), service.config.MTA_DKIM_KEYS_DIR);
    expect(inbox).toHaveLength(7);
    for (const message of inbox) {
      expect(message.dkim).toEqual([{ status: 'pass', algorithm: 'rsa-sha256' }]);
      expect(message.raw).toMatch(/^List-Unsubscribe:\s+<mailto:unsubscribe\+m[0-9a-f]{24}\./m);
    }
    expect(inbox.some((m) => /^Subject: Hello Grace\r?$/m.test(m.raw))).toBe(true);
  });

  it('takes the same commands from the event log as from HTTP', async () => {
    const deliveryId = 'skeleton-log';
    const envelope = (type: string, id: string, data: unknown) => ({
      specversion: '1.0' as const,
      id,
      source: '/tests/internal-service',
      type,
      time: new Date().toISOString(),
      subject: deliveryId,
      datacontenttype: 'application/json' as const,
      correlationid: 'corr-log',
      causationid: id,
      data,
    });
    await service.platform.eventLog.publish([
      envelope(
        'postwave.command.create-delivery.v1',
        'cmd-create-1',
        skeletonDelivery(deliveryId, 'log.sim'),
      ),
    ]);
    await waitFor('the planner to take the command', async () => {
      const plan = await http<{ status: string }>('GET', `${api}/v1/deliveries/${deliveryId}/plan`);
      return plan.status === 200 ? plan.body : undefined;
    });
    await service.platform.eventLog.publish([
      envelope('postwave.command.confirm-delivery.v1', 'cmd-confirm-1', { deliveryId }),
    ]);
    const { summary } = await settledDelivery(api, deliveryId);
    expect(summary.kpis).toMatchObject({ success: 7, errors: 1, ignored: 2 });
  });

  it('feeds the quarantine from the hard bounce, so a later delivery excludes that address', async () => {
    await waitFor('the hard-bounced address to be quarantined', async () => {
      const status = await http<{ blockedReason: string | null }>(
        'GET',
        `${api}/v1/addresses/bounce-hard@skeleton.sim`,
      );
      return status.body.blockedReason === 'Quarantined' ? true : undefined;
    });
    const created = await http<{ delivery: { report: unknown } }>(
      'POST',
      `${api}/v1/deliveries`,
      skeletonDelivery('skeleton-again'),
    );
    expect(created.body.delivery.report).toMatchObject({
      toDeliver: 7,
      exclusionsByReason: { InvalidSyntax: 1, Double: 1, Quarantined: 1 },
    });
  });

  it('rejects a bad command with 400 naming the field and the value, and keeps nothing of it', async () => {
    const bad = { ...skeletonDelivery('skeleton-bad'), validityHours: 'soon' };
    const response = await http<{ field: string; value: unknown; error: string }>(
      'POST',
      `${api}/v1/deliveries`,
      bad,
    );
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ field: 'data.validityHours', value: 'soon' });
    expect((await http('GET', `${api}/v1/deliveries/skeleton-bad/plan`)).status).toBe(404);
  });

  it('takes large inline audiences, and answers 413 naming the limit when a body is too large', async () => {
    const recipients = Array.from({ length: 3000 }, (_, i) => ({
      address: `reader${i}@big.sim`,
      attributes: { firstName: `R${i}`, code: 'X' },
    }));
    const big = await http<{ delivery: { report: { toDeliver: number } } }>('POST', `${api}/v1/deliveries`, {
      ...skeletonDelivery('skeleton-big'),
      recipients,
    });
    expect(big.status).toBe(201);
    expect(big.body.delivery.report.toDeliver).toBe(3000);
    const tooLarge = await http<{ error: string }>('POST', `${api}/v1/deliveries`, {
      padding: 'x'.repeat(65 * 1024 * 1024),
    });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.error).toMatch(/too large/i);
  });

  it('answers a repeated command id with the first outcome instead of acting twice', async () => {
    const body = skeletonDelivery('skeleton-idem');
    const first = await http<{ commandId: string }>('POST', `${api}/v1/deliveries`, body, {
      'idempotency-key': 'k-1',
    });
    const again = await http<{ commandId: string }>('POST', `${api}/v1/deliveries`, body, {
      'idempotency-key': 'k-1',
    });
    expect(first.status).toBe(201);
    expect(again).toEqual(first);
    const other = await http<{ code: string; field: string }>('POST', `${api}/v1/deliveries`, body, {
      'idempotency-key': 'k-2',
    });
    expect(other.status).toBe(409);
    expect(other.body).toMatchObject({ code: 'conflict', field: 'deliveryId', value: 'skeleton-idem' });
  });

  it('rebuilds the read model from the event log into exactly the live one', async () => {
    const snapshot = async () => {
      const deliveries = (await http<Array<{ deliveryId: string }>>('GET', `${api}/v1/deliveries`)).body;
      const logs = await Promise.all(
        deliveries.map(
          async (d) => (await http('GET', `${api}/v1/deliveries/${d.deliveryId}/messages`)).body,
        ),
      );
      return { deliveries, logs };
    };
    const live = await snapshot();
    const rebuilt = await http<{ replayed: number }>('POST', `${api}/v1/admin/rebuild`);
    expect(rebuilt.body.replayed).toBeGreaterThan(40);
    expect(await snapshot()).toEqual(live);
  });

  it('records one trace per delivery across planner, MTA, bounce qualifier and projector', async () => {
    const spans = exporter.getFinishedSpans();
    const creation = spans.find(
      (s) => s.name === 'planner create-delivery' && s.attributes['postwave.delivery_id'] === 'skeleton-http',
    );
    expect(creation).toBeDefined();
    const trace = spans
      .filter((s) => s.spanContext().traceId === creation!.spanContext().traceId)
      .map((s) => s.name);
    expect(trace).toEqual(
      expect.arrayContaining([
        'planner create-delivery',
        'planner confirm-delivery',
        'mta take message',
        'mta deliver',
        'bounce qualify failure',
      ]),
    );
    expect(trace.filter((name) => name.startsWith('project postwave.message.'))).not.toHaveLength(0);
  });
});
