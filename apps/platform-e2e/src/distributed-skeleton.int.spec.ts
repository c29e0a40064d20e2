import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOPICS, type Envelope } from '@postwave/contracts';
import { MailboxSimulator } from '@postwave/mail-simulator';
import { toKafkaMessage } from '@postwave/platform/eventing';
import {
  freePort,
  http,
  settledDelivery,
  skeletonDelivery,
  verifyInboxSignatures,
  waitFor,
  type DeliverySummary,
  type MessageRow,
} from '@postwave/testing';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { ServiceProcess } from './service-process';

const BROKERS = process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092';
const ADMIN_URL = process.env['POSTGRES_ADMIN_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const run = randomUUID().slice(0, 8);
const namespace = `e2e-${run}.`;
const database = `postwave_e2e_${run}`;

/**
 * The walking skeleton on the distributed mode: the four services as separate processes on a real
 * Kafka broker and a real PostgreSQL, delivering over real SMTP to the mailbox simulator.
 */
describe('the distributed mode sends a delivery end to end on Kafka and PostgreSQL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'postwave-e2e-'));
  const kafka = new Kafka({ clientId: 'e2e', brokers: BROKERS.split(','), logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  const services: ServiceProcess[] = [];
  let simulator: MailboxSimulator;
  let planner: string;
  let projector: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    const admin = new Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.end();

    const [plannerPort, mtaPort, bouncePort, bounceSmtpPort, projectorPort] = await Promise.all(
      [1, 2, 3, 4, 5].map(() => freePort()),
    );
    simulator = await MailboxSimulator.start({
      port: 0,
      inboxDir: join(dir, 'inbox'),
      dsnReturn: { host: '127.0.0.1', port: bounceSmtpPort! },
    });
    env = {
      DATABASE_URL: ADMIN_URL.replace(/\/[^/]+$/, `/${database}`),
      KAFKA_BROKERS: BROKERS,
      KAFKA_TOPIC_NAMESPACE: namespace,
      KAFKA_PARTITIONS: '3',
      LOG_LEVEL: 'info',
      HTTP_HOST: '127.0.0.1',
      MTA_VERP_SECRET: `e2e-secret-${run}-0123456789`,
      MTA_ROUTES: `skeleton.sim=127.0.0.1:${simulator.port};kafka.sim=127.0.0.1:${simulator.port}`,
      MTA_DKIM_GENERATE: 'true',
      MTA_DKIM_KEYS_DIR: join(dir, 'dkim'),
      BOUNCE_SMTP_HOST: '127.0.0.1',
      BOUNCE_SMTP_PORT: String(bounceSmtpPort),
    };
    const start = (app: string, port: number) =>
      ServiceProcess.start(app, { ...env, HTTP_PORT: String(port) }, dir);
    const started = [
      [start('delivery-planner', plannerPort!), plannerPort],
      [start('sending-mta', mtaPort!), mtaPort],
      [start('bounce-qualifier', bouncePort!), bouncePort],
      [start('feedback-projector', projectorPort!), projectorPort],
    ] as const;
    services.push(...started.map(([service]) => service));
    await Promise.all(started.map(([service, port]) => service.healthy(`http://127.0.0.1:${port}`)));
    planner = `http://127.0.0.1:${plannerPort}`;
    projector = `http://127.0.0.1:${projectorPort}`;
    await producer.connect();
  });

  afterAll(async () => {
    await producer.disconnect();
    const codes = await Promise.all(services.map((service) => service.stop()));
    await simulator?.stop();
    const admin = new Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
    // KEEP_E2E_LOGS=1 keeps the services' logs, the inbox and the DKIM keys for a post-mortem.
    if (process.env['KEEP_E2E_LOGS']) process.stdout.write(`e2e files kept in ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
    expect(codes).toEqual([0, 0, 0, 0]);
  });

  const dumpLogs = (error: unknown) => {
    throw new Error(
      `${(error as Error).message}\n${services.map((s) => `--- ${s.name} ---\n${s.tail(15)}`).join('\n')}`,
    );
  };

  it('analyzes, confirms and delivers a delivery posted over HTTP', async () => {
    const created = await http<{ delivery: { report: unknown } }>(
      'POST',
      `${planner}/v1/deliveries`,
      skeletonDelivery('dist-http'),
    );
    expect(created.status).toBe(201);
    expect(created.body.delivery.report).toMatchObject({
      targeted: 10,
      toDeliver: 8,
      exclusionsByReason: { InvalidSyntax: 1, Double: 1 },
    });
    expect((await http('POST', `${planner}/v1/deliveries/dist-http/confirm`, {})).status).toBe(201);

    const { summary, messages } = await settledDelivery(projector, 'dist-http', 10, 90_000).catch(dumpLogs);
    const byAddress = Object.fromEntries(messages.map((m: MessageRow) => [m.address, m]));
    expect(byAddress['bounce-hard@skeleton.sim']).toMatchObject({
      status: 'Failed',
      failureType: 'Hard',
      reason: 'UserUnknown',
      reasonCode: 1,
    });
    expect(byAddress['not-an-address']).toMatchObject({ status: 'Ignored', reason: 'InvalidSyntax' });
    expect(summary.kpis).toMatchObject({
      toDeliver: 8,
      processed: 8,
      success: 7,
      successRate: 87.5,
      errors: 1,
      ignored: 2,
    });
  });

  it('takes CreateDelivery and ConfirmDelivery published on the Kafka command topic', async () => {
    const command = (type: string, data: unknown): Envelope => {
      const id = randomUUID();
      return {
        specversion: '1.0',
        id,
        source: '/e2e/internal-service',
        type,
        time: new Date().toISOString(),
        subject: 'dist-kafka',
        datacontenttype: 'application/json',
        correlationid: id,
        causationid: id,
        data,
      };
    };
    const topic = namespace + TOPICS.deliveryCommands;
    await producer.send({
      topic,
      messages: [
        toKafkaMessage(
          command('postwave.command.create-delivery.v1', skeletonDelivery('dist-kafka', 'kafka.sim')),
        ),
      ],
    });
    await waitFor(
      'the planner to take the Kafka command',
      async () =>
        (await http<{ status: string }>('GET', `${planner}/v1/deliveries/dist-kafka/plan`)).body.status ===
        'PendingConfirmation'
          ? true
          : undefined,
      60_000,
    ).catch(dumpLogs);
    await producer.send({
      topic,
      messages: [
        toKafkaMessage(command('postwave.command.confirm-delivery.v1', { deliveryId: 'dist-kafka' })),
      ],
    });
    const { summary } = await settledDelivery(projector, 'dist-kafka', 10, 90_000).catch(dumpLogs);
    expect(summary.kpis).toMatchObject({ success: 7, errors: 1, ignored: 2 });
  });

  it('signs every delivered message with DKIM that verifies', async () => {
    const inbox = await verifyInboxSignatures(join(dir, 'inbox'), env['MTA_DKIM_KEYS_DIR']!);
    expect(inbox).toHaveLength(14);
    expect(
      inbox.filter((m) => m.dkim.length !== 1 || m.dkim[0]!.status !== 'pass').map((m) => m.dkim),
    ).toEqual([]);
  });

  it('carries one trace per delivery across the services in the Kafka headers', async () => {
    const consumer = kafka.consumer({ groupId: `e2e-trace-${run}` });
    const traces = new Map<string, Set<string>>();
    await consumer.connect();
    await consumer.subscribe({ topic: namespace + TOPICS.messageEvents, fromBeginning: true });
    let seen = 0;
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen++;
        const data = JSON.parse(message.value!.toString()) as { deliveryId: string };
        const traceId = message.headers?.['traceparent']?.toString().split('-')[1];
        const sources = traces.get(data.deliveryId) ?? new Set();
        if (traceId) sources.add(traceId);
        traces.set(data.deliveryId, sources);
      },
    });
    // 10 recipients per delivery: excluded, or planned + taken + sent/failed; the hard bounce may add more.
    await waitFor(
      'the message events to be read back',
      async () => (seen >= 2 * (2 + 8 * 3) ? true : undefined),
      30_000,
    );
    await consumer.disconnect();
    expect(traces.get('dist-http')?.size).toBe(1);
    expect(traces.get('dist-kafka')?.size).toBe(1);
    expect(traces.get('dist-http')).not.toEqual(traces.get('dist-kafka'));
  });

  it('rebuilds the read model from the Kafka topics into exactly the live one', async () => {
    const snapshot = async () => ({
      deliveries: (await http('GET', `${projector}/v1/deliveries`)).body,
      http: (await http('GET', `${projector}/v1/deliveries/dist-http/messages`)).body,
      kafka: (await http('GET', `${projector}/v1/deliveries/dist-kafka/messages`)).body,
    });
    const live = await snapshot();
    const rebuild = ServiceProcess.start(
      'feedback-projector',
      { ...env, HTTP_PORT: '0', KAFKA_CLIENT_ID: 'e2e-rebuild' },
      dir,
      ['rebuild'],
    );
    expect(await rebuild.exitCode()).toBe(0);
    expect(rebuild.tail()).toMatch(/"replayed":\d+/);
    expect(await snapshot()).toEqual(live);
  });

  it('imports an audience over HTTP and sends a delivery to it in waves, commanded over Kafka', async () => {
    const csv = ['email,firstName', ...[0, 1, 2, 3].map((i) => `wave${i}@kafka.sim,W${i}`)].join('\n');
    const imported = await fetch(`${planner}/v1/audiences/dist-audience/import?format=csv`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: csv,
    });
    expect(imported.status).toBe(201);
    expect(await imported.json()).toMatchObject({ imported: 4, members: 4 });
    const id = randomUUID();
    await producer.send({
      topic: namespace + TOPICS.deliveryCommands,
      messages: [
        toKafkaMessage({
          specversion: '1.0',
          id,
          source: '/e2e/internal-service',
          type: 'postwave.command.create-delivery.v1',
          time: new Date().toISOString(),
          subject: 'dist-waves',
          datacontenttype: 'application/json',
          correlationid: id,
          causationid: id,
          data: {
            deliveryId: 'dist-waves',
            approvalMode: 'Automatic',
            content: {
              sender: { address: 'news@shop.example' },
              subject: 'Hi {{ firstName }}',
              text: 'Hello',
            },
            target: { audience: 'dist-audience' },
            waves: { kind: 'same-size', size: '50%', periodHours: 48 },
          },
        }),
      ],
    });
    const settled = await waitFor(
      'the first wave to be sent and the second to wait',
      async () => {
        const summary = (await http<DeliverySummary>('GET', `${projector}/v1/deliveries/dist-waves`)).body;
        return summary?.kpis?.success === 2 && summary.kpis.pending === 2 ? summary : undefined;
      },
      90_000,
    ).catch(dumpLogs);
    expect(settled.state).toBe('InProgress');
    const plan = await http<{ status: string; report: { waves: unknown[] } }>(
      'GET',
      `${planner}/v1/deliveries/dist-waves/plan`,
    );
    expect(plan.body).toMatchObject({
      status: 'InProgress',
      report: {
        waves: [
          { index: 0, offsetHours: 0, size: 2 },
          { index: 1, offsetHours: 48, size: 2 },
        ],
      },
    });
  });
});
