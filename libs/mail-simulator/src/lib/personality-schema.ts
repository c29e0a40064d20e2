import { z } from 'zod';
import type { SmtpReply } from './smtp-reply';

/** Placeholders a reply text may use; anything else is a typo the schema reports. */
export const REPLY_PLACEHOLDERS = ['rcpt', 'domain', 'ip', 'hostname', 'sessionId', 'queueId'] as const;
export type ReplyVars = Partial<Record<(typeof REPLY_PLACEHOLDERS)[number], string>>;

const ENHANCED = /^([245])\.\d{1,3}\.\d{1,3}$/;

const replyTemplateSchema = z
  .object({
    code: z.number().int().min(200).max(599),
    enhanced: z.string().regex(ENHANCED, 'must look like 5.1.1').nullable(),
    text: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  })
  .superRefine((reply, ctx) => {
    // RFC 3463: the class digit of the enhanced code must agree with the reply code.
    if (reply.enhanced && reply.enhanced[0] !== String(reply.code)[0]) {
      ctx.addIssue({
        code: 'custom',
        path: ['enhanced'],
        message: `class does not match reply code ${reply.code}`,
      });
    }
    const lines = Array.isArray(reply.text) ? reply.text : [reply.text];
    for (const match of lines.join('\n').matchAll(/\{(\w+)\}/g)) {
      if (!(REPLY_PLACEHOLDERS as readonly string[]).includes(match[1] ?? '')) {
        ctx.addIssue({ code: 'custom', path: ['text'], message: `unknown placeholder {${match[1]}}` });
      }
    }
  });

export type ReplyTemplate = z.infer<typeof replyTemplateSchema>;

/** Every situation in which a personality answers something else than a plain accept. */
export const REPLY_KINDS = [
  'userUnknown',
  'mailboxFull',
  'deferred',
  'greylisted',
  'contentRejected',
  'rateLimited',
  'tooManyConnections',
  'tooManyRecipients',
  'accepted',
] as const;
export type ReplyKind = (typeof REPLY_KINDS)[number];

const positiveInt = z.number().int().positive();

export const personalitySchema = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lower-case kebab-case'),
  description: z.string().optional(),
  /** Exact domains or `*.suffix` patterns; `*` alone matches every domain. */
  domains: z
    .array(z.string().regex(/^(\*|(\*\.)?[a-z0-9.-]+)$/, 'must be a lower-case domain or *.pattern'))
    .min(1),
  limits: z
    .object({
      /** Connections one client IP may hold open towards this provider. */
      maxConnectionsPerIp: positiveInt.optional(),
      /** Accepted messages per client IP per sliding minute; the next RCPT gets rateLimited. */
      messagesPerMinutePerIp: positiveInt.optional(),
      maxRecipientsPerMessage: positiveInt.optional(),
    })
    .strict()
    .default({}),
  /** Missing kinds fall back to the generic (Postfix-like) replies. */
  replies: z
    .object(Object.fromEntries(REPLY_KINDS.map((k) => [k, replyTemplateSchema.optional()])))
    .strict()
    .default({}),
});

export type ProviderPersonalityInput = z.input<typeof personalitySchema>;

/** A validated personality with every reply kind filled in. */
export interface ProviderPersonality {
  name: string;
  description?: string;
  domains: string[];
  limits: { maxConnectionsPerIp?: number; messagesPerMinutePerIp?: number; maxRecipientsPerMessage?: number };
  replies: Record<ReplyKind, ReplyTemplate>;
}

/** Thrown for invalid personality data; the message names the personality and the field. */
export class PersonalityConfigError extends Error {
  override readonly name = 'PersonalityConfigError';
}

/**
 * Validates one personality and completes its replies from `fallback`.
 * `label` names it in errors when the data has no usable name.
 */
export function definePersonality(
  input: unknown,
  fallback: Record<ReplyKind, ReplyTemplate>,
  label = 'personality',
): ProviderPersonality {
  const parsed = personalitySchema.safeParse(input);
  if (!parsed.success) {
    const rawName = (input as { name?: unknown } | null)?.name;
    const who = typeof rawName === 'string' && rawName ? `"${rawName}"` : label;
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new PersonalityConfigError(`Invalid simulator personality ${who}: ${issues.join('; ')}`);
  }
  const { replies, ...rest } = parsed.data;
  return { ...rest, replies: { ...fallback, ...(replies as Partial<Record<ReplyKind, ReplyTemplate>>) } };
}

/** Fills the placeholders of a template. Unknown values become empty rather than `{x}`. */
export function renderReply(template: ReplyTemplate, vars: ReplyVars): SmtpReply {
  const lines = Array.isArray(template.text) ? template.text : [template.text];
  const fill = (line: string) =>
    line.replace(/\{(\w+)\}/g, (_m, key: string) => vars[key as keyof ReplyVars] ?? '');
  return { code: template.code, enhanced: template.enhanced, lines: lines.map(fill) };
}
