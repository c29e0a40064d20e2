import { randomUUID } from 'node:crypto';
import { TOPICS, type Envelope } from '@postwave/contracts';
import { createLogger } from '@postwave/platform/observability';
import { Database } from '@postwave/platform/persistence';
import { Client } from 'pg';
import { eventingEntities } from './entities';
import { EnvelopeFactory } from './envelope-factory';
import type { ConsumedEvent, Subscription } from './event-log.port';
import { KafkaEventLog } from './kafka-event-log';

const BROKERS = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
const ADMIN_URL = process.env['POSTGRES_ADMIN_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const run = randomUUID().slice(0, 8);
const database = `postwave_eventing_${run}`;
const logger = createLogger({ service: 'test', level: 'silent' });
const factory = new EnvelopeFactory('/test');

const taken = (messageId: string, n: number): Envelope =>
  factory.wrap(
    [
      {
        type: 'postwave.message.taken-into-account.v1',
        subject: messageId,
        data: { messageId, deliveryId: 'd1', mta: `n${n}`, at: '2026-01-01T00:00:00.000Z' },
      },
    ],
    { correlationId: 'c1', causationId: 'x' },
  )[0]!;

const until = async (what: string, predicate: () => boolean, ms = 60_000) => {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

/** The Kafka adapter keeps the port's promises on a real broker and a real PostgreSQL outbox. */
describe('Kafka event log (outbox on PostgreSQL, consumer groups on Kafka)', () => {
  let db: Database;
  let log: KafkaEventLog;
  const subscriptions: Subscription[] = [];
  const open = () =>
    new KafkaEventLog(
      db,
      {
        brokers: BROKERS,
        clientId: 'eventing-test',
        partitions: 3,
        replicationFactor: 1,
        topicNamespace: `it-${run}.`,
      },
      logger,
    );

  beforeAll(async () => {
    const admin = new Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.end();
    db = await Database.open({
      kind: 'postgres',
      location: ADMIN_URL.replace(/\/[^/]+$/, `/${database}`),
      entities: eventingEntities('postgres'),
    });
    log = open();
    await log.start();
  });

  afterAll(async () => {
    await Promise.all(subscriptions.map((s) => s.stop()));
    await log.stop();
    await db.close();
    const admin = new Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });

  it('relays the outbox and keeps each key in order for every consumer group', async () => {
    const events = Array.from({ length: 30 }, (_, n) => taken(`m${n % 5}`, n));
    await log.publish(events);
    const seen = { a: [] as Envelope[], b: [] as Envelope[] };
    for (const group of ['a', 'b'] as const) {
      subscriptions.push(
        await log.subscribe({
          group: `${group}-${run}`,
          topics: [TOPICS.messageEvents],
          handle: async (e: ConsumedEvent) => void seen[group].push(e.envelope),
        }),
      );
    }
    await until('both groups to see all 30 events', () => seen.a.length === 30 && seen.b.length === 30);
    for (const group of [seen.a, seen.b]) {
      for (let key = 0; key < 5; key++) {
        const order = group.filter((e) => e.subject === `m${key}`).map((e) => e.id);
        expect(order).toEqual(events.filter((e) => e.subject === `m${key}`).map((e) => e.id));
      }
    }
    const [{ count }] = await db.dataSource.query('SELECT count(*)::int AS count FROM outbox');
    expect(count).toBe(0);
  });

  it('redelivers a batch whose handler failed, and the inbox applies each event once', async () => {
    const events = ['r1', 'r2', 'r3'].map((id, n) => taken(id, n));
    let failed = false;
    const applied: string[] = [];
    subscriptions.push(
      await log.subscribe({
        group: `retry-${run}`,
        topics: [TOPICS.messageEvents],
        handle: async (e, tx) => {
          if (!e.envelope.subject.startsWith('r')) return;
          await tx.em.query('SELECT 1');
          if (e.envelope.subject === 'r2' && !failed) {
            failed = true;
            throw new Error('transient failure');
          }
          applied.push(e.envelope.id);
        },
      }),
    );
    await log.publish(events);
    await until('the three events to be applied', () => applied.length >= 3);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(new Set(applied).size).toBe(applied.length);
    expect(applied.sort()).toEqual(events.map((e) => e.id).sort());
  });

  it('replays a topic from offset zero to its end for a rebuild', async () => {
    const replayed: string[] = [];
    const count = await log.replay({
      group: `replay-${run}`,
      topics: [TOPICS.messageEvents],
      handle: async (e) => void replayed.push(e.envelope.id),
    });
    expect(count).toBe(33);
    expect(new Set(replayed).size).toBe(33);
  });

  it('emits follow-up events atomically with the handler, through the outbox', async () => {
    const followUps: string[] = [];
    subscriptions.push(
      await log.subscribe({
        group: `emit-${run}`,
        topics: [TOPICS.deliveryEvents],
        handle: async (e, tx) => {
          if (e.envelope.type === 'postwave.delivery.confirmed.v1') {
            await tx.emit([taken(`follow-${e.envelope.subject}`, 99)]);
          }
        },
      }),
      await log.subscribe({
        group: `watch-${run}`,
        topics: [TOPICS.messageEvents],
        handle: async (e) =>
          void (e.envelope.subject.startsWith('follow-') && followUps.push(e.envelope.subject)),
      }),
    );
    await log.publish(
      factory.wrap(
        [
          {
            type: 'postwave.delivery.confirmed.v1',
            subject: 'd9',
            data: { deliveryId: 'd9', confirmedAt: 'now', validUntil: 'later', messageCount: 1 },
          },
        ],
        { correlationId: 'c9', causationId: 'c9' },
      ),
    );
    await until('the follow-up event to arrive', () => followUps.length === 1);
    expect(followUps).toEqual(['follow-d9']);
  });

  it('forgets handled events once they are older than the inbox retention, keeping recent ones', async () => {
    const count = async () =>
      Number(
        (
          (await db.read((em) => em.query('SELECT COUNT(*) AS n FROM processed_event'))) as { n: string }[]
        )[0]!.n,
      );
    const before = await count();
    expect(before).toBeGreaterThan(0);
    expect(await log.pruneInbox()).toBe(0);
    expect(await log.pruneInbox(Date.now() + 8 * 24 * 3_600_000)).toBe(before);
    expect(await count()).toBe(0);
  });
});
