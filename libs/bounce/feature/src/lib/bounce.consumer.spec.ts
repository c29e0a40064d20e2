import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOPICS, type Fact } from '@postwave/contracts';
import {
  EnvelopeFactory,
  openPlatform,
  type ConsumedEvent,
  type EventTx,
  type Platform,
} from '@postwave/platform/eventing';
import { createLogger } from '@postwave/platform/observability';
import { BounceConsumer } from './bounce.consumer';
import { bounceEntities } from './bounce.entities';

const logger = createLogger({ service: 'test', level: 'silent', destination: { write: () => undefined } });
const factory = new EnvelopeFactory('/test/mta');
const ADDRESS = 'ada@full.example';
const at = (minute: number) => new Date(Date.UTC(2026, 10, 27, 10, minute)).toISOString();

const planned = (messageId: string): Fact => ({
  type: 'postwave.message.planned.v1',
  subject: messageId,
  data: {
    messageId,
    deliveryId: 'd1',
    address: ADDRESS,
    domain: 'full.example',
    attributes: {},
    validUntil: at(59),
  },
});
const deferred = (messageId: string, minute: number): Fact => ({
  type: 'postwave.message.deferred.v1',
  subject: messageId,
  data: {
    messageId,
    deliveryId: 'd1',
    attempt: 1,
    reply: '452 4.2.2 Mailbox full',
    failureType: 'Soft',
    reason: 'MailboxFull',
    reasonCode: 5,
    rule: 'smtp-4.2.2',
    nextAttemptAt: at(minute + 1),
  },
});
const sent = (messageId: string, minute: number): Fact => ({
  type: 'postwave.message.sent.v1',
  subject: messageId,
  data: {
    messageId,
    deliveryId: 'd1',
    attempt: 2,
    reply: '250 2.0.0 Ok',
    mxHost: 'mx.full.example',
    at: at(minute),
  },
});

/**
 * The bounce consumer keeps planned messages and clears an address's soft errors on delivery by
 * consumer batch: the order of each message's events must still decide the counter.
 */
describe('BounceConsumer in consumer batches', () => {
  let dir: string;
  let platform: Platform;
  const consumer = new BounceConsumer({
    smtpHost: '127.0.0.1',
    smtpPort: null,
    verpSecret: 'a-verp-secret-of-32-characters!!',
    hostname: 'bounces.test',
    maxSize: 1_000_000,
    softErrors: { maxErrors: 3, periodMs: 0, resetAfterMs: 30 * 86_400_000 },
  });
  const handle = (event: ConsumedEvent, tx: EventTx) => {
    const context = { event, tx };
    switch (event.envelope.type) {
      case 'postwave.message.planned.v1':
        return consumer.planned(context);
      case 'postwave.message.failed.v1':
      case 'postwave.message.bounced.v1':
        return consumer.failed(context);
      default:
        return consumer.attempt(context);
    }
  };
  const errors = () =>
    platform.db.read(
      (em) => em.query('SELECT address, count, quarantined FROM bq_address_errors') as Promise<unknown[]>,
    );

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pw-bounce-consumer-'));
    platform = await openPlatform({
      mode: { kind: 'embedded', sqlitePath: join(dir, 'bounce.sqlite') },
      clientId: 'bounce-test',
      instance: 'test',
      logger,
      entities: [bounceEntities],
    });
  });
  afterEach(async () => {
    await platform.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts the errors after a delivery and not those before it, in one batch', async () => {
    await platform.eventLog.publish(
      factory.wrap(
        [
          planned('m1'),
          deferred('m1', 1),
          deferred('m1', 3),
          sent('m1', 5),
          planned('m2'),
          deferred('m2', 7),
        ],
        { correlationId: 'c', causationId: 'test' },
      ),
    );

    expect(
      await platform.eventLog.replay({ group: 'bounce-qualifier', topics: [TOPICS.messageEvents], handle }),
    ).toBe(6);

    expect(await errors()).toEqual([{ address: ADDRESS, count: 1, quarantined: 0 }]);
  });

  it('clears the errors of an address whose message was planned in the same batch', async () => {
    await platform.eventLog.publish(
      factory.wrap([planned('m1'), deferred('m1', 1), deferred('m1', 3)], {
        correlationId: 'c',
        causationId: 't',
      }),
    );
    await platform.eventLog.replay({ group: 'bounce-qualifier', topics: [TOPICS.messageEvents], handle });
    expect(await errors()).toEqual([{ address: ADDRESS, count: 2, quarantined: 0 }]);

    await platform.eventLog.publish(
      factory.wrap([planned('m2'), sent('m2', 5)], { correlationId: 'c', causationId: 't' }),
    );
    await platform.eventLog.replay({ group: 'bounce-qualifier', topics: [TOPICS.messageEvents], handle });

    expect(await errors()).toEqual([]);
  });
});
