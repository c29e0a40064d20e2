import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { OnEvent, type EventContext } from '@postwave/platform/eventing';
import { withSpan, SpanKind } from '@postwave/platform/observability';
import { FEEDBACK_GROUP, FeedbackProjection } from './feedback-projection';

@Controller()
export class FeedbackConsumer {
  constructor(@Inject(FeedbackProjection) private readonly projection: FeedbackProjection) {}

  @OnEvent(
    FEEDBACK_GROUP,
    'postwave.delivery.created.v1',
    'postwave.delivery.analyzed.v1',
    'postwave.delivery.confirmed.v1',
    'postwave.delivery.paused.v1',
    'postwave.delivery.resumed.v1',
    'postwave.delivery.stopped.v1',
    'postwave.message.planned.v1',
    'postwave.message.excluded.v1',
    'postwave.message.taken-into-account.v1',
    'postwave.message.deferred.v1',
    'postwave.message.sent.v1',
    'postwave.message.failed.v1',
    'postwave.message.bounced.v1',
    'postwave.message.canceled.v1',
  )
  async project(@Payload() { event, tx }: EventContext) {
    await withSpan(
      `project ${event.envelope.type}`,
      {
        parent: event.envelope.traceparent,
        kind: SpanKind.CONSUMER,
        attributes: { 'postwave.subject': event.envelope.subject },
      },
      () => this.projection.apply(tx.em, event.envelope),
    );
  }
}
