import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOPICS } from '@postwave/contracts';
import { freePort, http, waitFor } from '@postwave/testing';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { ServiceProcess } from './service-process';

const BROKERS = process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092';
const ADMIN_URL = process.env['POSTGRES_ADMIN_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const run = randomUUID().slice(0, 8);
const database = `postwave_planners_${run}`;
const namespace = `planners-${run}.`;
const MEMBERS = 20_000;

/**
 * Two planner replicas on one PostgreSQL and Kafka: both sweep for analysis and emission work,
 * and the database leases let exactly one run each job, so every recipient of every delivery is
 * planned exactly once, whichever replica took the command.
 */
describe('delivery planner replicas sharing PostgreSQL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'postwave-planners-'));
  const services: ServiceProcess[] = [];
  let replicaA: string;
  let replicaB: string;
  const processes = new Map<string, ServiceProcess>();
  let pg: Client;

  beforeAll(async () => {
    const admin = new Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.end();
    const env = {
      DATABASE_URL: ADMIN_URL.replace(/\/[^/]+$/, `/${database}`),
      KAFKA_BROKERS: BROKERS,
      KAFKA_TOPIC_NAMESPACE: namespace,
      KAFKA_PARTITIONS: '4',
      HTTP_HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      // Short leases, so the takeover after a crash happens within the test.
      PLANNER_JOB_LEASE_MS: '3000',
    };
    const [portA, portB] = await Promise.all([freePort(), freePort()]);
    const start = (port: number, instance: string) =>
      ServiceProcess.start(
        'delivery-planner',
        { ...env, HTTP_PORT: String(port), POSTWAVE_INSTANCE: instance },
        dir,
        [],
        instance,
      );
    const a = start(portA, 'planner-a');
    processes.set('planner-a', a);
    const b = start(portB, 'planner-b');
    processes.set('planner-b', b);
    services.push(a, b);
    replicaA = `http://127.0.0.1:${portA}`;
    replicaB = `http://127.0.0.1:${portB}`;
    await Promise.all([a.healthy(replicaA), b.healthy(replicaB)]);
    pg = new Client({ connectionString: env.DATABASE_URL });
    await pg.connect();
  });

  afterAll(async () => {
    await pg?.end();
    await Promise.all(services.map((service) => service.stop()));
    const admin = new Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
    if (!process.env['KEEP_E2E_LOGS']) rmSync(dir, { recursive: true, force: true });
  });

  it('plans every recipient exactly once, whichever replica runs the analysis and the handover', async () => {
    const csv = [
      'email,firstName',
      ...Array.from({ length: MEMBERS }, (_, i) => `r${i}@replicas.sim,R${i}`),
    ].join('\n');
    const imported = await fetch(`${replicaA}/v1/audiences/shared/import?format=csv`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: csv,
    });
    expect(imported.status).toBe(201);

    const deliveries = ['via-a', 'via-b'];
    await Promise.all(
      deliveries.map((deliveryId) =>
        http('POST', `${deliveryId.startsWith('via-a') ? replicaA : replicaB}/v1/deliveries?wait=false`, {
          deliveryId,
          approvalMode: 'Automatic',
          content: { sender: { address: 'news@shop.example' }, subject: 'Hi {{ firstName }}', text: 'Hello' },
          target: { audience: 'shared' },
        }),
      ),
    );
    for (const deliveryId of deliveries)
      await waitFor(
        `${deliveryId} to be handed over`,
        async () =>
          (await http<{ status: string }>('GET', `${replicaB}/v1/deliveries/${deliveryId}/plan`)).body
            .status === 'InProgress'
            ? true
            : undefined,
        90_000,
      );

    const planned = await readPlanned('exactly-once', deliveries.length * MEMBERS);
    for (const deliveryId of deliveries) {
      const ids = (planned.get(deliveryId) ?? []).map((event) => event.messageId);
      expect({ deliveryId, planned: ids.length, distinct: new Set(ids).size }).toEqual({
        deliveryId,
        planned: MEMBERS,
        distinct: MEMBERS,
      });
    }
  });

  it('takes over the handover of a replica that died in the middle of it, losing no recipient', async () => {
    await http('POST', `${replicaA}/v1/deliveries?wait=false`, {
      deliveryId: 'takeover',
      approvalMode: 'Automatic',
      content: { sender: { address: 'news@shop.example' }, subject: 'Hi {{ firstName }}', text: 'Hello' },
      target: { audience: 'shared' },
    });
    const progress = async () =>
      (
        await pg.query<{ status: string; emitted: number; owner: string | null }>(
          'SELECT status, emitted, job_owner AS owner FROM planner_delivery WHERE delivery_id = $1',
          ['takeover'],
        )
      ).rows[0];
    // Kill the replica that holds the job once it has handed some, not all, messages over.
    const atCrash = await waitFor(
      'the handover to be under way',
      async () => {
        const row = await progress();
        return row?.status === 'StartPending' && row.emitted > 0 ? row : undefined;
      },
      60_000,
      20,
    );
    // job_owner names the instance holding the job: whichever replica that is, it dies.
    const holder = processes.get(atCrash.owner?.split(':')[0] ?? '');
    expect(holder).toBeDefined();
    await holder!.kill();
    const { emitted } = (await progress())!;

    await waitFor(
      'the other replica to finish the handover',
      async () => ((await progress())?.status === 'InProgress' ? true : undefined),
      60_000,
    );
    const planned = (await readPlanned('takeover', MEMBERS)).get('takeover') ?? [];
    expect(new Set(planned.map((event) => event.messageId)).size).toBe(MEMBERS);
    // A message relayed twice is the same event (same id), which consumers' inboxes drop.
    const idsByMessage = new Map<string, Set<string>>();
    for (const event of planned)
      idsByMessage.set(event.messageId, (idsByMessage.get(event.messageId) ?? new Set()).add(event.id));
    expect([...idsByMessage.values()].filter((ids) => ids.size > 1)).toEqual([]);
    // The crash landed mid-handover, and another replica finished the job.
    expect(emitted).toBeLessThan(MEMBERS);
    expect((await progress())?.owner).not.toBe(atCrash.owner);
  });

  /** Planned-message events on Kafka, by delivery, read from the beginning by a fresh group. */
  async function readPlanned(group: string, atLeast: number) {
    const kafka = new Kafka({
      clientId: `e2e-planners-${run}`,
      brokers: BROKERS.split(','),
      logLevel: logLevel.NOTHING,
    });
    const consumer = kafka.consumer({ groupId: `e2e-planners-${run}-${group}` });
    const planned = new Map<string, { messageId: string; id: string }[]>();
    await consumer.connect();
    await consumer.subscribe({ topic: namespace + TOPICS.messageEvents, fromBeginning: true });
    let seen = 0;
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (message.headers?.['ce_type']?.toString() !== 'postwave.message.planned.v1') return;
        const data = JSON.parse(message.value!.toString()) as { deliveryId: string; messageId: string };
        if (group !== 'exactly-once' && data.deliveryId !== group) return;
        seen++;
        const events = planned.get(data.deliveryId) ?? [];
        events.push({ messageId: data.messageId, id: message.headers?.['ce_id']?.toString() ?? '' });
        planned.set(data.deliveryId, events);
      },
    });
    await waitFor(
      'the planned messages to be read back',
      async () => (seen >= atLeast ? true : undefined),
      90_000,
    );
    // Anything relayed twice would arrive right behind the rest.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await consumer.disconnect();
    return planned;
  }
});
