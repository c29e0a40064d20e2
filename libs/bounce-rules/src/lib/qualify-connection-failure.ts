import type { FailureReason, FailureType } from '@postwave/contracts';
import { qualification, type Qualification } from './qualify-reply';

export type ConnectionFailureKind =
  'dns-nxdomain' | 'dns-no-mx' | 'null-mx' | 'dns-temp' | 'refused' | 'timeout' | 'tls' | 'reset' | 'unknown';

export interface ConnectionFailure {
  kind: ConnectionFailureKind;
  /** Free text for logs (errno, resolver message); it does not change the qualification. */
  detail?: string;
}

/**
 * Failures before any SMTP reply. Only a domain that provably cannot receive mail is Hard: NXDOMAIN
 * or a null MX (RFC 7505). A domain with no MX and no address record may be mid-migration, so it is
 * Campaign's usual "Invalid domain" Soft (retried, quarantined after repeated errors). Everything else
 * is a transient break in the delivery chain: Unreachable, Soft.
 */
export const CONNECTION_FAILURE_RULES: Readonly<
  Record<ConnectionFailureKind, { type: FailureType; reason: FailureReason }>
> = {
  'dns-nxdomain': { type: 'Hard', reason: 'InvalidDomain' },
  'null-mx': { type: 'Hard', reason: 'InvalidDomain' },
  'dns-no-mx': { type: 'Soft', reason: 'InvalidDomain' },
  'dns-temp': { type: 'Soft', reason: 'Unreachable' },
  refused: { type: 'Soft', reason: 'Unreachable' },
  timeout: { type: 'Soft', reason: 'Unreachable' },
  tls: { type: 'Soft', reason: 'Unreachable' },
  reset: { type: 'Soft', reason: 'Unreachable' },
  unknown: { type: 'Soft', reason: 'Unreachable' },
};

export function qualifyConnectionFailure(failure: ConnectionFailure): Qualification {
  const rule = CONNECTION_FAILURE_RULES[failure.kind] ?? CONNECTION_FAILURE_RULES.unknown;
  const kind = failure.kind in CONNECTION_FAILURE_RULES ? failure.kind : 'unknown';
  return qualification(rule.type, rule.reason, `connection.${kind}`);
}
