import type { DeliveryCommand, Envelope, PostwaveEvent, Topic } from '@postwave/contracts';
import type { EntityManager } from 'typeorm';

export type ConsumedEnvelope = Envelope & (PostwaveEvent | DeliveryCommand);

export interface ConsumedEvent {
  readonly topic: Topic;
  readonly envelope: ConsumedEnvelope;
  /** Transport position: the global sequence (embedded) or `partition:offset` (Kafka). */
  readonly position: string;
}

/** The transaction a consumer handles an event in: its writes and its emitted events commit together. */
export interface EventTx {
  readonly em: EntityManager;
  emit(envelopes: readonly Envelope[]): Promise<void>;
  /**
   * Runs `work` once after the batch's last handler, in the same transaction (before the offset or
   * inbox commit): a handler that buffers what several events change writes it there in one go.
   */
  beforeCommit(work: () => Promise<void>): void;
}

/** A batch's transaction context, and `finish` to run its before-commit work, in registration order. */
export function openEventTx(
  em: EntityManager,
  emit: EventTx['emit'],
): { readonly tx: EventTx; finish(): Promise<void> } {
  const works: Array<() => Promise<void>> = [];
  return {
    tx: { em, emit, beforeCommit: (work) => void works.push(work) },
    finish: async () => {
      // Work may register more work; it runs too.
      for (let i = 0; i < works.length; i++) await works[i]!();
    },
  };
}

export type EventHandler = (event: ConsumedEvent, tx: EventTx) => Promise<void>;

export interface SubscribeOptions {
  /** Consumer group: each group sees every event once; a new group starts from the beginning. */
  readonly group: string;
  readonly topics: readonly Topic[];
  /** The event types the group handles; others are skipped without being decoded (all when absent). */
  readonly types?: readonly string[];
  readonly handle: EventHandler;
}

export interface Subscription {
  stop(): Promise<void>;
}

/**
 * The one eventing port. Two adapters: Kafka (outbox relayed by an idempotent producer, consumer
 * groups) and embedded (an append-only table in the SQLite database). Both keep per-key order,
 * at-least-once delivery with consumer-side deduplication, and replay from zero.
 */
export interface EventLog {
  readonly kind: 'embedded' | 'kafka';
  start(): Promise<void>;
  /** Appends in the caller's transaction, so state and the events it causes commit atomically. */
  appendIn(em: EntityManager, envelopes: readonly Envelope[]): Promise<void>;
  /** Appends in a transaction of its own. */
  publish(envelopes: readonly Envelope[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** Feeds every event from offset zero up to the end at call time, then resolves with the count. */
  replay(options: SubscribeOptions): Promise<number>;
  stop(): Promise<void>;
}

/**
 * What a handler gathers over a consumer batch, written once by `write` before the batch commits
 * (or earlier, when the handler calls `flush` for an event that must see it): one statement per
 * batch where there would be one per event.
 */
export class BatchBuffer<T> {
  private readonly pending = new WeakMap<EventTx, T[]>();

  constructor(private readonly write: (tx: EventTx, items: T[]) => Promise<void>) {}

  add(tx: EventTx, item: T): void {
    let items = this.pending.get(tx);
    if (!items) {
      this.pending.set(tx, (items = []));
      tx.beforeCommit(() => this.flush(tx));
    }
    items.push(item);
  }

  /** Writes what this batch gathered so far. */
  async flush(tx: EventTx): Promise<void> {
    const items = this.pending.get(tx);
    if (items?.length) await this.write(tx, items.splice(0));
  }
}
