import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Envelope, Fact } from '@postwave/contracts';
import type { MessageLog } from '@postwave/feedback/domain';
import {
  EmbeddedEventLog,
  EnvelopeFactory,
  forgetGroup,
  openPlatform,
  type ConsumedEnvelope,
  type ConsumedEvent,
  type EventTx,
  type Platform,
} from '@postwave/platform/eventing';
import { createLogger } from '@postwave/platform/observability';
import { deliverySummary, FEEDBACK_GROUP, FEEDBACK_TOPICS, FeedbackProjection } from './feedback-projection';
import { feedbackEntities, type DeliveryRow } from './feedback.entities';

const logger = createLogger({ service: 'feedback-feature-test', level: 'silent' });
const at = '2026-03-01T10:00:00.000Z';
let clock = Date.parse(at);
const factory = new EnvelopeFactory('/tests/planner', () => new Date((clock += 1000)));
const wrap = (...facts: Fact[]): Envelope[] =>
  factory.wrap(facts, { correlationId: 'corr-1', causationId: 'cmd-1' });

const ids = (messageId: string) => ({ messageId, deliveryId: 'd1' });
const report = {
  targeted: 3,
  toDeliver: 2,
  excluded: 1,
  exclusionsByReason: { InvalidSyntax: 1 },
  findings: [],
};

const created: Fact = {
  type: 'postwave.delivery.created.v1',
  subject: 'd1',
  data: {
    deliveryId: 'd1',
    label: 'Spring sale',
    content: { sender: { address: 'news@shop.example' }, subject: 'Hello {{ firstName }}', text: 'Hi' },
    validityHours: 120,
    approvalMode: 'Manual',
    createdAt: at,
  },
};
const excluded: Fact = {
  type: 'postwave.message.excluded.v1',
  subject: 'm-x',
  data: {
    ...ids('m-x'),
    address: 'not-an-address',
    failureType: 'Hard',
    reason: 'InvalidSyntax',
    reasonCode: 201,
  },
};
const analyzed: Fact = {
  type: 'postwave.delivery.analyzed.v1',
  subject: 'd1',
  data: { deliveryId: 'd1', report: { ...report, blocking: false }, analyzedAt: at },
};
const confirmed: Fact = {
  type: 'postwave.delivery.confirmed.v1',
  subject: 'd1',
  data: { deliveryId: 'd1', confirmedAt: at, validUntil: '2026-03-06T10:00:00.000Z', messageCount: 2 },
};
const planned = (messageId: string, address: string): Fact => ({
  type: 'postwave.message.planned.v1',
  subject: messageId,
  data: { ...ids(messageId), address, domain: 'example.com', attributes: {}, validUntil: at },
});
const taken = (messageId: string): Fact => ({
  type: 'postwave.message.taken-into-account.v1',
  subject: messageId,
  data: { ...ids(messageId), mta: 'mta-1', at },
});
const sent: Fact = {
  type: 'postwave.message.sent.v1',
  subject: 'm1',
  data: { ...ids('m1'), attempt: 1, reply: '250 2.0.0 OK', mxHost: 'mx.example.com', at },
};
const failed: Fact = {
  type: 'postwave.message.failed.v1',
  subject: 'm2',
  data: {
    ...ids('m2'),
    attempt: 1,
    reply: '550 5.1.1 unknown user',
    failureType: 'Hard',
    reason: 'UserUnknown',
    reasonCode: 1,
    rule: 'smtp-5.1.1',
    expired: false,
    at,
  },
};

const wholeDelivery = () =>
  wrap(
    created,
    excluded,
    analyzed,
    confirmed,
    planned('m1', 'ada@example.com'),
    planned('m2', 'gone@example.com'),
    taken('m1'),
    taken('m2'),
    sent,
    failed,
  );

describe('feedback projection on the embedded event log', () => {
  let dir: string;
  let platform: Platform;
  let projection: FeedbackProjection;

  const snapshot = () =>
    platform.db.read(async (em) => ({
      deliveries: await em.find<DeliveryRow>('FeedbackDelivery', { order: { deliveryId: 'ASC' } }),
      messages: await em.find<MessageLog>('FeedbackMessageLog', { order: { messageId: 'ASC' } }),
    }));
  const project = () =>
    platform.eventLog.replay({
      group: FEEDBACK_GROUP,
      topics: FEEDBACK_TOPICS,
      handle: (event, tx) => projection.apply(tx.em, event.envelope),
    });
  const applyDirectly = (envelopes: readonly Envelope[]) =>
    platform.db.transaction(async (em) => {
      for (const envelope of envelopes) await projection.apply(em, envelope as ConsumedEnvelope);
    });
  const deliveryRow = async () => {
    const row = (await snapshot()).deliveries[0];
    if (!row) throw new Error('no fb_delivery row for d1');
    return row;
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pw-feedback-'));
    platform = await openPlatform({
      mode: { kind: 'embedded', sqlitePath: join(dir, 'feedback.sqlite') },
      clientId: 'feedback-test',
      instance: 'test',
      logger,
      entities: [feedbackEntities],
    });
    projection = new FeedbackProjection(platform.db, platform.eventLog);
  });

  afterEach(async () => {
    await platform.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('builds the delivery header, its status counts and one log row per message from the events', async () => {
    await platform.eventLog.publish(wholeDelivery());

    expect(await project()).toBe(10);

    const { deliveries, messages } = await snapshot();
    expect(deliveries).toEqual([
      {
        deliveryId: 'd1',
        label: 'Spring sale',
        messageCount: 2,
        subject: 'Hello {{ firstName }}',
        state: 'InProgress',
        createdAt: at,
        targeted: 3,
        analysisRun: 0,
        proofs: 0,
        report: expect.stringContaining('"targeted":3'),
        startAt: at,
        validUntil: '2026-03-06T10:00:00.000Z',
        pending: 0,
        takenIntoAccount: 0,
        sent: 1,
        failed: 1,
        ignored: 1,
        canceled: 0,
      },
    ]);
    expect(messages).toEqual([
      expect.objectContaining({
        messageId: 'm-x',
        status: 'Ignored',
        reason: 'InvalidSyntax',
        reasonCode: 201,
      }),
      expect.objectContaining({
        messageId: 'm1',
        address: 'ada@example.com',
        status: 'Sent',
        reason: null,
        lastReply: '250 2.0.0 OK',
        attempts: 1,
      }),
      expect.objectContaining({
        messageId: 'm2',
        address: 'gone@example.com',
        status: 'Failed',
        failureType: 'Hard',
        reason: 'UserUnknown',
        reasonCode: 1,
      }),
    ]);
  });

  it('counts messages projected before their delivery header events (they travel on another topic)', async () => {
    await applyDirectly(
      wrap(planned('m1', 'ada@example.com'), taken('m1'), sent, planned('m2', 'gone@example.com')),
    );
    await applyDirectly(wrap(created, confirmed));

    expect(await deliveryRow()).toMatchObject({
      deliveryId: 'd1',
      label: 'Spring sale',
      messageCount: 2,
      pending: 1,
      takenIntoAccount: 0,
      sent: 1,
    });
  });

  it('writes the same rows when a consumer batch buffers message events as when each is applied alone', async () => {
    // A second analysis voids the first run's exclusion: delivery events in the middle of a batch
    // must see the message events before them.
    const analysisStarted = (run: number): Fact => ({
      type: 'postwave.delivery.analysis-started.v1',
      subject: 'd1',
      data: { deliveryId: 'd1', run, at },
    });
    const excludedInRun1: Fact = {
      type: 'postwave.message.excluded.v1',
      subject: 'm-r1',
      data: {
        ...ids('m-r1'),
        address: 'x@',
        failureType: 'Hard',
        reason: 'InvalidSyntax',
        reasonCode: 201,
        analysisRun: 1,
      },
    };
    const rerun = [analysisStarted(1), excludedInRun1, analysisStarted(2), excludedInRun1];
    const events = [...wrap(...rerun), ...wholeDelivery()];
    await platform.eventLog.publish(events);
    const replay = (handle: (event: ConsumedEvent, tx: EventTx) => Promise<void>) =>
      platform.eventLog.replay({ group: FEEDBACK_GROUP, topics: FEEDBACK_TOPICS, handle });

    await replay((event, tx) => projection.apply(tx.em, event.envelope));
    const oneByOne = await snapshot();
    await platform.db.transaction(async (em) => {
      await em.clear('FeedbackMessageLog');
      await em.clear('FeedbackDelivery');
      await forgetGroup(em, FEEDBACK_GROUP);
    });
    await replay((event, tx) => projection.applyIn(tx, event.envelope));

    expect(await snapshot()).toEqual(oneByOne);
    expect(oneByOne.messages.map((m) => m.messageId)).not.toContain('m-r1');
    expect(oneByOne.deliveries[0]).toMatchObject({ sent: 1, failed: 1, ignored: 1 });
  });

  it('changes nothing when the same events are applied again (a live group catching up after a replay)', async () => {
    const envelopes = wholeDelivery();
    await platform.eventLog.publish(envelopes);
    await project();
    const before = await snapshot();

    // A live subscription of the same group starts at offset zero: every event is applied again,
    // and the projection is idempotent by its status precedence.
    const handledAgain: string[] = [];
    await platform.eventLog.subscribe({
      group: FEEDBACK_GROUP,
      topics: FEEDBACK_TOPICS,
      handle: async (event, tx) => {
        handledAgain.push(event.envelope.id);
        await projection.apply(tx.em, event.envelope);
      },
    });
    const log = platform.eventLog as EmbeddedEventLog;
    const deadline = Date.now() + 5000;
    while ((await log.committedOffset(FEEDBACK_GROUP)) < envelopes.length) {
      if (Date.now() > deadline) throw new Error('the live subscription did not catch up');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }

    expect(handledAgain).toHaveLength(envelopes.length);
    expect(await snapshot()).toEqual(before);
  });

  it('rebuilds exactly the rows it had after they were deleted or damaged', async () => {
    await platform.eventLog.publish(wholeDelivery());
    await project();
    const live = await snapshot();
    await platform.db.transaction(async (em) => {
      await em.query('DELETE FROM fb_message_log WHERE message_id = ?', ['m1']);
      await em.query('UPDATE fb_delivery SET sent = 42, state = ?', ['Broken']);
    });
    expect(await snapshot()).not.toEqual(live);

    const { replayed } = await projection.rebuild();

    expect(replayed).toBe(10);
    expect(await snapshot()).toEqual(live);
  });

  it('reports a delivery Finished once nothing is pending or taken into account', async () => {
    await applyDirectly(wholeDelivery());

    expect(deliverySummary(await deliveryRow())).toMatchObject({
      deliveryId: 'd1',
      state: 'Finished',
      targeted: 3,
      kpis: { toDeliver: 2, processed: 2, success: 1, successRate: 50, errors: 1, ignored: 1, pending: 0 },
    });
  });

  it('keeps a delivery InProgress while a message is still taken into account', async () => {
    await applyDirectly(
      wrap(
        created,
        analyzed,
        confirmed,
        planned('m1', 'ada@example.com'),
        planned('m2', 'gone@example.com'),
        taken('m1'),
        taken('m2'),
        sent,
      ),
    );

    expect(deliverySummary(await deliveryRow())).toMatchObject({
      state: 'InProgress',
      kpis: { takenIntoAccount: 1, success: 1 },
    });
  });

  it('does not report Finished after confirmation while the planned messages are not projected yet', async () => {
    // Delivery and message events travel on different topics, so the projector may see the
    // confirmation before any of the confirmed delivery's planned messages.
    await applyDirectly(wrap(created, analyzed, confirmed));

    expect(deliverySummary(await deliveryRow()).state).toBe('InProgress');
  });
});
