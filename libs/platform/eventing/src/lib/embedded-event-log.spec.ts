import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOPICS, type Envelope } from '@postwave/contracts';
import { createLogger } from '@postwave/platform/observability';
import { Database } from '@postwave/platform/persistence';
import { EmbeddedEventLog } from './embedded-event-log';
import { eventingEntities } from './entities';
import { EnvelopeFactory } from './envelope-factory';
import type { ConsumedEvent } from './event-log.port';

const logger = createLogger({ service: 'test', level: 'silent' });
const factory = new EnvelopeFactory('/test');

const taken = (messageId: string): Envelope =>
  factory.wrap(
    [
      {
        type: 'postwave.message.taken-into-account.v1',
        subject: messageId,
        data: { messageId, deliveryId: 'd1', mta: 'mta-1', at: '2026-01-01T00:00:00.000Z' },
      },
    ],
    { correlationId: 'c1', causationId: 'x' },
  )[0]!;

const until = async (predicate: () => boolean, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe('embedded event log', () => {
  let dir: string;
  let db: Database;
  let log: EmbeddedEventLog;

  const open = async () => {
    db = await Database.open({
      kind: 'sqlite',
      location: join(dir, 'log.sqlite'),
      entities: eventingEntities('sqlite'),
    });
    log = new EmbeddedEventLog(db, logger);
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pw-log-'));
    await open();
  });
  afterEach(async () => {
    await log.stop();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers every event to each consumer group in append order', async () => {
    const events = ['m1', 'm2', 'm3', 'm1'].map(taken);
    await log.publish(events);
    const seenA: string[] = [];
    const seenB: string[] = [];
    const a = await log.subscribe({
      group: 'a',
      topics: [TOPICS.messageEvents],
      handle: async (e) => void seenA.push(e.envelope.id),
    });
    const b = await log.subscribe({
      group: 'b',
      topics: [TOPICS.messageEvents],
      handle: async (e) => void seenB.push(e.envelope.id),
    });
    await until(() => seenA.length === 4 && seenB.length === 4);
    expect(seenA).toEqual(events.map((e) => e.id));
    expect(seenB).toEqual(seenA);
    await a.stop();
    await b.stop();
  });

  it('moves a group that wants some types past the others, so they are read once, not at every poll', async () => {
    const sent = (messageId: string): Envelope =>
      factory.wrap(
        [
          {
            type: 'postwave.message.sent.v1',
            subject: messageId,
            data: {
              messageId,
              deliveryId: 'd1',
              mta: 'mta-1',
              attempt: 1,
              reply: '250 ok',
              mxHost: 'mx',
              at: '2026-01-01T00:00:00.000Z',
            },
          },
        ],
        { correlationId: 'c1', causationId: 'x' },
      )[0]!;
    await log.publish([taken('m1'), ...['m1', 'm2', 'm3', 'm4'].map(sent)]);
    const seen: string[] = [];
    await log.subscribe({
      group: 'only-taken',
      topics: [TOPICS.messageEvents],
      types: ['postwave.message.taken-into-account.v1'],
      handle: async (e) => void seen.push(e.envelope.subject),
    });
    await until(() => seen.length === 1);
    // The offset committed with the one wanted event already covers the four unwanted ones after it.
    expect(await log.committedOffset('only-taken')).toBe(5);
    expect(seen).toEqual(['m1']);
  });

  it('resumes a group from its committed offset after a restart', async () => {
    await log.publish(['m1', 'm2'].map(taken));
    const seen: string[] = [];
    const sub = await log.subscribe({
      group: 'g',
      topics: [TOPICS.messageEvents],
      handle: async (e) => void seen.push(e.envelope.subject),
    });
    await until(() => seen.length === 2);
    await sub.stop();
    await log.stop();
    await db.close();

    await open();
    await log.publish([taken('m3')]);
    const after: string[] = [];
    await log.subscribe({
      group: 'g',
      topics: [TOPICS.messageEvents],
      handle: async (e) => void after.push(e.envelope.subject),
    });
    await until(() => after.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(after).toEqual(['m3']);
  });

  it('rolls a failed batch back and redelivers it, so nothing is lost or applied twice', async () => {
    await log.publish(['m1', 'm2'].map(taken));
    let failures = 0;
    const applied: string[] = [];
    await log.subscribe({
      group: 'g',
      topics: [TOPICS.messageEvents],
      handle: async (e: ConsumedEvent) => {
        applied.push(e.envelope.subject);
        if (e.envelope.subject === 'm2' && failures++ === 0) throw new Error('transient');
      },
    });
    await until(() => applied.filter((s) => s === 'm2').length === 2, 3000);
    expect(applied).toEqual(['m1', 'm2', 'm1', 'm2']);
  });

  it('replays from zero to the end for a rebuild, then stops', async () => {
    await log.publish(['m1', 'm2', 'm3'].map(taken));
    const replayed: string[] = [];
    const count = await log.replay({
      group: 'rebuild',
      topics: [TOPICS.messageEvents],
      handle: async (e) => void replayed.push(e.envelope.subject),
    });
    expect(count).toBe(3);
    expect(replayed).toEqual(['m1', 'm2', 'm3']);
  });

  it('skips events the group already applied when they are delivered again', async () => {
    const event = taken('m1');
    await log.publish([event]);
    const seen: string[] = [];
    await log.replay({
      group: 'g',
      topics: [TOPICS.messageEvents],
      handle: async (e) => void seen.push(e.envelope.id),
    });
    const again = await log.replay({
      group: 'g',
      topics: [TOPICS.messageEvents],
      handle: async (e) => void seen.push(e.envelope.id),
    });
    expect(seen).toEqual([event.id]);
    expect(again).toBe(0);
  });
});
