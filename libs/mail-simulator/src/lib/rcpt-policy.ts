import type { SMTPServerSession } from 'smtp-server';
import type { ProviderPersonality, ReplyKind } from './personality-schema';
import type { RecipientBehaviour } from './recipient-behaviour';
import type { TrafficState } from './traffic-state';

export interface RcptDecision {
  /** The reply kind to refuse the recipient with, or null to accept it. */
  refuse: ReplyKind | null;
  /** How long to hold the reply back (`slow-N@`). */
  delayMs: number;
}

export interface RcptInput {
  address: string;
  session: SMTPServerSession;
  personality: ProviderPersonality;
  behaviour: RecipientBehaviour;
  traffic: TrafficState;
  /** Resolves the personality of another recipient of the same message. */
  personalityOf: (address: string) => ProviderPersonality;
}

const ok = (delayMs = 0): RcptDecision => ({ refuse: null, delayMs });
const refuse = (kind: ReplyKind): RcptDecision => ({ refuse: kind, delayMs: 0 });

/**
 * Decides the RCPT reply. Provider limits come first, as at a real provider where a
 * throttled client learns nothing about individual mailboxes; then the mailbox behaviour.
 */
export function decideRcpt({
  address,
  session,
  personality: p,
  behaviour,
  traffic,
  personalityOf,
}: RcptInput): RcptDecision {
  const ip = session.remoteAddress;
  if (!traffic.joinConnection(p.name, ip, session.id, p.limits.maxConnectionsPerIp))
    return refuse('tooManyConnections');
  const perMinute = p.limits.messagesPerMinutePerIp;
  if (perMinute !== undefined && traffic.messagesLastMinute(p.name, ip) >= perMinute)
    return refuse('rateLimited');
  const maxRcpt = p.limits.maxRecipientsPerMessage;
  if (maxRcpt !== undefined) {
    const lower = address.toLowerCase();
    const others = session.envelope.rcptTo.filter(
      (r) => r.address.toLowerCase() !== lower && personalityOf(r.address) === p,
    );
    if (others.length >= maxRcpt) return refuse('tooManyRecipients');
  }
  const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
  switch (behaviour.kind) {
    case 'bounce-hard':
      return refuse('userUnknown');
    case 'mailbox-full':
      return refuse('mailboxFull');
    case 'defer':
      return traffic.shouldDefer(address, behaviour.attempts) ? refuse('deferred') : ok();
    case 'greylist':
      return traffic.shouldGreylist(ip, mailFrom, address, behaviour.minDelaySeconds)
        ? refuse('greylisted')
        : ok();
    case 'slow':
      return ok(behaviour.delayMs);
    default:
      return ok();
  }
}
