import { z } from 'zod';
import { COMMAND_SCHEMAS } from './delivery-commands';
import {
  DeliveryAnalyzedV1,
  DeliveryCommandRejectedV1,
  DeliveryConfirmedV1,
  DeliveryControlledV1,
  DeliveryCreatedV1,
  DeliveryAnalysisStartedV1,
  DeliveryFailedV1,
  DeliveryFinishedV1,
  DeliveryProofSentV1,
  DeliveryScheduledV1,
  DeliveryStartedV1,
  DeliveryUpdatedV1,
} from './delivery-events';
import {
  AddressConsentChangedV1,
  AddressQuarantinedV1,
  AddressUnsubscribedV1,
  MessageBouncedV1,
  MessageCanceledV1,
  MessageDeferredV1,
  MessageExcludedV1,
  MessageFailedV1,
  MessagePlannedV1,
  MessageSentV1,
  MessageTakenIntoAccountV1,
  PathLimitsChangedV1,
} from './message-events';
import { TOPICS, type Topic } from './topics';

/** Every current event type, its schema and the stream (topic) it belongs to. */
export const EVENT_CATALOGUE = {
  'postwave.delivery.created.v1': { topic: TOPICS.deliveryEvents, schema: DeliveryCreatedV1 },
  'postwave.delivery.updated.v1': { topic: TOPICS.deliveryEvents, schema: DeliveryUpdatedV1 },
  'postwave.delivery.scheduled.v1': { topic: TOPICS.deliveryEvents, schema: DeliveryScheduledV1 },
  'postwave.delivery.analysis-started.v1': {
    topic: TOPICS.deliveryEvents,
    schema: DeliveryAnalysisStartedV1,
  },
  'postwave.delivery.analyzed.v1': { topic: TOPICS.deliveryEvents, schema: DeliveryAnalyzedV1 },
  'postwave.delivery.proof-sent.v1': { topic: TOPICS.deliveryEvents, schema: DeliveryProofSentV1 },
  'postwave.delivery.confirmed.v1': { topic: TOPICS.deliveryEvents, schema: DeliveryConfirmedV1 },
  'postwave.delivery.command-rejected.v1': {
    topic: TOPICS.deliveryEvents,
    schema: DeliveryCommandRejectedV1,
  },
  'postwave.delivery.paused.v1': { topic: TOPICS.deliveryEvents, schema: DeliveryControlledV1 },
  'postwave.delivery.resumed.v1': { topic: TOPICS.deliveryEvents, schema: DeliveryControlledV1 },
  'postwave.delivery.stopped.v1': { topic: TOPICS.deliveryEvents, schema: DeliveryControlledV1 },
  'postwave.delivery.started.v1': { topic: TOPICS.deliveryEvents, schema: DeliveryStartedV1 },
  'postwave.delivery.finished.v1': { topic: TOPICS.deliveryEvents, schema: DeliveryFinishedV1 },
  'postwave.delivery.failed.v1': { topic: TOPICS.deliveryEvents, schema: DeliveryFailedV1 },
  'postwave.message.planned.v1': { topic: TOPICS.messageEvents, schema: MessagePlannedV1 },
  'postwave.message.excluded.v1': { topic: TOPICS.messageEvents, schema: MessageExcludedV1 },
  'postwave.message.taken-into-account.v1': {
    topic: TOPICS.messageEvents,
    schema: MessageTakenIntoAccountV1,
  },
  'postwave.message.deferred.v1': { topic: TOPICS.messageEvents, schema: MessageDeferredV1 },
  'postwave.message.sent.v1': { topic: TOPICS.messageEvents, schema: MessageSentV1 },
  'postwave.message.failed.v1': { topic: TOPICS.messageEvents, schema: MessageFailedV1 },
  'postwave.message.bounced.v1': { topic: TOPICS.messageEvents, schema: MessageBouncedV1 },
  'postwave.message.canceled.v1': { topic: TOPICS.messageEvents, schema: MessageCanceledV1 },
  'postwave.address.quarantined.v1': { topic: TOPICS.addressEvents, schema: AddressQuarantinedV1 },
  'postwave.address.unsubscribed.v1': { topic: TOPICS.addressEvents, schema: AddressUnsubscribedV1 },
  'postwave.address.consent-changed.v1': { topic: TOPICS.addressEvents, schema: AddressConsentChangedV1 },
  'postwave.mta.path-limits-changed.v1': { topic: TOPICS.mtaEvents, schema: PathLimitsChangedV1 },
} as const satisfies Record<string, { topic: Topic; schema: z.ZodType }>;

export type EventType = keyof typeof EVENT_CATALOGUE;
export type EventData<T extends EventType> = z.infer<(typeof EVENT_CATALOGUE)[T]['schema']>;

/** A typed event: a discriminated union over every current event type. */
export type PostwaveEvent = {
  [T in EventType]: { readonly type: T; readonly data: EventData<T> };
}[EventType];
export type EventOf<T extends EventType> = Extract<PostwaveEvent, { type: T }>;

export const isEventType = (type: string): type is EventType => type in EVENT_CATALOGUE;
export const isCommandType = (type: string): type is keyof typeof COMMAND_SCHEMAS => type in COMMAND_SCHEMAS;

export const topicOf = (type: EventType | keyof typeof COMMAND_SCHEMAS): Topic =>
  isCommandType(type) ? TOPICS.deliveryCommands : EVENT_CATALOGUE[type].topic;
