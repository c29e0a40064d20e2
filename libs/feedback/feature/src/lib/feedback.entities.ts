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
      /** Proof number for proof messages: shown in the log, never counted in the KPIs. */
      proof: { type: 'integer', nullable: true },
      /** The analysis run that excluded it (a new analysis voids the exclusions of earlier runs). */
      analysisRun: { name: 'analysis_run', type: 'integer', nullable: true },
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
      analysisRun: { name: 'analysis_run', type: 'integer', default: 0 },
      /** The last analysis report (JSON). */
      report: { type: 'text', nullable: true },
      startAt: { name: 'start_at', type: 'text', nullable: true },
      validUntil: { name: 'valid_until', type: 'text', nullable: true },
      proofs: { type: 'integer', default: 0 },
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
  analysisRun: number;
  report: string | null;
  startAt: string | null;
  validUntil: string | null;
  proofs: number;
  pending: number;
  takenIntoAccount: number;
  sent: number;
  failed: number;
  ignored: number;
  canceled: number;
}
