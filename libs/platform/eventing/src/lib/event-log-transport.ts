import { CustomTransportStrategy, EventPattern, Server } from '@nestjs/microservices';
import { topicOf, type CommandType, type EventType } from '@postwave/contracts';
import type { Logger } from '@postwave/platform/observability';
import { isObservable, lastValueFrom } from 'rxjs';
import type { ConsumedEvent, EventLog, EventTx, Subscription } from './event-log.port';

/** What an `@OnEvent` handler receives: the validated event and the transaction it runs in. */
export interface EventContext {
  readonly event: ConsumedEvent;
  readonly tx: EventTx;
}

const SEPARATOR = '|';

/**
 * Marks a Nest handler as the consumer group `group`'s handler for the given event types. Each service is its own
 * group, so in the embedded mode the four services still each see every event once.
 */
export const OnEvent = (group: string, ...types: Array<EventType | CommandType>) =>
  EventPattern(types.map((type) => `${group}${SEPARATOR}${type}`));

/**
 * A Nest microservice transport over the EventLog port: the same `@OnEvent` handlers run on Kafka
 * consumer groups in distributed mode and on the embedded log in the single-process default.
 */
export class EventLogTransport extends Server implements CustomTransportStrategy {
  private readonly subscriptions: Subscription[] = [];
  /** Nest's pattern lookup parses and throws on every call: resolve each pattern once. */
  private readonly handlers = new Map<string, ReturnType<Server['getHandlerByPattern']>>();

  constructor(
    private readonly eventLog: EventLog,
    private readonly log: Logger,
  ) {
    super();
  }

  async listen(callback: (...optionalParams: unknown[]) => void): Promise<void> {
    try {
      for (const [group, types] of this.groups()) {
        const topics = [...new Set([...types].map((type) => topicOf(type)))];
        this.subscriptions.push(
          await this.eventLog.subscribe({
            group,
            topics,
            types: [...types],
            handle: (event, tx) => this.dispatch(group, event, tx),
          }),
        );
        this.log.info({ group, topics }, 'consumer group subscribed');
      }
      callback();
    } catch (error) {
      callback(error);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.subscriptions.splice(0).map((subscription) => subscription.stop()));
  }

  on(): never {
    throw new Error('EventLogTransport does not emit transport events');
  }

  unwrap<T>(): T {
    return this.eventLog as T;
  }

  private async dispatch(group: string, event: ConsumedEvent, tx: EventTx): Promise<void> {
    const pattern = `${group}${SEPARATOR}${event.envelope.type}`;
    let handler = this.handlers.get(pattern);
    if (handler === undefined) this.handlers.set(pattern, (handler = this.getHandlerByPattern(pattern)));
    if (!handler) return;
    const context: EventContext = { event, tx };
    const fields = () => ({
      group,
      event_type: event.envelope.type,
      event_id: event.envelope.id,
      subject: event.envelope.subject,
      correlation_id: event.envelope.correlationid,
      position: event.position,
    });
    try {
      const result = await handler(context);
      // Our handlers are async methods: an Observable (and RxJS's subscription machinery, once per
      // event) only for a handler that returns one.
      if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
      if (this.log.isLevelEnabled('debug')) this.log.debug(fields(), 'event handled');
    } catch (error) {
      this.log.error({ ...fields(), err: error }, 'event handler failed; the batch will be retried');
      throw error;
    }
  }

  private groups(): Map<string, Set<EventType | CommandType>> {
    const groups = new Map<string, Set<EventType | CommandType>>();
    for (const pattern of this.getHandlers().keys()) {
      const [group, type] = pattern.split(SEPARATOR) as [string, EventType | CommandType];
      groups.set(group, (groups.get(group) ?? new Set()).add(type));
    }
    return groups;
  }
}
