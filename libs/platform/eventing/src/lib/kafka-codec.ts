import type { Envelope } from '@postwave/contracts';
import type { IHeaders, Message } from 'kafkajs';

/**
 * CloudEvents Kafka protocol binding, binary content mode: context attributes as `ce_*` headers,
 * `data` as the record value, the stream id (subject) as the record key.
 */
export function toKafkaMessage(envelope: Envelope): Message {
  const headers: IHeaders = {
    ce_specversion: envelope.specversion,
    ce_id: envelope.id,
    ce_source: envelope.source,
    ce_type: envelope.type,
    ce_time: envelope.time,
    ce_subject: envelope.subject,
    ce_correlationid: envelope.correlationid,
    ce_causationid: envelope.causationid,
    'content-type': envelope.datacontenttype,
  };
  if (envelope.traceparent) headers['traceparent'] = envelope.traceparent;
  return { key: envelope.subject, value: JSON.stringify(envelope.data), headers };
}

const header = (headers: IHeaders | undefined, name: string): string | undefined => {
  const value = headers?.[name];
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value[0] : value)?.toString();
};

/** Rebuilds the raw envelope; validation against the contracts happens after. */
export function fromKafkaMessage(message: {
  headers?: IHeaders;
  value: Buffer | null;
}): Record<string, unknown> {
  return {
    specversion: header(message.headers, 'ce_specversion'),
    id: header(message.headers, 'ce_id'),
    source: header(message.headers, 'ce_source'),
    type: header(message.headers, 'ce_type'),
    time: header(message.headers, 'ce_time'),
    subject: header(message.headers, 'ce_subject'),
    datacontenttype: header(message.headers, 'content-type'),
    correlationid: header(message.headers, 'ce_correlationid'),
    causationid: header(message.headers, 'ce_causationid'),
    traceparent: header(message.headers, 'traceparent'),
    data: message.value ? JSON.parse(message.value.toString('utf8')) : null,
  };
}
