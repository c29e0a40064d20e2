import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { countSoftError, quarantineFor, type AddressErrors } from '@postwave/bounce/domain';
import {
  BatchBuffer,
  EnvelopeFactory,
  OnEvent,
  type EventContext,
  type EventTx,
} from '@postwave/platform/eventing';
import { SpanKind, traceparentOf, withSpan } from '@postwave/platform/observability';
import { inChunks, insertMany, sqlFor } from '@postwave/platform/persistence';
import type { EntityManager } from 'typeorm';
import { BOUNCE_OPTIONS, type BounceOptions } from './bounce-options';
import type { BounceMessageRow } from './bounce.entities';

export const BOUNCE_GROUP = 'bounce-qualifier';

/** A planned message's row (id, delivery, address), or a delivered message's id. */
type BatchItem = { readonly planned: [string, string, string] } | { readonly sent: string };

/** Feeds the quarantine from final failures, synchronous (MTA) and asynchronous (DSN, ARF) alike. */
@Controller()
export class BounceConsumer {
  private readonly envelopes = new EnvelopeFactory('/postwave/bounce-qualifier');
  /**
   * What a batch's planned and sent messages change, written when the batch ends or before an
   * event that reads it (a failure or a deferral), so the order of a message's events holds.
   */
  private readonly batch = new BatchBuffer<BatchItem>((tx, items) => this.write(tx, items));

  constructor(@Inject(BOUNCE_OPTIONS) private readonly options: BounceOptions) {}

  /** Every message's address, for bounces that come back with only the message id: kept per batch. */
  @OnEvent(BOUNCE_GROUP, 'postwave.message.planned.v1')
  async planned(@Payload() { event, tx }: EventContext) {
    if (event.envelope.type !== 'postwave.message.planned.v1') return;
    const { messageId, deliveryId, address } = event.envelope.data;
    this.batch.add(tx, { planned: [messageId, deliveryId, address] });
  }

  @OnEvent(BOUNCE_GROUP, 'postwave.message.failed.v1', 'postwave.message.bounced.v1')
  async failed(@Payload() { event, tx }: EventContext) {
    const { envelope } = event;
    if (envelope.type !== 'postwave.message.failed.v1' && envelope.type !== 'postwave.message.bounced.v1')
      return;
    await this.batch.flush(tx);
    await withSpan(
      'bounce qualify failure',
      { parent: envelope.traceparent, kind: SpanKind.CONSUMER },
      async () => {
        const message = await findMessage(tx.em, envelope.data.messageId);
        if (!message) return;
        const fact = quarantineFor({
          address: message.address,
          messageId: message.messageId,
          deliveryId: message.deliveryId,
          failureType: envelope.data.failureType,
          reason: envelope.data.reason,
          at: envelope.time,
        });
        if (fact)
          await tx.emit(this.envelopes.wrap([fact], EnvelopeFactory.after(envelope, traceparentOf())));
        else if (envelope.data.failureType === 'Soft')
          await this.softError(tx, envelope, message, envelope.data.reason);
      },
    );
  }

  /** Soft errors of each attempt count toward the quarantine; a delivered message clears the counter. */
  @OnEvent(BOUNCE_GROUP, 'postwave.message.deferred.v1', 'postwave.message.sent.v1')
  async attempt(@Payload() { event, tx }: EventContext) {
    const { envelope } = event;
    if (envelope.type !== 'postwave.message.deferred.v1' && envelope.type !== 'postwave.message.sent.v1')
      return;
    if (envelope.type === 'postwave.message.sent.v1') {
      // Delivered: an address "with errors" is valid again (afterDelivered); a quarantine stays.
      this.batch.add(tx, { sent: envelope.data.messageId });
      return;
    }
    await this.batch.flush(tx);
    const message = await findMessage(tx.em, envelope.data.messageId);
    if (!message) return;
    if (envelope.data.failureType === 'Soft')
      await this.softError(tx, envelope, message, envelope.data.reason);
  }

  /** Message rows first: a message delivered in the batch that planned it clears its address too. */
  private async write(tx: EventTx, items: readonly BatchItem[]): Promise<void> {
    const planned = items.flatMap((item) => ('planned' in item ? [item.planned] : []));
    const sent = items.flatMap((item) => ('sent' in item ? [item.sent] : []));
    await insertMany(
      tx.em,
      'bq_message',
      ['message_id', 'delivery_id', 'address'],
      planned,
      'ON CONFLICT (message_id) DO NOTHING',
    );
    await inChunks(sent, async (chunk, marks) => {
      await tx.em.query(
        sqlFor(
          tx.em,
          `DELETE FROM bq_address_errors WHERE NOT quarantined
             AND address IN (SELECT address FROM bq_message WHERE message_id IN (${marks}))`,
        ),
        chunk,
      );
    });
  }

  private async softError(
    tx: EventContext['tx'],
    envelope: EventContext['event']['envelope'],
    message: BounceMessageRow,
    reason: Parameters<typeof countSoftError>[1]['reason'],
  ): Promise<void> {
    const current = await loadErrors(tx.em, message.address);
    const step = countSoftError(
      current,
      {
        address: message.address,
        reason,
        messageId: message.messageId,
        deliveryId: message.deliveryId,
        at: envelope.time,
      },
      this.options.softErrors,
    );
    if (step.state === current) return;
    if (step.state) await tx.em.save('BounceAddressErrors', step.state);
    if (step.quarantine)
      await tx.emit(this.envelopes.wrap([step.quarantine], EnvelopeFactory.after(envelope)));
  }
}

function loadErrors(em: EntityManager, address: string): Promise<AddressErrors | null> {
  return em.findOne<AddressErrors>('BounceAddressErrors', { where: { address } });
}

async function findMessage(em: EntityManager, messageId: string): Promise<BounceMessageRow | null> {
  const [row] = (await em.query(
    sqlFor(
      em,
      'SELECT message_id AS "messageId", delivery_id AS "deliveryId", address FROM bq_message WHERE message_id = ?',
    ),
    [messageId],
  )) as BounceMessageRow[];
  return row ?? null;
}
