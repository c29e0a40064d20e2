import { EntitySchema } from 'typeorm';
import type { DatabaseKind } from '@postwave/platform/persistence';

/**
 * Platform tables. `event_log` is the embedded mode's log (global sequence = the offset);
 * `outbox` holds events written in a business transaction until the relay hands them to Kafka;
 * `consumer_offset` keeps each embedded consumer group's position; `processed_event` is the
 * inbox that makes every consumer idempotent by event id in both modes.
 */
export function eventingEntities(kind: DatabaseKind) {
  const sequenceType = kind === 'postgres' ? 'bigint' : 'integer';
  return [
    new EntitySchema({
      name: 'EventLogEntry',
      tableName: 'event_log',
      columns: {
        seq: { type: sequenceType, primary: true, generated: 'increment' },
        topic: { type: 'text' },
        key: { type: 'text' },
        // Not unique-indexed: ids are random UUIDs made at append time and nothing looks events up
        // by id here (consumers keep their own inbox); an index on random keys costs every append.
        eventId: { name: 'event_id', type: 'text' },
        type: { type: 'text' },
        envelope: { type: 'text' },
      },
      indices: [{ name: 'event_log_topic_seq', columns: ['topic', 'seq'] }],
    }),
    new EntitySchema({
      name: 'ConsumerOffset',
      tableName: 'consumer_offset',
      columns: {
        groupId: { name: 'group_id', type: 'text', primary: true },
        seq: { type: sequenceType },
      },
    }),
    new EntitySchema({
      name: 'OutboxEntry',
      tableName: 'outbox',
      columns: {
        id: { type: sequenceType, primary: true, generated: 'increment' },
        topic: { type: 'text' },
        key: { type: 'text' },
        envelope: { type: 'text' },
      },
    }),
    new EntitySchema({
      name: 'ProcessedEvent',
      tableName: 'processed_event',
      columns: {
        groupId: { name: 'group_id', type: 'text', primary: true },
        eventId: { name: 'event_id', type: 'text', primary: true },
        /** When the group handled it: entries older than the inbox retention are pruned. */
        processedAt: { name: 'processed_at', type: 'text', nullable: true },
      },
      indices: [{ name: 'processed_event_at', columns: ['processedAt'] }],
    }),
  ];
}
