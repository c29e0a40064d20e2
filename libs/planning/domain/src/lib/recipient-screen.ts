import { CompiledContent, SAMPLE_RESERVED, type Attributes } from '@postwave/content';
import {
  normalizeAddress,
  type AddressCheck,
  type DeliveryContent,
  type FailureReason,
} from '@postwave/contracts';
import type { CompiledExpression } from './expression';

/** What the planner knows about an address from address events and its own history. */
export interface AddressFacts {
  /** The reason an address may not be contacted (quarantine, denylist, unsubscription), if any. */
  blockedReason(normalizedAddress: string): FailureReason | null;
  /** Messages sent to the address within the pressure rule's period, by earlier deliveries. */
  recentMessages(normalizedAddress: string): number;
}

/** Addresses already met in this analysis: a `Set`, or a `FingerprintSet` for big targets. */
export interface SeenAddresses {
  has(value: string): boolean;
  add(value: string): unknown;
}

export interface RawRecipient {
  readonly address: string | null;
  readonly attributes: Attributes;
}

export type Screening =
  | { readonly kind: 'target'; readonly address: string; readonly domain: string }
  | {
      readonly kind: 'excluded';
      /** The address as given: the exclusion log shows what the source said. */
      readonly address: string;
      readonly reason: FailureReason;
      readonly rule?: string;
      readonly detail?: string;
    }
  /** Not in the population the target filter defines: not targeted at all. */
  | { readonly kind: 'outside' };

export interface ScreenSettings {
  readonly content: DeliveryContent;
  readonly filter: CompiledExpression | null;
  readonly filteringRules: readonly { readonly name: string; readonly expression: CompiledExpression }[];
  readonly pressure: { readonly name: string; readonly maxMessages: number } | null;
}

/**
 * Per-recipient filtering (Campaign §2.3): the target filter, then address qualification (defined,
 * syntax), deduplication (before the blocked check, so a repeated blocked address counts once as
 * blocked and then as Double), address status (denylist / unsubscription / quarantine), the
 * typology's filtering rules, pressure, and finally personalization, which must render in strict mode.
 */
export class RecipientScreen {
  private readonly compiled: CompiledContent | null;
  /** Set when the templates do not even compile: the analysis reports it once, not per recipient. */
  readonly templateError: string | null;

  constructor(private readonly settings: ScreenSettings) {
    const compiled = CompiledContent.compile(settings.content);
    this.compiled = compiled.ok ? compiled.compiled : null;
    this.templateError = compiled.ok ? null : `${compiled.part}: ${compiled.error}`;
  }

  /** `seen` carries the addresses already kept or excluded in this analysis, for "Double". */
  screen(
    recipient: RawRecipient,
    facts: AddressFacts,
    seen: SeenAddresses,
    /** The address already normalized by the caller, to do it once per recipient. */
    checked: AddressCheck = normalizeAddress(recipient.address),
  ): Screening {
    const { filter, filteringRules, pressure } = this.settings;
    const variables = checked.ok
      ? { ...recipient.attributes, address: checked.address, domain: checked.domain }
      : recipient.attributes;
    if (filter && !filter.test(variables)) return { kind: 'outside' };
    const given = recipient.address ?? '';
    if (!checked.ok)
      return {
        kind: 'excluded',
        address: given,
        reason: checked.problem === 'empty' ? 'AddressNotSpecified' : 'InvalidSyntax',
      };
    const dedupKey = checked.address.toLowerCase();
    if (seen.has(dedupKey)) return { kind: 'excluded', address: given, reason: 'Double' };
    seen.add(dedupKey);
    const blocked = facts.blockedReason(checked.address);
    if (blocked) return { kind: 'excluded', address: given, reason: blocked };
    for (const rule of filteringRules) {
      if (rule.expression.test(variables))
        return { kind: 'excluded', address: given, reason: 'ExcludedByRule', rule: rule.name };
    }
    if (pressure && facts.recentMessages(checked.address) >= pressure.maxMessages)
      return {
        kind: 'excluded',
        address: given,
        reason: 'ExcludedAfterArbitration',
        rule: pressure.name,
      };
    if (this.compiled) {
      const rendered = this.compiled.check(recipient.attributes, SAMPLE_RESERVED);
      if (!rendered.ok)
        return {
          kind: 'excluded',
          address: given,
          reason: 'PersonalizationError',
          detail: `${rendered.part}: ${rendered.error}`,
        };
    }
    return { kind: 'target', address: checked.address, domain: checked.domain };
  }
}
