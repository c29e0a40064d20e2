import { z } from 'zod';
import { COMMAND_SCHEMAS, type DeliveryCommand } from './delivery-commands';
import { EnvelopeSchema, type Envelope } from './envelope';
import { EVENT_CATALOGUE, isCommandType, isEventType, type PostwaveEvent } from './event-catalogue';
import { upcast } from './upcasters';

/** A boundary rejected a payload. `field` is the dotted path, `value` what was received there. */
export class ContractViolation extends Error {
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly problem: string,
  ) {
    super(`${field}: ${problem} (got ${JSON.stringify(value) ?? 'undefined'})`);
    this.name = 'ContractViolation';
  }
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** Parses with a schema, turning the first issue into a ContractViolation naming field and value. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, prefix = ''): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue?.path ?? [];
  const field = [prefix, ...path.map(String)].filter(Boolean).join('.') || '(root)';
  throw new ContractViolation(field, valueAt(input, path), issue?.message ?? 'invalid');
}

/** Validates an incoming envelope, upcasts old versions and validates the data of the current one. */
export function parseEventEnvelope(raw: unknown): Envelope & PostwaveEvent {
  const envelope = parseOrThrow(EnvelopeSchema, raw) as Envelope;
  const current = upcast({ type: envelope.type, data: envelope.data });
  if (!isEventType(current.type)) throw new ContractViolation('type', envelope.type, 'unknown event type');
  const data = parseOrThrow(EVENT_CATALOGUE[current.type].schema, current.data, 'data');
  return { ...envelope, type: current.type, data } as Envelope & PostwaveEvent;
}

/** Commands travel in envelopes too (on the command topic); this parses either kind. */
export function parseAnyEnvelope(raw: unknown): Envelope & (PostwaveEvent | DeliveryCommand) {
  const envelope = parseOrThrow(EnvelopeSchema, raw) as Envelope;
  if (isCommandType(envelope.type)) return { ...envelope, ...parseCommand(envelope.type, envelope.data) };
  return parseEventEnvelope(raw);
}

export function parseCommand(type: string, data: unknown): DeliveryCommand {
  if (!isCommandType(type)) throw new ContractViolation('type', type, 'unknown command type');
  return { type, data: parseOrThrow(COMMAND_SCHEMAS[type], data, 'data') } as DeliveryCommand;
}
