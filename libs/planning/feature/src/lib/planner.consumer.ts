import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { OnEvent, type EventContext } from '@postwave/platform/eventing';
import { PlannerCommands } from './planner-commands';

export const PLANNER_GROUP = 'delivery-planner';

/** Commands published on the command topic, and the address facts the analysis relies on. */
@Controller()
export class PlannerConsumer {
  constructor(@Inject(PlannerCommands) private readonly commands: PlannerCommands) {}

  @OnEvent(
    PLANNER_GROUP,
    'postwave.command.create-delivery.v1',
    'postwave.command.confirm-delivery.v1',
    'postwave.command.pause-delivery.v1',
    'postwave.command.resume-delivery.v1',
    'postwave.command.stop-delivery.v1',
  )
  async command(@Payload() { event, tx }: EventContext) {
    const { envelope } = event;
    await this.commands.execute(
      {
        commandId: envelope.id,
        type: envelope.type,
        data: envelope.data,
        correlationId: envelope.correlationid,
        ...(envelope.traceparent ? { traceparent: envelope.traceparent } : {}),
      },
      tx.em,
    );
  }

  @OnEvent(PLANNER_GROUP, 'postwave.address.quarantined.v1', 'postwave.address.unsubscribed.v1')
  async addressStatus(@Payload() { event, tx }: EventContext) {
    const { envelope } = event;
    if (envelope.type === 'postwave.address.quarantined.v1') {
      await tx.em.save('PlannerAddressStatus', { address: envelope.data.address, reason: 'Quarantined' });
    } else if (envelope.type === 'postwave.address.unsubscribed.v1') {
      await tx.em.save('PlannerAddressStatus', { address: envelope.data.address, reason: 'Unsubscribed' });
    }
  }
}
