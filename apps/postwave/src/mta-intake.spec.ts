import { TOPICS, type Fact } from '@postwave/contracts';
import { EnvelopeFactory } from '@postwave/platform/eventing';
import { waitFor } from '@postwave/testing';
import { startEmbedded, type EmbeddedUnderTest } from './embedded.test-support';

/**
 * The MTA takes planned messages in by consumer batch (one spool insert and one append of their
 * events per batch): each message must still get exactly what it would alone, in one batch that
 * mixes a replayed message, a stopped delivery and a later wave.
 */
describe('MTA intake of a batch of planned messages', () => {
  let app: EmbeddedUnderTest;
  const factory = new EnvelopeFactory('/test/planner');
  const validUntil = new Date(Date.now() + 3_600_000).toISOString();
  const planned = (messageId: string, deliveryId: string, extra: { notBefore?: string } = {}): Fact => ({
    type: 'postwave.message.planned.v1',
    subject: messageId,
    data: {
      messageId,
      deliveryId,
      address: `${messageId}@intake.sim`,
      domain: 'intake.sim',
      attributes: {},
      validUntil,
      ...extra,
    },
  });
  const created = (deliveryId: string): Fact => ({
    type: 'postwave.delivery.created.v1',
    subject: deliveryId,
    data: {
      deliveryId,
      content: { sender: { address: 'news@shop.example' }, subject: 'Hi', text: 'Hello' },
      validityHours: 1,
      approvalMode: 'Automatic',
      createdAt: new Date().toISOString(),
    },
  });

  beforeAll(async () => {
    app = await startEmbedded({ prefix: 'mta-intake', domain: 'intake.sim' });
  });
  afterAll(() => app?.close());

  it('spools, announces, waits and cancels each message as it would alone', async () => {
    const later = new Date(Date.now() + 24 * 3_600_000).toISOString();
    await app.service.platform.eventLog.publish(
      factory.wrap(
        [
          created('d-live'),
          created('d-stopped'),
          planned('m-live', 'd-live'),
          {
            type: 'postwave.delivery.stopped.v1',
            subject: 'd-stopped',
            data: { deliveryId: 'd-stopped', at: new Date().toISOString() },
          },
          planned('m-stopped', 'd-stopped'),
          planned('m-wave2', 'd-live', { notBefore: later }),
          // The planner replayed: the same message again.
          planned('m-live', 'd-live'),
        ],
        { correlationId: 'intake', causationId: 'intake-test' },
      ),
    );

    const byMessage = await waitFor('the outcomes of every message', async () => {
      const seen: Record<string, string[]> = {};
      await app.service.platform.eventLog.replay({
        group: `intake-${Date.now()}-${Math.random()}`,
        topics: [TOPICS.messageEvents],
        handle: async ({ envelope }) => {
          if (envelope.type === 'postwave.message.planned.v1') return;
          (seen[envelope.subject ?? ''] ??= []).push(
            envelope.type.replace(/^postwave\.message\.|\.v1$/g, ''),
          );
        },
      });
      return seen['m-live']?.includes('sent') && seen['m-stopped'] ? seen : undefined;
    });
    const spool = (await app.service.platform.db.read((em) =>
      em.query('SELECT message_id AS id, announced FROM mta_spool ORDER BY message_id'),
    )) as { id: string; announced: number }[];

    expect(byMessage).toEqual({ 'm-live': ['taken-into-account', 'sent'], 'm-stopped': ['canceled'] });
    expect(spool).toEqual([
      { id: 'm-live', announced: 1 },
      { id: 'm-wave2', announced: 0 },
    ]);
  });

  it('announces a message planned twice in one batch once', async () => {
    await app.service.platform.eventLog.publish(
      factory.wrap([planned('m-twice', 'd-live'), planned('m-twice', 'd-live')], {
        correlationId: 'intake-twice',
        causationId: 'intake-test',
      }),
    );

    const types = await waitFor('the message to be sent', async () => {
      const seen: string[] = [];
      await app.service.platform.eventLog.replay({
        group: `intake-twice-${Date.now()}-${Math.random()}`,
        topics: [TOPICS.messageEvents],
        handle: async ({ envelope }) => {
          if (envelope.subject === 'm-twice' && envelope.type !== 'postwave.message.planned.v1')
            seen.push(envelope.type.replace(/^postwave\.message\.|\.v1$/g, ''));
        },
      });
      return seen.includes('sent') ? seen : undefined;
    });

    expect(types).toEqual(['taken-into-account', 'sent']);
  });
});
