import { z } from 'zod';

/**
 * The event envelope: CloudEvents 1.0 context attributes plus the tracing and causality
 * extensions every Postwave stream carries. On Kafka it travels in the binary content mode
 * (ce_* headers, `data` as the record value, key = `subject`); in the embedded log it is a row.
 */
export const EnvelopeSchema = z.object({
  specversion: z.literal('1.0'),
  /** Unique event id (UUID); consumers deduplicate on it. */
  id: z.string().min(1),
  /** URI-reference of the producing service, e.g. `/postwave/delivery-planner`. */
  source: z.string().min(1),
  /** Versioned, past-tense event type, e.g. `postwave.message.sent.v1`. */
  type: z.string().min(1),
  /** RFC 3339 time the fact happened. */
  time: z.string().min(1),
  /** The stream id (deliveryId, messageId or normalized address); also the partition key. */
  subject: z.string().min(1),
  datacontenttype: z.literal('application/json'),
  /** Id shared by everything one delivery command set in motion. */
  correlationid: z.string().min(1),
  /** Id of the command or event that caused this one. */
  causationid: z.string().min(1),
  /** W3C trace context of the span that produced the event. */
  traceparent: z.string().optional(),
  data: z.unknown(),
});

export interface Envelope<TType extends string = string, TData = unknown> {
  readonly specversion: '1.0';
  readonly id: string;
  readonly source: string;
  readonly type: TType;
  readonly time: string;
  readonly subject: string;
  readonly datacontenttype: 'application/json';
  readonly correlationid: string;
  readonly causationid: string;
  readonly traceparent?: string;
  readonly data: TData;
}

/** What a decider returns: the fact, without transport metadata. */
export interface Fact<TType extends string = string, TData = unknown> {
  readonly type: TType;
  readonly subject: string;
  readonly data: TData;
}
