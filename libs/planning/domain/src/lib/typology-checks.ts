import type { BuiltInCheck, DeliveryContent, Finding, Typology, TypologyRule } from '@postwave/contracts';
import { compileExpression, type CompiledExpression } from './expression';

type ControlRule = Extract<TypologyRule, { kind: 'control' }>;

/** The figures control rule expressions can read, e.g. `toDeliver > 100000`. */
export interface DeliveryFigures {
  readonly targeted: number;
  readonly toDeliver: number;
  readonly excluded: number;
  readonly validityHours: number;
  readonly waves: number;
  readonly lastWaveOffsetHours: number;
  readonly attachments: number;
}

/** Hours a message needs after its wave starts for retries of soft bounces (spec §3.3). */
export const RETRY_WINDOW_HOURS = 24;
/** Campaign's NmsDelivery_MaxRecommendedAttachments. */
export const MAX_RECOMMENDED_ATTACHMENTS = 1;
export const MAX_PROOF_RECIPIENTS = 100;

// Characters that mail clients render badly or that hide what a subject says.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/u;
const INVISIBLE_OR_BIDI = /[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\ufffd]/u;
const UNSUBSCRIBE_LINK =
  /\{\{-?\s*unsubscribeUrl\b|(unsubscribe|opt-?out|avregistrera|afmeld|abmelden|d[ée]sinscri|desuscrib|uitschrijven)/i;

export interface CompiledTypology {
  readonly typology: Typology;
  readonly filtering: readonly { readonly name: string; readonly expression: CompiledExpression }[];
  readonly pressure: {
    readonly name: string;
    readonly maxMessages: number;
    readonly periodDays: number;
  } | null;
  readonly capacity: readonly Extract<TypologyRule, { kind: 'capacity' }>[];
  readonly controls: readonly {
    readonly rule: ControlRule;
    readonly expression: CompiledExpression | null;
  }[];
}

/** Compiles a typology's expressions; an expression that does not compile is an error naming the rule. */
export function compileTypology(
  typology: Typology,
): { ok: true; compiled: CompiledTypology } | { ok: false; field: string; value: string; error: string } {
  const filtering: { name: string; expression: CompiledExpression }[] = [];
  const controls: { rule: ControlRule; expression: CompiledExpression | null }[] = [];
  const capacity: Extract<TypologyRule, { kind: 'capacity' }>[] = [];
  let pressure: CompiledTypology['pressure'] = null;
  for (const [index, rule] of typology.rules.entries()) {
    const expressionSource =
      rule.kind === 'filtering' ? rule.expression : rule.kind === 'control' ? rule.expression : undefined;
    let expression: CompiledExpression | null = null;
    if (expressionSource !== undefined) {
      const result = compileExpression(expressionSource);
      if (!result.ok)
        return {
          ok: false,
          field: `rules[${index}].expression`,
          value: expressionSource,
          error: result.error,
        };
      expression = result.expression;
    }
    if (rule.kind === 'filtering' && expression) filtering.push({ name: rule.name, expression });
    if (rule.kind === 'control') controls.push({ rule, expression });
    if (rule.kind === 'capacity') capacity.push(rule);
    // Several pressure rules: the strictest applies (the fewest messages allowed).
    if (rule.kind === 'pressure' && (pressure === null || rule.maxMessages < pressure.maxMessages))
      pressure = { name: rule.name, maxMessages: rule.maxMessages, periodDays: rule.periodDays };
  }
  return { ok: true, compiled: { typology, filtering, pressure, capacity, controls } };
}

const finding = (rule: ControlRule, phase: Finding['phase'], message: string): Finding => ({
  rule: rule.name,
  level: rule.level,
  ...(phase ? { phase } : {}),
  message: rule.message ?? message,
});

/** Content checks that need no target: run at the start of targeting. */
export function contentFindings(typology: CompiledTypology, content: DeliveryContent): Finding[] {
  const findings: Finding[] = [];
  for (const { rule } of typology.controls) {
    const problem = rule.check ? contentProblem(rule.check, content) : null;
    if (problem) findings.push(finding(rule, 'start-of-targeting', problem));
  }
  return findings;
}

function contentProblem(check: BuiltInCheck, content: DeliveryContent): string | null {
  switch (check) {
    case 'subject-characters':
      if (CONTROL_CHARACTERS.test(content.subject)) return 'the subject contains control characters';
      if (INVISIBLE_OR_BIDI.test(content.subject))
        return 'the subject contains invisible or direction-changing characters';
      return null;
    case 'sender-characters': {
      const name = content.sender.name ?? '';
      if (CONTROL_CHARACTERS.test(name) || INVISIBLE_OR_BIDI.test(name) || /["<>]/.test(name))
        return `the sender name ${JSON.stringify(name)} contains characters mail clients mishandle`;
      if (/[^\x20-\x7e]/.test(content.sender.address.split('@')[0] ?? ''))
        return `the sender address ${JSON.stringify(content.sender.address)} needs SMTPUTF8, which not every receiver offers`;
      return null;
    }
    case 'unsubscribe-link': {
      const missing = (['html', 'text'] as const).filter(
        (part) => content[part] !== undefined && !UNSUBSCRIBE_LINK.test(content[part] ?? ''),
      );
      return missing.length
        ? `no unsubscription link in the ${missing.join(' and ')} part (use {{ unsubscribeUrl }})`
        : null;
    }
    case 'attachments': {
      const count = content.attachments?.length ?? 0;
      return count > MAX_RECOMMENDED_ATTACHMENTS
        ? `${count} attachments; more than ${MAX_RECOMMENDED_ATTACHMENTS} hurts deliverability`
        : null;
    }
    default:
      return null;
  }
}

/** Checks on the computed target and the wave plan: run at the end of targeting. */
export function targetFindings(typology: CompiledTypology, figures: DeliveryFigures): Finding[] {
  const findings: Finding[] = [];
  const variables = { ...figures };
  for (const { rule, expression } of typology.controls) {
    if (expression) {
      if (expression.test(variables))
        findings.push(finding(rule, 'end-of-targeting', `control rule matched: ${expression.source}`));
      continue;
    }
    if (
      rule.check === 'validity-period' &&
      figures.validityHours < figures.lastWaveOffsetHours + RETRY_WINDOW_HOURS
    )
      findings.push(
        finding(
          rule,
          'end-of-targeting',
          `the validity period (${figures.validityHours} h) leaves less than ${RETRY_WINDOW_HOURS} h of retries after the last wave starts`,
        ),
      );
    if (rule.check === 'wave-scheduling' && figures.lastWaveOffsetHours >= figures.validityHours)
      findings.push(
        finding(
          rule,
          'end-of-targeting',
          `the last wave starts ${figures.lastWaveOffsetHours} h after the start, at or after the validity end (${figures.validityHours} h)`,
        ),
      );
  }
  return findings;
}

/** The proof size check (Campaign: error above 100 proof recipients). */
export function proofFindings(typology: CompiledTypology, recipients: number): Finding[] {
  return typology.controls.flatMap(({ rule }) =>
    rule.check === 'proof-size' && recipients > MAX_PROOF_RECIPIENTS
      ? [finding(rule, 'end-of-targeting', `${recipients} proof recipients; at most ${MAX_PROOF_RECIPIENTS}`)]
      : [],
  );
}

/**
 * Capacity rules: messages per day for all deliveries of the typology. Returns findings and how
 * many messages of this delivery fit (all of them unless a rule excludes the excess).
 */
export function capacityCheck(
  typology: CompiledTypology,
  alreadyToday: number,
  toDeliver: number,
): { findings: Finding[]; allowed: number; rule?: string } {
  const findings: Finding[] = [];
  let allowed = toDeliver;
  let cutBy: string | undefined;
  for (const rule of typology.capacity) {
    const remaining = Math.max(0, rule.maxPerDay - alreadyToday);
    if (toDeliver <= remaining) continue;
    findings.push({
      rule: rule.name,
      level: rule.level,
      phase: 'capacity',
      message: `${toDeliver} messages exceed the remaining capacity of ${remaining} today (${rule.maxPerDay} per day, ${alreadyToday} used)${rule.exclude ? '; the excess is excluded' : ''}`,
    });
    if (rule.exclude && remaining < allowed) {
      allowed = remaining;
      cutBy = rule.name;
    }
  }
  return { findings, allowed, ...(cutBy ? { rule: cutBy } : {}) };
}
