import { randomUUID } from 'node:crypto';
import type { Envelope, Fact } from '@postwave/contracts';

export interface Causation {
  readonly correlationId: string;
  /** The command or event id that caused the new events. */
  readonly causationId: string;
  readonly traceparent?: string;
}

/** Wraps domain facts in envelopes: ids, time and causality are added here, never in domain code. */
export class EnvelopeFactory {
  constructor(
    private readonly source: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  wrap(facts: readonly Fact[], causation: Causation): Envelope[] {
    const time = this.now().toISOString();
    return facts.map((fact) => ({
      specversion: '1.0',
      id: randomUUID(),
      source: this.source,
      type: fact.type,
      time,
      subject: fact.subject,
      datacontenttype: 'application/json',
      correlationid: causation.correlationId,
      causationid: causation.causationId,
      ...(causation.traceparent ? { traceparent: causation.traceparent } : {}),
      data: fact.data,
    }));
  }

  /** Causation for events that follow a consumed event. */
  static after(envelope: Envelope, traceparent?: string): Causation {
    return {
      correlationId: envelope.correlationid,
      causationId: envelope.id,
      traceparent: traceparent ?? envelope.traceparent,
    };
  }
}
