import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { quarantineFor } from '@postwave/bounce/domain';
import { EnvelopeFactory, OnEvent, type EventContext } from '@postwave/platform/eventing';
import { SpanKind, traceparentOf, withSpan } from '@postwave/platform/observability';
import type { BounceMessageRow } from './bounce.entities';

export const BOUNCE_GROUP = 'bounce-qualifier';

/** Feeds the quarantine from final failures, synchronous (MTA) and asynchronous (DSN, ARF) alike. */
@Controller()
export class BounceConsumer {
  private readonly envelopes = new EnvelopeFactory('/postwave/bounce-qualifier');

  @OnEvent(BOUNCE_GROUP, 'postwave.message.planned.v1')
  async planned(@Payload() { event, tx }: EventContext) {
    if (event.envelope.type !== 'postwave.message.planned.v1') return;
    const { messageId, deliveryId, address } = event.envelope.data;
    await tx.em.save('BounceMessage', { messageId, deliveryId, address });
  }

  @OnEvent(BOUNCE_GROUP, 'postwave.message.failed.v1', 'postwave.message.bounced.v1')
  async failed(@Payload() { event, tx }: EventContext) {
    const { envelope } = event;
    if (envelope.type !== 'postwave.message.failed.v1' && envelope.type !== 'postwave.message.bounced.v1')
      return;
    await withSpan(
      'bounce qualify failure',
      { parent: envelope.traceparent, kind: SpanKind.CONSUMER },
      async () => {
        const message = await tx.em.findOne<BounceMessageRow>('BounceMessage', {
          where: { messageId: envelope.data.messageId },
        });
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
      },
    );
  }
}
