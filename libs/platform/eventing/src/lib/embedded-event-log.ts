import { EventEmitter } from 'node:events';
import { isCommandType, isEventType, topicOf, type Envelope, type Topic } from '@postwave/contracts';
import { insertMany, type Database } from '@postwave/platform/persistence';
import type { Logger } from '@postwave/platform/observability';
import type { EntityManager } from 'typeorm';
import { decodeStored, type Decoded } from './stored-envelope';
import { firstDelivery } from './inbox';
import {
  openEventTx,
  type ConsumedEvent,
  type EventLog,
  type SubscribeOptions,
  type Subscription,
} from './event-log.port';

const BATCH = 200;
const INSERT_CHUNK = 100;
const DECODE_CACHE = 4000;
const IDLE_POLL_MS = 25;
const RETRY_MS = 500;

interface LogRow {
  seq: number | string;
  topic: string;
  envelope: string;
}

/**
 * The embedded default's event log: an append-only table in the same SQLite database as the
 * read models. The global sequence is the offset, so per-key order (and more: total order) holds;
 * each consumer group's offset commits in the same transaction as its handler's writes.
 */
export class EmbeddedEventLog implements EventLog {
  readonly kind = 'embedded' as const;
  private readonly appended = new EventEmitter();
  private readonly subscriptions = new Set<EmbeddedSubscription>();
  private readonly decoded = new Map<number, Decoded>();

  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
  ) {
    this.appended.setMaxListeners(0);
  }

  async start(): Promise<void> {
    // The table is created with the schema; nothing to connect to.
  }

  async appendIn(em: EntityManager, envelopes: readonly Envelope[]): Promise<void> {
    if (envelopes.length === 0) return;
    // Constant SQL per chunk size: better-sqlite3 reuses the prepared statement.
    await insertMany(
      em,
      'event_log',
      ['topic', '"key"', 'event_id', 'type', 'envelope'],
      envelopes.map((envelope) => [
        topicFor(envelope),
        envelope.subject,
        envelope.id,
        envelope.type,
        JSON.stringify(envelope),
      ]),
      '',
      INSERT_CHUNK,
    );
    // Wake pollers once the caller's transaction has had a chance to commit.
    this.wakeSoon();
  }

  publish(envelopes: readonly Envelope[]): Promise<void> {
    return this.db.transaction((em) => this.appendIn(em, envelopes));
  }

  private wakePending = false;

  /** One wake-up per burst of appends, so pollers fetch bigger batches. */
  private wakeSoon(): void {
    if (this.wakePending) return;
    this.wakePending = true;
    setImmediate(() => {
      this.wakePending = false;
      this.appended.emit('appended');
    });
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const subscription = new EmbeddedSubscription(this, options, this.logger);
    this.subscriptions.add(subscription);
    subscription.run();
    return {
      stop: async () => {
        this.subscriptions.delete(subscription);
        await subscription.stop();
      },
    };
  }

  async replay(options: SubscribeOptions): Promise<number> {
    const end = await this.db.read(async (em) => {
      const row = await em
        .createQueryBuilder()
        .select('MAX(e.seq)', 'max')
        .from('EventLogEntry', 'e')
        .getRawOne();
      return Number(row?.max ?? 0);
    });
    let position = 0;
    let count = 0;
    while (position < end) {
      const rows = await this.db.read((em) => this.fetch(em, options.topics, position, end, options.types));
      if (rows.length === 0) break;
      count += await this.handleBatch(rows, options, null);
      position = Number(rows[rows.length - 1]?.seq);
    }
    return count;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    this.subscriptions.clear();
  }

  /** @internal */
  onAppended(listener: () => void): () => void {
    this.appended.on('appended', listener);
    return () => this.appended.off('appended', listener);
  }

  /** @internal */
  fetch(
    em: EntityManager,
    topics: readonly Topic[],
    after: number,
    upTo = Number.MAX_SAFE_INTEGER,
    types?: readonly string[],
  ): Promise<LogRow[]> {
    const typeFilter = types?.length ? ` AND type IN (${types.map(() => '?').join(', ')})` : '';
    return em.query(
      `SELECT seq, topic, envelope FROM event_log WHERE seq > ? AND seq <= ? AND topic IN (${topics.map(() => '?').join(', ')})${typeFilter} ORDER BY seq LIMIT ${BATCH}`,
      [after, upTo, ...topics, ...(types ?? [])],
    );
  }

  /**
   * Handles one batch in one transaction: handler writes, emitted events, the inbox and (for a
   * live group) the committed offset. A failure rolls the whole batch back for a retry.
   */
  async handleBatch(
    rows: readonly LogRow[],
    options: SubscribeOptions,
    commitOffset: number | null,
  ): Promise<number> {
    return this.db.transaction(async (em) => {
      const { tx, finish } = openEventTx(em, (envelopes) => this.appendIn(em, envelopes));
      let handled = 0;
      for (const row of rows) {
        const event = this.decode(row);
        // A live group commits its offset with the handler's writes, so it never sees an event twice
        // and needs no inbox; a replay (commitOffset null) shares the live group's inbox instead.
        if (!event || (commitOffset === null && !(await firstDelivery(em, options.group, event.envelope.id))))
          continue;
        await options.handle(event, tx);
        handled++;
      }
      await finish();
      if (commitOffset !== null) {
        await em.query(
          'INSERT INTO consumer_offset (group_id, seq) VALUES (?, ?) ON CONFLICT (group_id) DO UPDATE SET seq = excluded.seq',
          [options.group, commitOffset],
        );
      }
      return handled;
    });
  }

  /**
   * @internal The next batch after `offset` for a subscription, and how far the log was read: up to
   * the end of the log when the batch is not full. A group that wants only some types would
   * otherwise scan the same unwanted events again at every poll (quadratic in the log's growth).
   * Reads wait for running write transactions, so every sequence number up to the end is committed.
   */
  next(options: SubscribeOptions, offset: number): Promise<{ rows: LogRow[]; readTo: number }> {
    return this.db.read(async (em) => {
      const [end] = (await em.query('SELECT MAX(seq) AS seq FROM event_log')) as { seq: number | null }[];
      const upTo = Number(end?.seq ?? 0);
      if (upTo <= offset) return { rows: [], readTo: offset };
      const rows = await this.fetch(em, options.topics, offset, upTo, options.types);
      return { rows, readTo: rows.length < BATCH ? upTo : Number(rows[rows.length - 1]!.seq) };
    });
  }

  /** @internal */
  committedOffset(group: string): Promise<number> {
    return this.db.read(async (em) => {
      const row = await em
        .createQueryBuilder()
        .select('o.seq', 'seq')
        .from('ConsumerOffset', 'o')
        .where('o.groupId = :group', { group })
        .getRawOne();
      return Number(row?.seq ?? 0);
    });
  }

  private decode(row: LogRow): ConsumedEvent | null {
    const seq = Number(row.seq);
    let decoded = this.decoded.get(seq);
    if (!decoded) {
      decoded = decodeStored(row.envelope);
      // Several groups read the same rows close together: decode and validate each once.
      if (this.decoded.size >= DECODE_CACHE) this.decoded.delete(this.decoded.keys().next().value!);
      this.decoded.set(seq, decoded);
    }
    if (!decoded.ok) {
      // A record that breaks the contract cannot be handled by any retry: log it and move on.
      this.logger.error(
        { seq: row.seq, problem: decoded.problem },
        'skipping event that breaks the contract',
      );
      return null;
    }
    return { topic: row.topic as Topic, envelope: decoded.envelope, position: String(row.seq) };
  }
}

class EmbeddedSubscription {
  private running = true;
  private done: Promise<void> = Promise.resolve();
  private wake: (() => void) | null = null;

  constructor(
    private readonly log: EmbeddedEventLog,
    private readonly options: SubscribeOptions,
    private readonly logger: Logger,
  ) {}

  run(): void {
    const unlisten = this.log.onAppended(() => this.wake?.());
    this.done = this.loop().finally(unlisten);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.done;
  }

  private async loop(): Promise<void> {
    let offset = await this.log.committedOffset(this.options.group);
    while (this.running) {
      try {
        const { rows, readTo } = await this.log.next(this.options, offset);
        if (rows.length > 0) {
          // The offset covers the unwanted events read past too; they are never read again.
          await this.log.handleBatch(rows, this.options, readTo);
          offset = readTo;
          // better-sqlite3 is synchronous: let HTTP requests and other groups in between batches.
          await new Promise((resolve) => setImmediate(resolve));
          continue;
        }
        // Nothing wanted up to the end: skip it from now on (committed with the next batch).
        offset = readTo;
        await this.sleep(IDLE_POLL_MS);
      } catch (error) {
        this.logger.error(
          { err: error, group: this.options.group, offset },
          'consumer batch failed; retrying',
        );
        await this.sleep(RETRY_MS);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

export function topicFor(envelope: Envelope): Topic {
  if (!isEventType(envelope.type) && !isCommandType(envelope.type))
    throw new Error(`cannot append unknown event type ${envelope.type}`);
  return topicOf(envelope.type);
}
