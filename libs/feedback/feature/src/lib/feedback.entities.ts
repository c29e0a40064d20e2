import { EntitySchema } from 'typeorm';

/** The read model: one delivery-log row per message, and per delivery its header and status counts. */
export const feedbackEntities = () => [
  new EntitySchema({
    name: 'FeedbackMessageLog',
    tableName: 'fb_message_log',
    columns: {
      messageId: { name: 'message_id', type: 'text', primary: true },
      deliveryId: { name: 'delivery_id', type: 'text' },
      address: { type: 'text' },
      status: { type: 'text' },
      failureType: { name: 'failure_type', type: 'text', nullable: true },
      reason: { type: 'text', nullable: true },
      reasonCode: { name: 'reason_code', type: 'integer', nullable: true },
      lastReply: { name: 'last_reply', type: 'text', nullable: true },
      attempts: { type: 'integer' },
      updatedAt: { name: 'updated_at', type: 'text' },
    },
    indices: [{ name: 'fb_message_log_delivery', columns: ['deliveryId', 'status'] }],
  }),
  new EntitySchema({
    name: 'FeedbackDelivery',
    tableName: 'fb_delivery',
    columns: {
      deliveryId: { name: 'delivery_id', type: 'text', primary: true },
      label: { type: 'text', nullable: true },
      subject: { type: 'text', nullable: true },
      state: { type: 'text' },
      createdAt: { name: 'created_at', type: 'text', nullable: true },
      targeted: { type: 'integer' },
      /** Messages the confirmation planned; Finished needs all of them projected. */
      messageCount: { name: 'message_count', type: 'integer', nullable: true },
      pending: { type: 'integer' },
      takenIntoAccount: { name: 'taken_into_account', type: 'integer' },
      sent: { type: 'integer' },
      failed: { type: 'integer' },
      ignored: { type: 'integer' },
      canceled: { type: 'integer' },
    },
  }),
];

export interface DeliveryRow {
  deliveryId: string;
  label: string | null;
  subject: string | null;
  state: string;
  createdAt: string | null;
  targeted: number;
  messageCount: number | null;
  pending: number;
  takenIntoAccount: number;
  sent: number;
  failed: number;
  ignored: number;
  canceled: number;
}
