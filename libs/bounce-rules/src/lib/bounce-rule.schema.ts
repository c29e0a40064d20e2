import { FailureReason } from '@postwave/contracts';
import { z } from 'zod';
import type { SmtpReply } from './smtp-reply';

/**
 * The type a rule assigns. `ByClass` is for reasons the Campaign table types "Soft / Hard": the reply
 * class decides (5xx → Hard, 4xx or no code → Soft), so the same wording is quarantined at once when
 * permanent and retried when transient.
 */
export const RuleType = z.enum(['Hard', 'Soft', 'Ignored', 'NotDefined', 'ByClass']);
export type RuleType = z.infer<typeof RuleType>;

// A control character in a pattern almost always means '\b' was written in a plain string literal
// (a backspace) instead of String.raw; rejecting it turns a silent never-matching rule into an error.
const pattern = z
  .string()
  .min(1, 'must not be empty')
  .refine((p) => !/[\u0000-\u001f]/.test(p), 'contains a control character (write regexes with String.raw)')
  .refine((p) => compiles(p), 'is not a valid regular expression');

const patterns = z.union([pattern, z.array(pattern).min(1)]);

const RuleMatchSchema = z
  .object({
    /** Basic reply codes, 'x' as a digit wildcard: '550', '55x', '4xx'. */
    codes: z
      .array(z.string().regex(/^[2-5][0-9x]{2}$/, "must look like '550', '55x' or '5xx'"))
      .min(1)
      .optional(),
    /** RFC 3463 enhanced codes, '*' as a part wildcard: '5.1.1', '*.2.2', '5.7.*'. */
    enhanced: z
      .array(
        z
          .string()
          .regex(/^([245]|\*)\.(\d{1,3}|\*)\.(\d{1,3}|\*)$/, "must look like '5.1.1', '*.2.2' or '5.7.*'"),
      )
      .min(1)
      .optional(),
    /**
     * Only a reply without a basic reply code: the prose of a DSN or NDR, which the sending MTA wrote
     * itself ("Unrouteable address" from Exim's own router is about the domain; the same words from a
     * remote server, under 550, are about the mailbox).
     */
    withoutCode: z.literal(true).optional(),
    /** Case-insensitive regex (or alternatives) that must match the reply text. */
    text: patterns.optional(),
    /** Case-insensitive regex (or alternatives) that must NOT match the reply text. */
    exceptText: patterns.optional(),
    /**
     * What `text` and `exceptText` read: `reply` (the default) is the SMTP reply found in the input,
     * a DSN's or log line's wrapping cut off; `whole` is the whole input, its lines joined. A delay
     * warning quotes the receiver's deferral, and only its own wording says it is a warning.
     */
    scope: z.enum(['reply', 'whole']).optional(),
  })
  .strict()
  .refine((match) => !(match.withoutCode && match.codes), {
    path: ['withoutCode'],
    message: "cannot be combined with 'codes': a reply with a code never matches",
  });

export const BounceRuleSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, 'must be lower-case kebab/dotted'),
    description: z.string().optional(),
    match: RuleMatchSchema,
    type: RuleType,
    /**
     * With `ByClass`: the type of a reply that carries no code and no "permanent" prose (DSN or NDR
     * text such as "X-Postfix; unknown user"). Soft when absent: an unclassed reply is retried.
     */
    typeWithoutCode: z.enum(['Hard', 'Soft']).optional(),
    reason: FailureReason,
    /** Real replies that motivated the rule; CI checks each is qualified by this very rule. */
    examples: z.array(z.string().min(1)).min(1, 'needs at least one real reply'),
  })
  .strict()
  .refine((rule) => rule.typeWithoutCode === undefined || rule.type === 'ByClass', {
    path: ['typeWithoutCode'],
    message: "only applies to type 'ByClass'",
  });

/** A rule as written in the data files (JSON-compatible). */
export type BounceRuleData = z.input<typeof BounceRuleSchema>;

/** A validated rule with its matcher compiled once. */
export type BounceRule = z.output<typeof BounceRuleSchema> & { readonly test: (reply: SmtpReply) => boolean };

/** An ordered rule set: the first matching rule wins. */
export interface BounceRuleSet {
  readonly rules: readonly BounceRule[];
}

export interface RuleIssue {
  ruleId: string;
  field: string;
  message: string;
}

/** Thrown by validateRuleSet; the message names every offending rule id and field. */
export class BounceRuleSetError extends Error {
  constructor(readonly issues: readonly RuleIssue[]) {
    super(
      `Invalid bounce rule set:\n${issues.map((i) => `  rule '${i.ruleId}', field '${i.field}': ${i.message}`).join('\n')}`,
    );
    this.name = 'BounceRuleSetError';
  }
}

function compiles(source: string): boolean {
  try {
    new RegExp(source, 'i');
    return true;
  } catch {
    return false;
  }
}

export function toRegExp(p: string | readonly string[]): RegExp {
  const source = typeof p === 'string' ? p : p.map((alt) => `(?:${alt})`).join('|');
  return new RegExp(source, 'i');
}

export function isMatchAll(match: BounceRuleData['match']): boolean {
  return !match.codes && !match.enhanced && !match.text && !match.exceptText && !match.withoutCode;
}

export function ruleIdOf(data: unknown, index: number): string {
  const id = (data as { id?: unknown } | null)?.id;
  return typeof id === 'string' && id ? id : `#${index}`;
}
