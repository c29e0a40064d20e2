import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { EventData, FailureReason } from '@postwave/contracts';
import { OnEvent, type EventContext } from '@postwave/platform/eventing';
import { sqlFor } from '@postwave/platform/persistence';
import type { EntityManager } from 'typeorm';
import { PlannerCommands } from './planner-commands';

export const PLANNER_GROUP = 'delivery-planner';

/** Commands published on the command topic, and the address facts the analysis relies on. */
@Controller()
export class PlannerConsumer {
  constructor(@Inject(PlannerCommands) private readonly commands: PlannerCommands) {}

  @OnEvent(
    PLANNER_GROUP,
    'postwave.command.create-delivery.v1',
    'postwave.command.update-delivery.v1',
    'postwave.command.analyze-delivery.v1',
    'postwave.command.schedule-delivery.v1',
    'postwave.command.send-proof.v1',
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

  @OnEvent(
    PLANNER_GROUP,
    'postwave.address.quarantined.v1',
    'postwave.address.unsubscribed.v1',
    'postwave.address.consent-changed.v1',
  )
  async addressStatus(@Payload() { event, tx }: EventContext) {
    const { envelope } = event;
    if (envelope.type === 'postwave.address.quarantined.v1') {
      await setStatus(tx.em, envelope.data.address, '', 'Quarantined');
    } else if (envelope.type === 'postwave.address.unsubscribed.v1') {
      await setStatus(tx.em, envelope.data.address, '', 'Unsubscribed');
    } else if (envelope.type === 'postwave.address.consent-changed.v1') {
      await applyConsent(tx.em, envelope.data);
    }
  }
}

const CONSENT_REASON: Record<'unsubscribed' | 'denylisted', FailureReason> = {
  unsubscribed: 'Unsubscribed',
  denylisted: 'Denylisted',
};

/** Records a consent change in the planner's address view (idempotent: replays change nothing). */
export async function applyConsent(
  em: EntityManager,
  consent: EventData<'postwave.address.consent-changed.v1'>,
): Promise<void> {
  const scope = consent.audience ?? '';
  if (consent.status === 'allowed') {
    // Allowing lifts what an operator set in that scope; a quarantine stays until it expires.
    await em.query(
      sqlFor(
        em,
        `DELETE FROM planner_address_status WHERE address = ? AND scope = ? AND reason <> 'Quarantined'`,
      ),
      [consent.address, scope],
    );
    return;
  }
  await setStatus(em, consent.address, scope, CONSENT_REASON[consent.status]);
}

async function setStatus(em: EntityManager, address: string, scope: string, reason: FailureReason) {
  await em.query(
    sqlFor(
      em,
      `INSERT INTO planner_address_status (address, scope, reason) VALUES (?, ?, ?)
       ON CONFLICT (address, scope) DO UPDATE SET reason = excluded.reason`,
    ),
    [address, scope, reason],
  );
}
