import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { EnvelopeFactory, OnEvent, type EventContext } from '@postwave/platform/eventing';
import { SpanKind, traceparentOf, withSpan } from '@postwave/platform/observability';
import { sqlFor } from '@postwave/platform/persistence';
import { messageCanceled } from '@postwave/sending/domain';
import { MTA_OPTIONS, type MtaOptions } from './mta-options';
import { SpoolWorker } from './spool-worker';

export const MTA_GROUP = 'sending-mta';

/**
 * Takes messages in: each planned message is written to the spool and, in the same transaction,
 * announced as "taken into account by the service provider". Delivery content is kept once per
 * delivery for building the messages.
 */
@Controller()
export class MtaConsumer {
  private readonly envelopes = new EnvelopeFactory('/postwave/sending-mta');

  constructor(
    @Inject(SpoolWorker) private readonly worker: SpoolWorker,
    @Inject(MTA_OPTIONS) private readonly options: MtaOptions,
  ) {}

  /** Content as created, and as edited while the delivery is prepared (proofs use it meanwhile). */
  @OnEvent(MTA_GROUP, 'postwave.delivery.created.v1', 'postwave.delivery.updated.v1')
  async content(@Payload() { event, tx }: EventContext) {
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

  @OnEvent(MTA_GROUP, 'postwave.message.planned.v1')
  async take(@Payload() { event, tx }: EventContext) {
    const { envelope } = event;
    if (envelope.type !== 'postwave.message.planned.v1') return;
    const { data } = envelope;
    await withSpan(
      'mta take message',
      {
        parent: envelope.traceparent,
        kind: SpanKind.CONSUMER,
        attributes: { 'postwave.message_id': data.messageId },
      },
      async () => {
        const traceparent = traceparentOf() ?? envelope.traceparent ?? null;
        const [control] = (await tx.em.query(
          sqlFor(tx.em, 'SELECT state FROM mta_delivery_control WHERE delivery_id = ?'),
          [data.deliveryId],
        )) as { state: string }[];
        if (control?.state === 'stopped') {
          // Planned before the stop but arriving after it: canceled, never sent.
          await tx.emit(
            this.envelopes.wrap(
              [messageCanceled(data.messageId, data.deliveryId, new Date())],
              EnvelopeFactory.after(envelope, traceparent ?? undefined),
            ),
          );
          return;
        }
        // A message of a later wave waits in the spool, still "Pending": it is announced when due.
        const waiting = data.notBefore !== undefined && Date.parse(data.notBefore) > Date.now();
        // The same message planned twice (a replayed command) is spooled and announced once.
        const added = await this.worker.spool(tx.em, {
          messageId: data.messageId,
          deliveryId: data.deliveryId,
          address: data.address,
          domain: data.domain,
          attributes: JSON.stringify(data.attributes),
          validUntil: data.validUntil,
          state: 'queued',
          attempts: 0,
          nextAttemptAt: waiting ? new Date(data.notBefore!).toISOString() : envelope.time,
          correlationId: envelope.correlationid,
          traceparent,
          announced: waiting ? 0 : 1,
          subjectPrefix: data.subjectPrefix ?? null,
        });
        if (!added || waiting) return;
        await tx.emit(
          this.envelopes.wrap(
            [
              {
                type: 'postwave.message.taken-into-account.v1',
                subject: data.messageId,
                data: {
                  messageId: data.messageId,
                  deliveryId: data.deliveryId,
                  mta: this.options.instance,
                  at: new Date().toISOString(),
                },
              },
            ],
            EnvelopeFactory.after(envelope, traceparent ?? undefined),
          ),
        );
      },
    );
    this.worker.poke();
  }
}
