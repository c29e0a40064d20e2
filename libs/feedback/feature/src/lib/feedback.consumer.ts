import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { OnEvent, type EventContext } from '@postwave/platform/eventing';
import { withSpan, SpanKind } from '@postwave/platform/observability';
import { FEEDBACK_GROUP, FeedbackProjection, PROJECTED_EVENTS } from './feedback-projection';

@Controller()
export class FeedbackConsumer {
  constructor(@Inject(FeedbackProjection) private readonly projection: FeedbackProjection) {}

  @OnEvent(FEEDBACK_GROUP, ...PROJECTED_EVENTS)
  async project(@Payload() { event, tx }: EventContext) {
    await withSpan(
      `project ${event.envelope.type}`,
      {
        parent: event.envelope.traceparent,
        kind: SpanKind.CONSUMER,
        attributes: { 'postwave.subject': event.envelope.subject },
      },
      () => this.projection.applyIn(tx, event.envelope),
    );
  }
}
