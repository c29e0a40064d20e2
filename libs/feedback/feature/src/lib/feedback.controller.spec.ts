import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Fact } from '@postwave/contracts';
import {
  EnvelopeFactory,
  openPlatform,
  type ConsumedEnvelope,
  type Platform,
} from '@postwave/platform/eventing';
import { createLogger } from '@postwave/platform/observability';
import { FeedbackController } from './feedback.controller';
import { FeedbackProjection } from './feedback-projection';
import { feedbackEntities } from './feedback.entities';

const factory = new EnvelopeFactory('/tests/mta');

const failed = (messageId: string, reply: string, reason: 'NotDefined' | 'UserUnknown'): Fact => ({
  type: 'postwave.message.failed.v1',
  subject: messageId,
  data: {
    messageId,
    deliveryId: 'd1',
    attempt: 1,
    reply,
    failureType: reason === 'NotDefined' ? 'NotDefined' : 'Hard',
    reason,
    reasonCode: reason === 'NotDefined' ? 0 : 1,
    rule: 'x',
    expired: false,
    at: '2026-03-01T10:00:00.000Z',
  },
});

describe('the read API', () => {
  let dir: string;
  let platform: Platform;
  let controller: FeedbackController;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pw-feedback-api-'));
    platform = await openPlatform({
      mode: { kind: 'embedded', sqlitePath: join(dir, 'db.sqlite') },
      clientId: 't',
      instance: 't',
      logger: createLogger({ service: 't', level: 'silent' }),
      entities: [feedbackEntities],
    });
    const projection = new FeedbackProjection(platform.db, platform.eventLog);
    controller = new FeedbackController(platform.db, projection);
    const envelopes = factory.wrap(
      [
        failed('m1', '554 odd local policy thing', 'NotDefined'),
        failed('m2', '554 odd local policy thing', 'NotDefined'),
        failed('m3', '553 weird', 'NotDefined'),
        failed('m4', '550 5.1.1 unknown', 'UserUnknown'),
      ],
      { correlationId: 'c', causationId: 'c' },
    );
    await platform.db.transaction(async (em) => {
      for (const envelope of envelopes) await projection.apply(em, envelope as ConsumedEnvelope);
    });
  });

  afterEach(async () => {
    await platform.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the replies no rule qualified, most frequent first, to write rules from', async () => {
    expect(await controller.unqualified()).toEqual([
      { reply: '554 odd local policy thing', messages: 2, lastSeen: expect.any(String) },
      { reply: '553 weird', messages: 1, lastSeen: expect.any(String) },
    ]);
  });

  it('filters the delivery log by status', async () => {
    const failedOnes = await controller.messages('d1', { status: 'Failed' });
    expect(failedOnes.map((m) => m.messageId)).toEqual(['m1', 'm2', 'm3', 'm4']);
    await expect(controller.messages('d1', { status: 'Lost' })).rejects.toThrow(/query\.status/);
  });
});
