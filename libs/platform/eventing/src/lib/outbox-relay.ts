import type { Logger } from '@postwave/platform/observability';
import type { Database } from '@postwave/platform/persistence';
import type { Producer } from 'kafkajs';
import { toKafkaMessage } from './kafka-codec';

const BATCH = 500;
const IDLE_MS = 50;
const RELAY_LOCK = 727002;

interface OutboxRow {
  id: string;
  topic: string;
  envelope: string;
}

/**
 * Moves committed outbox rows to Kafka in id order. One relay at a time holds the advisory lock,
 * so replicas never send a stream's events out of order; rows are deleted in the same transaction
 * after the broker acknowledged them (a crash re-sends, consumers deduplicate by event id).
 */
export class OutboxRelay {
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  private wake: (() => void) | null = null;

  constructor(
    private readonly db: Database,
    private readonly producer: Producer,
    private readonly logger: Logger,
    private readonly physicalTopic: (topic: string) => string,
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  poke(): void {
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    // Drain what is already committed so a graceful shutdown leaves nothing behind.
    await this.relayOnce().catch((error) => this.logger.error({ err: error }, 'outbox drain failed'));
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const relayed = await this.relayOnce();
        if (relayed === BATCH) continue;
      } catch (error) {
        this.logger.error({ err: error }, 'outbox relay failed; retrying');
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, IDLE_MS);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  private relayOnce(): Promise<number> {
    return this.db.transaction(async (em) => {
      const [lock] = await em.query('SELECT pg_try_advisory_xact_lock($1) AS ok', [RELAY_LOCK]);
      if (!lock?.ok) return 0;
      const rows: OutboxRow[] = await em.query(
        'SELECT id, topic, envelope FROM outbox ORDER BY id LIMIT $1',
        [BATCH],
      );
      if (rows.length === 0) return 0;
      const byTopic = new Map<string, ReturnType<typeof toKafkaMessage>[]>();
      for (const row of rows) {
        const topic = this.physicalTopic(row.topic);
        const messages = byTopic.get(topic) ?? [];
        messages.push(toKafkaMessage(JSON.parse(row.envelope)));
        byTopic.set(topic, messages);
      }
      await this.producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
      await em.query('DELETE FROM outbox WHERE id = ANY($1::bigint[])', [rows.map((row) => row.id)]);
      return rows.length;
    });
  }
}
