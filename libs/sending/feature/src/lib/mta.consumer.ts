import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import {
  BatchBuffer,
  EnvelopeFactory,
  OnEvent,
  type ConsumedEnvelope,
  type EventContext,
  type EventTx,
} from '@postwave/platform/eventing';
import { SpanKind, traceparentOf, withSpan } from '@postwave/platform/observability';
import { inChunks, sqlFor } from '@postwave/platform/persistence';
import { messageCanceled } from '@postwave/sending/domain';
import { MTA_OPTIONS, type MtaOptions } from './mta-options';
import { SpoolWorker } from './spool-worker';

export const MTA_GROUP = 'sending-mta';

type PlannedEnvelope = Extract<ConsumedEnvelope, { type: 'postwave.message.planned.v1' }>;

/**
 * Takes messages in: each planned message is written to the spool and, in the same transaction,
 * announced as "taken into account by the service provider". Delivery content is kept once per
 * delivery for building the messages.
 */
@Controller()
export class MtaConsumer {
  private readonly envelopes = new EnvelopeFactory('/postwave/sending-mta');
  /** Planned messages of a consumer batch, taken in together when it ends. */
  private readonly taking = new BatchBuffer<{ envelope: PlannedEnvelope; traceparent: string | null }>(
    (tx, planned) => this.takeIn(tx, planned),
  );

  constructor(
    @Inject(SpoolWorker) private readonly worker: SpoolWorker,
    @Inject(MTA_OPTIONS) private readonly options: MtaOptions,
  ) {}

  /** Content as created, and as edited while the delivery is prepared (proofs use it meanwhile). */
  @OnEvent(MTA_GROUP, 'postwave.delivery.created.v1', 'postwave.delivery.updated.v1')
  async content(@Payload() { event, tx }: EventContext) {
    // Messages planned before this event in the batch are taken in first, as they came.
    await this.taking.flush(tx);
    if (
      event.envelope.type !== 'postwave.delivery.created.v1' &&
      event.envelope.type !== 'postwave.delivery.updated.v1'
    )
      return;
    await tx.em.save('DeliveryContentEntry', {
      deliveryId: event.envelope.data.deliveryId,
      content: JSON.stringify(event.envelope.data.content),
    });
  }

  @OnEvent(
    MTA_GROUP,
    'postwave.delivery.paused.v1',
    'postwave.delivery.resumed.v1',
    'postwave.delivery.stopped.v1',
  )
  async control(@Payload() { event, tx }: EventContext) {
    await this.taking.flush(tx);
    const { envelope } = event;
    if (
      envelope.type !== 'postwave.delivery.paused.v1' &&
      envelope.type !== 'postwave.delivery.resumed.v1' &&
      envelope.type !== 'postwave.delivery.stopped.v1'
    ) {
      return;
    }
    const { deliveryId } = envelope.data;
    if (envelope.type === 'postwave.delivery.resumed.v1') {
      await tx.em.delete('DeliveryControlEntry', { deliveryId, state: 'paused' });
      this.worker.controlChanged();
      return;
    }
    const stopped = envelope.type === 'postwave.delivery.stopped.v1';
    await tx.em.save('DeliveryControlEntry', { deliveryId, state: stopped ? 'stopped' : 'paused' });
    this.worker.controlChanged();
    if (!stopped) return;
    const canceled = await this.worker.cancelQueued(tx.em, deliveryId);
    await tx.emit(
      this.envelopes.wrap(
        canceled.map((row) => messageCanceled(row.messageId, deliveryId, new Date())),
        EnvelopeFactory.after(envelope),
      ),
    );
  }

  /**
   * A planned message is taken in at the end of its consumer batch, with the batch's others: one
   * read of the delivery controls, one multi-row spool insert, one append of the "taken into
   * account" events, all in the batch's transaction.
   */
  @OnEvent(MTA_GROUP, 'postwave.message.planned.v1')
  async take(@Payload() { event, tx }: EventContext) {
    const { envelope } = event;
    if (envelope.type !== 'postwave.message.planned.v1') return;
    // The span marks the hand-over; its context is what the spooled message and its events carry.
    const traceparent = await withSpan(
      'mta take message',
      {
        parent: envelope.traceparent,
        kind: SpanKind.CONSUMER,
        attributes: { 'postwave.message_id': envelope.data.messageId },
      },
      async () => traceparentOf() ?? envelope.traceparent ?? null,
    );
    this.taking.add(tx, { envelope, traceparent });
  }

  private async takeIn(
    tx: EventTx,
    planned: ReadonlyArray<{ envelope: PlannedEnvelope; traceparent: string | null }>,
  ): Promise<void> {
    const deliveryIds = [...new Set(planned.map(({ envelope }) => envelope.data.deliveryId))];
    const stopped = new Set<string>();
    await inChunks(deliveryIds, async (chunk, marks) => {
      const controls = (await tx.em.query(
        sqlFor(
          tx.em,
          `SELECT delivery_id AS "deliveryId" FROM mta_delivery_control WHERE state = 'stopped' AND delivery_id IN (${marks})`,
        ),
        chunk,
      )) as { deliveryId: string }[];
      for (const control of controls) stopped.add(control.deliveryId);
    });
    const now = Date.now();
    // A message of a later wave waits in the spool, still "Pending": it is announced when due.
    const waiting = ({ data }: PlannedEnvelope) =>
      data.notBefore !== undefined && Date.parse(data.notBefore) > now;
    const rows = planned
      .filter(({ envelope }) => !stopped.has(envelope.data.deliveryId))
      .map(({ envelope, traceparent }) => {
        const { data } = envelope;
        return {
          messageId: data.messageId,
          deliveryId: data.deliveryId,
          address: data.address,
          domain: data.domain,
          attributes: JSON.stringify(data.attributes),
          validUntil: data.validUntil,
          state: 'queued' as const,
          attempts: 0,
          nextAttemptAt: waiting(envelope) ? new Date(data.notBefore!).toISOString() : envelope.time,
          correlationId: envelope.correlationid,
          traceparent,
          announced: waiting(envelope) ? 0 : 1,
          subjectPrefix: data.subjectPrefix ?? null,
        };
      });
    // The same message planned twice (a replayed command) is spooled and announced once: each id
    // the insert added is announced once, even when the batch holds it twice.
    const added = await this.worker.spool(tx.em, rows);
    const at = new Date().toISOString();
    await tx.emit(
      planned.flatMap(({ envelope, traceparent }) => {
        const { data } = envelope;
        const after = EnvelopeFactory.after(envelope, traceparent ?? undefined);
        // Planned before the stop but arriving after it: canceled, never sent.
        if (stopped.has(data.deliveryId))
          return this.envelopes.wrap([messageCanceled(data.messageId, data.deliveryId, new Date())], after);
        if (waiting(envelope) || !added.delete(data.messageId)) return [];
        return this.envelopes.wrap(
          [
            {
              type: 'postwave.message.taken-into-account.v1',
              subject: data.messageId,
              data: {
                messageId: data.messageId,
                deliveryId: data.deliveryId,
                mta: this.options.instance,
                at,
              },
            },
          ],
          after,
        );
      }),
    );
    this.worker.poke();
  }
}
