import { EntitySchema } from 'typeorm';

/**
 * The MTA's durable spool. A message is written here before "taken into account" is announced,
 * so an accepted message survives any crash; replicas claim due rows with a lease.
 */
export const sendingEntities = () => [
  new EntitySchema({
    name: 'SpoolEntry',
    tableName: 'mta_spool',
    columns: {
      messageId: { name: 'message_id', type: 'text', primary: true },
      deliveryId: { name: 'delivery_id', type: 'text' },
      address: { type: 'text' },
      domain: { type: 'text' },
      attributes: { type: 'text' },
      validUntil: { name: 'valid_until', type: 'text' },
      state: { type: 'text' },
      attempts: { type: 'integer' },
      nextAttemptAt: { name: 'next_attempt_at', type: 'text' },
      leaseOwner: { name: 'lease_owner', type: 'text', nullable: true },
      leaseUntil: { name: 'lease_until', type: 'text', nullable: true },
      lastReply: { name: 'last_reply', type: 'text', nullable: true },
      correlationId: { name: 'correlation_id', type: 'text' },
      traceparent: { type: 'text', nullable: true },
      /** 0 while the message waits for its wave: "taken into account" is announced when it is due. */
      announced: { type: 'integer', default: 1 },
      /** Proofs: the "Proof #n " prefix of the subject. */
      subjectPrefix: { name: 'subject_prefix', type: 'text', nullable: true },
    },
    indices: [{ name: 'mta_spool_due', columns: ['state', 'nextAttemptAt'] }],
  }),
  new EntitySchema({
    name: 'PathStateEntry',
    tableName: 'mta_path_state',
    columns: {
      site: { type: 'text', primary: true },
      sourceIp: { name: 'source_ip', type: 'text', primary: true },
      state: { type: 'text' },
    },
  }),
  new EntitySchema({
    name: 'SiteHourEntry',
    tableName: 'mta_site_hour',
    columns: {
      site: { type: 'text', primary: true },
      sourceIp: { name: 'source_ip', type: 'text', primary: true },
      hour: { type: 'text', primary: true },
      accepted: { type: 'integer' },
      deferred: { type: 'integer' },
      bounced: { type: 'integer' },
    },
  }),
  new EntitySchema({
    name: 'DeliveryControlEntry',
    tableName: 'mta_delivery_control',
    columns: {
      deliveryId: { name: 'delivery_id', type: 'text', primary: true },
      /** `paused` holds the delivery's queued messages; `stopped` has canceled them. */
      state: { type: 'text' },
    },
  }),
  new EntitySchema({
    name: 'DeliveryContentEntry',
    tableName: 'mta_delivery_content',
    columns: {
      deliveryId: { name: 'delivery_id', type: 'text', primary: true },
      content: { type: 'text' },
    },
  }),
];

export interface SpoolRow {
  messageId: string;
  deliveryId: string;
  address: string;
  domain: string;
  attributes: string;
  validUntil: string;
  state: 'queued' | 'done' | 'canceled';
  attempts: number;
  nextAttemptAt: string;
  leaseOwner: string | null;
  leaseUntil: string | null;
  announced: number;
  subjectPrefix: string | null;
  lastReply: string | null;
  correlationId: string;
  traceparent: string | null;
}
