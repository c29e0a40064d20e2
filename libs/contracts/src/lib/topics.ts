/**
 * The topic catalogue. One topic per stream category, keyed by stream id so one entity's events
 * stay ordered. A breaking change to a stream's shape gets a new topic with a bumped suffix.
 */
export const TOPICS = {
  /** Commands to the planner, key = deliveryId. */
  deliveryCommands: 'postwave.delivery-commands.v1',
  /** Facts about deliveries (created, analyzed, confirmed, rejected commands), key = deliveryId. */
  deliveryEvents: 'postwave.delivery-events.v1',
  /** Facts about single messages (planned, excluded, taken, deferred, sent, failed), key = messageId. */
  messageEvents: 'postwave.message-events.v1',
  /** Facts about addresses (quarantined, unsubscribed, denylisted), key = normalized address. */
  addressEvents: 'postwave.address-events.v1',
  /** Facts about the MTA's delivery paths (learned limits, suspensions), key = site. */
  mtaEvents: 'postwave.mta-events.v1',
} as const;

export type Topic = (typeof TOPICS)[keyof typeof TOPICS];

export interface TopicSpec {
  readonly name: Topic;
  /** Event topics are the source of truth and keep data forever; commands expire after 7 days. */
  readonly retentionMs: number;
  readonly keyedBy: string;
}

export const TOPIC_SPECS: readonly TopicSpec[] = [
  { name: TOPICS.deliveryCommands, retentionMs: 7 * 24 * 3600 * 1000, keyedBy: 'deliveryId' },
  { name: TOPICS.deliveryEvents, retentionMs: -1, keyedBy: 'deliveryId' },
  { name: TOPICS.messageEvents, retentionMs: -1, keyedBy: 'messageId' },
  { name: TOPICS.addressEvents, retentionMs: -1, keyedBy: 'normalized address' },
  { name: TOPICS.mtaEvents, retentionMs: -1, keyedBy: 'site' },
];
