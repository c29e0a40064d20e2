import { CompiledContent } from '@postwave/content';
import {
  FAILURE_REASONS,
  normalizeAddress,
  type AnalysisReport,
  type DeliveryContent,
  type FailureReason,
  type Finding,
  type InlineRecipient,
} from '@postwave/contracts';
import { messageIdFor } from './message-id';
import type { TargetRecipient } from './delivery-state';

export interface Exclusion {
  readonly messageId: string;
  readonly address: string;
  readonly reason: FailureReason;
  readonly detail?: string;
}

export interface AddressStatusLookup {
  /** The reason an address may not be contacted (quarantine, denylist, unsubscription), if any. */
  blockedReason(normalizedAddress: string): FailureReason | null;
}

export interface Analysis {
  readonly report: AnalysisReport;
  readonly target: readonly TargetRecipient[];
  readonly exclusions: readonly Exclusion[];
}

/**
 * The delivery analysis (Campaign §2): content control rules, then per-recipient filtering in a
 * fixed order (missing address, syntax, duplicate, address status, personalization). Each
 * exclusion keeps its coded reason; errors make the report blocking.
 */
export function analyzeDelivery(
  deliveryId: string,
  content: DeliveryContent,
  recipients: readonly InlineRecipient[],
  addresses: AddressStatusLookup,
): Analysis {
  const findings: Finding[] = [...controlContent(content)];
  const compiled = CompiledContent.compile(content);
  if (!compiled.ok) {
    findings.push({
      rule: 'template-syntax',
      level: 'error',
      message: `${compiled.part}: ${compiled.error}`,
    });
  }
  const target: TargetRecipient[] = [];
  const exclusions: Exclusion[] = [];
  const seen = new Set<string>();

  recipients.forEach((recipient, index) => {
    const messageId = messageIdFor(deliveryId, index);
    const exclude = (reason: FailureReason, detail?: string) =>
      exclusions.push({ messageId, address: recipient.address ?? '', reason, ...(detail ? { detail } : {}) });
    const checked = normalizeAddress(recipient.address);
    if (!checked.ok) return exclude(checked.problem === 'empty' ? 'AddressNotSpecified' : 'InvalidSyntax');
    const dedupKey = checked.address.toLowerCase();
    if (seen.has(dedupKey)) return exclude('Double');
    seen.add(dedupKey);
    const blocked = addresses.blockedReason(checked.address);
    if (blocked) return exclude(blocked);
    if (compiled.ok) {
      const rendered = compiled.compiled.render(recipient.attributes);
      if (!rendered.ok) return exclude('PersonalizationError', `${rendered.part}: ${rendered.error}`);
    }
    target.push({
      messageId,
      address: checked.address,
      domain: checked.domain,
      attributes: recipient.attributes,
    });
  });

  if (target.length === 0)
    findings.push({ rule: 'empty-target', level: 'error', message: 'no recipient left to deliver to' });
  const exclusionsByReason: Partial<Record<FailureReason, number>> = {};
  for (const { reason } of exclusions) exclusionsByReason[reason] = (exclusionsByReason[reason] ?? 0) + 1;

  return {
    target,
    exclusions,
    report: {
      targeted: recipients.length,
      toDeliver: target.length,
      excluded: exclusions.length,
      exclusionsByReason,
      findings,
      blocking: findings.some((finding) => finding.level === 'error'),
    },
  };
}

// Built-in email control rules (Campaign §2.2) that apply to inline deliveries.
function controlContent(content: DeliveryContent): Finding[] {
  const findings: Finding[] = [];
  if (!normalizeAddress(content.sender.address).ok) {
    findings.push({
      rule: 'sender-address',
      level: 'error',
      message: `sender address ${JSON.stringify(content.sender.address)} is not valid`,
    });
  }
  if (/[\r\n]/.test(content.subject)) {
    findings.push({ rule: 'subject-characters', level: 'error', message: 'subject contains a line break' });
  }
  if (content.html === undefined && content.text === undefined) {
    findings.push({
      rule: 'content-present',
      level: 'error',
      message: 'neither an html nor a text part is given',
    });
  }
  return findings;
}

export const exclusionType = (reason: FailureReason) => FAILURE_REASONS[reason].usualType;
