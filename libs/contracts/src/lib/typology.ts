import { z } from 'zod';
import { Id } from './delivery-commands';

export const RuleLevel = z.enum(['info', 'warning', 'error']);
export type RuleLevel = z.infer<typeof RuleLevel>;

/** The built-in email control rules (Campaign §2.2). */
export const BUILT_IN_CHECKS = [
  'subject-characters',
  'sender-characters',
  'unsubscribe-link',
  'proof-size',
  'validity-period',
  'wave-scheduling',
  'attachments',
] as const;
export const BuiltInCheck = z.enum(BUILT_IN_CHECKS);
export type BuiltInCheck = z.infer<typeof BuiltInCheck>;

const RuleName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9 _.:-]{0,79}$/, 'letters, digits, space _ . : - (max 80)');

/**
 * Typology rules (Campaign §2.3). Control rules check the delivery (a built-in check, or an
 * expression over the delivery's counts: targeted, toDeliver, excluded, validityHours, waves);
 * filtering rules exclude the recipients their expression matches ("Excluded by a SQL rule");
 * pressure rules cap messages per recipient over a rolling period across deliveries ("Excluded
 * after arbitration"); capacity rules cap the messages per day of all deliveries of the typology.
 */
export const TypologyRule = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('control'),
    name: RuleName,
    level: RuleLevel,
    check: BuiltInCheck.optional(),
    /** Fails (the rule fires) when this expression over the delivery's figures is true. */
    expression: z.string().min(1).max(4000).optional(),
    message: z.string().max(500).optional(),
  }),
  z.object({
    kind: z.literal('filtering'),
    name: RuleName,
    expression: z.string().min(1).max(4000),
  }),
  z.object({
    kind: z.literal('pressure'),
    name: RuleName,
    /** A recipient already sent this many messages within the period gets no more. */
    maxMessages: z.number().int().min(0),
    periodDays: z.number().int().min(1).max(366),
  }),
  z.object({
    kind: z.literal('capacity'),
    name: RuleName,
    level: RuleLevel,
    maxPerDay: z.number().int().min(0),
    /** Exclude the messages in excess of the capacity instead of only reporting them. */
    exclude: z.boolean().default(false),
  }),
]);
export type TypologyRule = z.infer<typeof TypologyRule>;

export const Typology = z
  .object({
    name: Id,
    description: z.string().max(500).optional(),
    rules: z.array(TypologyRule).max(200),
  })
  .superRefine((typology, ctx) => {
    const seen = new Set<string>();
    typology.rules.forEach((rule, index) => {
      if (seen.has(rule.name))
        ctx.addIssue({ code: 'custom', path: ['rules', index, 'name'], message: `duplicate rule name` });
      seen.add(rule.name);
      if (rule.kind === 'control' && (rule.check === undefined) === (rule.expression === undefined))
        ctx.addIssue({
          code: 'custom',
          path: ['rules', index],
          message: 'a control rule has exactly one of check or expression',
        });
    });
  });
export type Typology = z.infer<typeof Typology>;

/** The typology every delivery gets unless it names another: the built-in email checks. */
export const DEFAULT_TYPOLOGY: Typology = {
  name: 'default',
  description: 'Built-in email control rules',
  rules: [
    { kind: 'control', name: 'Object approval: subject', check: 'subject-characters', level: 'warning' },
    { kind: 'control', name: 'Object approval: sender', check: 'sender-characters', level: 'warning' },
    { kind: 'control', name: 'Unsubscription link approval', check: 'unsubscribe-link', level: 'warning' },
    { kind: 'control', name: 'Proof size check', check: 'proof-size', level: 'error' },
    { kind: 'control', name: 'Validity period check', check: 'validity-period', level: 'warning' },
    { kind: 'control', name: 'Wave scheduling check', check: 'wave-scheduling', level: 'error' },
    { kind: 'control', name: 'Attachments', check: 'attachments', level: 'warning' },
  ],
};
