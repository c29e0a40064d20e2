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
];

export interface BounceMessageRow {
  messageId: string;
  deliveryId: string;
  address: string;
}
