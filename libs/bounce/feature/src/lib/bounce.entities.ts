import { EntitySchema } from 'typeorm';

/** What the qualifier needs to map a bounce back: each planned message's delivery and address. */
export const bounceEntities = () => [
  new EntitySchema({
    name: 'BounceMessage',
    tableName: 'bq_message',
    columns: {
      messageId: { name: 'message_id', type: 'text', primary: true },
      deliveryId: { name: 'delivery_id', type: 'text' },
      address: { type: 'text' },
    },
  }),
  new EntitySchema({
    name: 'BounceAddressErrors',
    tableName: 'bq_address_errors',
    columns: {
      /** An address "with errors": its soft-error counter (Campaign's quarantine error count). */
      address: { type: 'text', primary: true },
      count: { type: 'integer' },
      lastErrorAt: { name: 'last_error_at', type: 'text' },
      lastReason: { name: 'last_reason', type: 'text' },
      quarantined: { type: 'boolean' },
    },
  }),
];

export interface BounceMessageRow {
  messageId: string;
  deliveryId: string;
  address: string;
}
