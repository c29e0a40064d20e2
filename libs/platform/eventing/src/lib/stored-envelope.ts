import { ContractViolation, parseAnyEnvelope } from '@postwave/contracts';
import type { ConsumedEnvelope } from './event-log.port';

export type Decoded = { ok: true; envelope: ConsumedEnvelope } | { ok: false; problem: string };

export function decodeStored(json: string): Decoded {
  try {
    return { ok: true, envelope: parseAnyEnvelope(JSON.parse(json)) };
  } catch (error) {
    if (error instanceof ContractViolation || error instanceof SyntaxError)
      return { ok: false, problem: error.message };
    throw error;
  }
}
