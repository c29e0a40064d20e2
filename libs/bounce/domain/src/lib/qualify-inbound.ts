import { qualifyReply, type Qualification } from '@postwave/bounce-rules';
import { FAILURE_REASONS } from '@postwave/contracts';
import type { RecipientStatus } from './delivery-status';

export type InboundKind = 'dsn' | 'arf' | 'auto-reply';

export interface InboundQualification {
  readonly kind: InboundKind;
  readonly diagnostic: string;
  readonly qualification: Qualification;
}

/**
 * A DSN recipient block: the remote server's diagnostic reply carries the most information, so
 * the shared reply rules qualify it; without one, the status code stands in as a reply. A
 * "delayed" notice is never worse than soft; "delivered", "relayed" and "expanded" are not failures.
 */
export function qualifyDsnRecipient(recipient: RecipientStatus): InboundQualification | null {
  if (recipient.action && ['delivered', 'relayed', 'expanded'].includes(recipient.action)) return null;
  const status = recipient.status ?? (recipient.action === 'delayed' ? '4.0.0' : '5.0.0');
  const diagnostic = recipient.diagnosticCode ?? `${status.startsWith('4') ? 450 : 550} ${status}`;
  const reply = /^\d{3}[ -]/.test(diagnostic)
    ? diagnostic
    : `${status.startsWith('4') ? 450 : 550} ${status} ${diagnostic}`;
  let qualification = qualifyReply(reply);
  if (recipient.action === 'delayed' && qualification.type === 'Hard') {
    qualification = { ...qualification, type: 'Soft' };
  }
  return { kind: 'dsn', diagnostic, qualification };
}

/** A feedback-loop complaint (ARF): Campaign counts complaints as Failed / Denylisted address. */
export function qualifyComplaint(feedbackType: string | null): InboundQualification {
  return {
    kind: 'arf',
    diagnostic: `complaint: ${feedbackType ?? 'abuse'}`,
    qualification: {
      type: 'Hard',
      reason: 'Denylisted',
      reasonCode: FAILURE_REASONS.Denylisted.code,
      rule: 'arf-complaint',
    },
  };
}

/** Out-of-office and other automatic replies: known harmless, recorded as Ignored. */
export function qualifyAutoReply(subject: string): InboundQualification {
  return {
    kind: 'auto-reply',
    diagnostic: `auto-reply: ${subject}`.slice(0, 500),
    qualification: {
      type: 'Ignored',
      reason: 'Unreachable',
      reasonCode: FAILURE_REASONS.Unreachable.code,
      rule: 'auto-reply',
    },
  };
}

/** Recognizes automatic replies by the RFC 3834 header and the common vendor markers. */
export function isAutoReply(headers: ReadonlyMap<string, string>, subject: string): boolean {
  const autoSubmitted = headers.get('auto-submitted');
  if (autoSubmitted && autoSubmitted.toLowerCase() !== 'no') return true;
  if (headers.has('x-autoreply') || headers.has('x-autorespond')) return true;
  if (
    /^(auto|junk|bulk)/i.test(headers.get('precedence') ?? '') &&
    /out of (the )?office|vacation|absen|abwesen/i.test(subject)
  )
    return true;
  return /^(automatic reply|auto[- ]?reply|out of (the )?office|absence|abwesenheit|réponse automatique)\b/i.test(
    subject,
  );
}
