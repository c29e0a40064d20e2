import { randomUUID } from 'node:crypto';
import { TOPIC_SPECS, type Envelope, type Topic } from '@postwave/contracts';
import type { Logger } from '@postwave/platform/observability';
import type { Database } from '@postwave/platform/persistence';
import { Kafka, logLevel, type Consumer, type EachBatchPayload, type Producer } from 'kafkajs';
import type { EntityManager } from 'typeorm';
import { topicFor } from './embedded-event-log';
import {
  openEventTx,
  type ConsumedEvent,
  type EventLog,
  type SubscribeOptions,
  type Subscription,
} from './event-log.port';
import { firstDelivery, pruneInbox } from './inbox';
import { fromKafkaMessage } from './kafka-codec';
import { OutboxRelay } from './outbox-relay';
import { decodeStored } from './stored-envelope';

export interface KafkaOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Prefix of the physical topic names; the contracts' names stay the logical ones. */
  readonly topicNamespace: string;
  /** Inbox entries older than this are pruned (hourly). */
  readonly inboxRetentionMs?: number;
}

const PRUNE_EVERY_MS = 3_600_000;
/** A week: far beyond any redelivery (INBOX_RETENTION_HOURS sets it for the services). */
const DEFAULT_INBOX_RETENTION_MS = 7 * 24 * 3_600_000;

/**
 * Distributed mode: events are written to the PostgreSQL outbox inside business transactions and
 * relayed by an idempotent producer; consumers are kafkajs consumer groups whose handlers run in a
 * PostgreSQL transaction with the inbox, so a redelivered batch changes nothing.
 */
export class KafkaEventLog implements EventLog {
  readonly kind = 'kafka' as const;
  private readonly kafka: Kafka;
  private producer: Producer | null = null;
  private relay: OutboxRelay | null = null;
  private readonly consumers = new Set<Consumer>();
  private pruner: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Database,
    private readonly options: KafkaOptions,
    private readonly logger: Logger,
  ) {
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: [...options.brokers],
      logLevel: logLevel.INFO,
      logCreator: () => (entry) =>
        this.logger.warn({ kafka: entry.namespace, ...entry.log }, entry.log.message),
      retry: { retries: 8 },
    });
  }

  async start(): Promise<void> {
    await this.createTopics();
    this.producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    await this.producer.connect();
    this.relay = new OutboxRelay(this.db, this.producer, this.logger, (topic) => this.physical(topic));
    this.relay.start();
    this.pruner = setInterval(() => void this.pruneInbox(), PRUNE_EVERY_MS);
    this.pruner.unref();
  }

  /** Forgets handled events older than the inbox retention (every replica may run it: deletes are idempotent). */
  async pruneInbox(now = Date.now()): Promise<number> {
    const retention = this.options.inboxRetentionMs ?? DEFAULT_INBOX_RETENTION_MS;
    try {
      const pruned = await pruneInbox(this.db, new Date(now - retention));
      if (pruned > 0) this.logger.info({ pruned }, 'inbox entries pruned');
      return pruned;
    } catch (error) {
      this.logger.warn({ err: error }, 'inbox pruning failed; retrying next hour');
      return 0;
    }
  }

  async appendIn(em: EntityManager, envelopes: readonly Envelope[]): Promise<void> {
    if (envelopes.length === 0) return;
    const rows = envelopes.map((envelope) => ({
      topic: topicFor(envelope),
      key: envelope.subject,
      envelope: JSON.stringify(envelope),
    }));
    for (let i = 0; i < rows.length; i += 500) {
      await em
        .createQueryBuilder()
        .insert()
        .into('OutboxEntry')
        .values(rows.slice(i, i + 500))
        .execute();
    }
    this.relay?.poke();
  }

  publish(envelopes: readonly Envelope[]): Promise<void> {
    return this.db.transaction((em) => this.appendIn(em, envelopes));
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const consumer = this.kafka.consumer({ groupId: options.group, allowAutoTopicCreation: false });
    await consumer.connect();
    await consumer.subscribe({ topics: options.topics.map((t) => this.physical(t)), fromBeginning: true });
    this.consumers.add(consumer);
    await consumer.run({
      eachBatchAutoResolve: false,
      eachBatch: async (payload) => {
        await this.handleBatch(payload, options);
      },
    });
    return {
      stop: async () => {
        this.consumers.delete(consumer);
        await consumer.disconnect();
      },
    };
  }

  async replay(options: SubscribeOptions): Promise<number> {
    const admin = this.kafka.admin();
    await admin.connect();
    const remaining = new Map<string, number>();
    for (const topic of options.topics.map((t) => this.physical(t))) {
      for (const { partition, high } of await admin.fetchTopicOffsets(topic)) {
        if (Number(high) > 0) remaining.set(`${topic}:${partition}`, Number(high) - 1);
      }
    }
    const group = `${options.group}.replay.${randomUUID()}`;
    let count = 0;
    if (remaining.size > 0) {
      const consumer = this.kafka.consumer({ groupId: group });
      await consumer.connect();
      await consumer.subscribe({ topics: options.topics.map((t) => this.physical(t)), fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        consumer
          .run({
            eachBatchAutoResolve: false,
            eachBatch: async (payload) => {
              count += await this.handleBatch(payload, options);
              const key = `${payload.batch.topic}:${payload.batch.partition}`;
              const last = remaining.get(key);
              if (last !== undefined && Number(payload.batch.lastOffset()) >= last) remaining.delete(key);
              if (remaining.size === 0) resolve();
            },
          })
          .catch(reject);
      });
      await consumer.disconnect();
      await admin.deleteGroups([group]).catch(() => undefined);
    }
    await admin.disconnect();
    return count;
  }

  async stop(): Promise<void> {
    if (this.pruner) clearInterval(this.pruner);
    await Promise.all([...this.consumers].map((consumer) => consumer.disconnect()));
    this.consumers.clear();
    await this.relay?.stop();
    await this.producer?.disconnect();
  }

  private async handleBatch(
    { batch, resolveOffset, heartbeat, isRunning }: EachBatchPayload,
    options: SubscribeOptions,
  ) {
    if (!isRunning() || batch.messages.length === 0) return 0;
    const handled = await this.db.transaction(async (em) => {
      const { tx, finish } = openEventTx(em, (envelopes) => this.appendIn(em, envelopes));
      let count = 0;
      for (const message of batch.messages) {
        const type = message.headers?.['ce_type']?.toString();
        if (options.types && type && !options.types.includes(type)) continue;
        const decoded = decodeStored(JSON.stringify(fromKafkaMessage(message)));
        if (!decoded.ok) {
          this.logger.error(
            { topic: batch.topic, offset: message.offset, problem: decoded.problem },
            'skipping event that breaks the contract',
          );
          continue;
        }
        const event: ConsumedEvent = {
          topic: batch.topic.slice(this.options.topicNamespace.length) as Topic,
          envelope: decoded.envelope,
          position: `${batch.partition}:${message.offset}`,
        };
        if (!(await firstDelivery(em, options.group, event.envelope.id))) continue;
        await options.handle(event, tx);
        count++;
      }
      await finish();
      return count;
    });
    // Offsets are committed only after the transaction: a crash in between redelivers the batch,
    // and the inbox turns the redelivery into a no-op.
    resolveOffset(batch.lastOffset());
    await heartbeat();
    return handled;
  }

  private physical(topic: string): string {
    return this.options.topicNamespace + topic;
  }

  private async createTopics(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = TOPIC_SPECS.filter((spec) => !existing.has(this.physical(spec.name)));
      if (missing.length > 0) {
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((spec) => ({
            topic: this.physical(spec.name),
            numPartitions: this.options.partitions,
            replicationFactor: this.options.replicationFactor,
            configEntries: [
              { name: 'retention.ms', value: String(spec.retentionMs) },
              { name: 'cleanup.policy', value: 'delete' },
            ],
          })),
        });
      }
    } finally {
      await admin.disconnect();
    }
  }
}
