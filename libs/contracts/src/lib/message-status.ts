import { z } from 'zod';

/** Per-message delivery log status (Campaign §4.1 under the Email Feedback Service, §6). */
export const MessageStatus = z.enum(['Pending', 'TakenIntoAccount', 'Sent', 'Failed', 'Ignored', 'Canceled']);
export type MessageStatus = z.infer<typeof MessageStatus>;

export const MESSAGE_STATUS_LABELS: Readonly<Record<MessageStatus, string>> = {
  Pending: 'Pending',
  TakenIntoAccount: 'Taken into account by the service provider',
  Sent: 'Sent',
  Failed: 'Failed',
  Ignored: 'Ignored',
  Canceled: 'Delivery canceled',
};
