import { Inject, Injectable } from '@nestjs/common';
import { DATABASE, EVENT_LOG, EnvelopeFactory, type EventLog } from '@postwave/platform/eventing';
import type { Database } from '@postwave/platform/persistence';
import { In } from 'typeorm';
import type { BounceMessageRow } from './bounce.entities';

/**
 * Unsubscription requests, by List-Unsubscribe mail or RFC 8058 one-click POST: each becomes an
 * address event that the planner's analysis honours for every later delivery.
 */
@Injectable()
export class Unsubscribes {
  private readonly envelopes = new EnvelopeFactory('/postwave/bounce-qualifier');

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(EVENT_LOG) private readonly eventLog: EventLog,
  ) {}

  /** Records the unsubscription of each message's recipient; returns how many messages were known. */
  record(messageIds: readonly string[], via: 'mailto' | 'one-click'): Promise<number> {
    if (messageIds.length === 0) return Promise.resolve(0);
    return this.db.transaction(async (em) => {
      const messages = await em.find<BounceMessageRow>('BounceMessage', {
        where: { messageId: In([...messageIds]) },
      });
      const at = new Date().toISOString();
      for (const message of messages) {
        const facts = [
          {
            type: 'postwave.address.unsubscribed.v1' as const,
            subject: message.address,
            data: {
              address: message.address,
              messageId: message.messageId,
              deliveryId: message.deliveryId,
              via,
              at,
            },
          },
        ];
        await this.eventLog.appendIn(
          em,
          this.envelopes.wrap(facts, { correlationId: message.deliveryId, causationId: message.messageId }),
        );
      }
      return messages.length;
    });
  }
}
