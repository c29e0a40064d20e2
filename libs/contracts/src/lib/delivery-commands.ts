import { z } from 'zod';

export const Id = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/, 'letters, digits, _ . : - (max 128)');
export const AttributeValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const Sender = z.object({
  address: z.string().min(3),
  name: z.string().max(200).optional(),
});
export type Sender = z.infer<typeof Sender>;

export const InlineRecipient = z.object({
  /** The address as the client gave it; the analysis validates and normalizes it. */
  address: z.string().nullable(),
  /** Profile attributes usable in personalization (`{{ firstName }}`). */
  attributes: z.record(z.string(), AttributeValue).default({}),
});
export type InlineRecipient = z.infer<typeof InlineRecipient>;

export const ApprovalMode = z.enum(['Manual', 'SemiAutomatic', 'Automatic']);
export type ApprovalMode = z.infer<typeof ApprovalMode>;

/** A file attached to every message; the content travels base64-encoded. */
export const Attachment = z.object({
  filename: z.string().min(1).max(255),
  contentType: z
    .string()
    .regex(/^[\w.+-]+\/[\w.+-]+$/, 'a MIME type like application/pdf')
    .default('application/octet-stream'),
  contentBase64: z
    .string()
    .regex(/^[A-Za-z0-9+/=\s]*$/, 'base64')
    .max(14_000_000),
});
export type Attachment = z.infer<typeof Attachment>;

export const DeliveryContent = z.object({
  sender: Sender,
  replyTo: z.string().optional(),
  /** Liquid templates, rendered per recipient in strict mode. */
  subject: z.string().min(1).max(998),
  html: z.string().optional(),
  text: z.string().optional(),
  attachments: z.array(Attachment).max(10).optional(),
});
export type DeliveryContent = z.infer<typeof DeliveryContent>;

/** A count of messages, or a share of the target written as a percentage ("30%"). */
export const SizeSpec = z.union([
  z.number().int().min(1),
  z.string().regex(/^(100|[1-9]?\d)(\.\d+)?%$/, 'a percentage like "30%"'),
]) as z.ZodType<number | `${number}%`>;

/** Campaign "send using multiple waves": same-size waves or a calendar of (delay, size). */
export const WaveSpec = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('same-size'),
    size: SizeSpec,
    /** Hours between the starts of consecutive waves. */
    periodHours: z
      .number()
      .min(0)
      .max(24 * 365),
  }),
  z.object({
    kind: z.literal('calendar'),
    waves: z
      .array(
        z.object({
          delayHours: z
            .number()
            .min(0)
            .max(24 * 365),
          size: SizeSpec,
        }),
      )
      .min(1)
      .max(500),
  }),
]);
export type WaveSpec = z.infer<typeof WaveSpec>;

/**
 * The contact date: `start-at-date` analyses now and starts on the date once confirmed;
 * `analyze-at-date` waits ("Targeting pending") and runs the analysis on the date.
 */
export const Schedule = z.object({
  /** ISO 8601; without an offset it is read in `timeZone`. */
  contactDate: z.string().min(10).max(40),
  timeZone: z.string().min(1).max(64).default('UTC'),
  mode: z.enum(['start-at-date', 'analyze-at-date']).default('start-at-date'),
});
export type Schedule = z.infer<typeof Schedule>;

/** Who the delivery goes to: a named audience or an inline list, narrowed by a filter, a limit, a control group. */
export const Target = z
  .object({
    audience: Id.optional(),
    recipients: z.array(InlineRecipient).min(1).max(100_000).optional(),
    /** An expression over profile attributes, e.g. `country == "SE" and age >= 18`. */
    filter: z.string().min(1).max(4000).optional(),
    /** "Limit delivery": a random selection of this size is kept, the rest is "Target limited in size". */
    limit: z.number().int().min(1).optional(),
    /** A random share held out as the control group ("Control address"). */
    controlGroup: z.object({ size: SizeSpec }).optional(),
  })
  .refine((t) => (t.audience === undefined) !== (t.recipients === undefined), {
    message: 'give exactly one of target.audience or target.recipients',
    path: ['audience'],
  });
export type Target = z.infer<typeof Target>;

/** A proof recipient: an address, with the attributes its personalization uses. */
export const ProofRecipient = z.union([
  z.string().transform((address) => ({ address, attributes: {} })),
  z.object({ address: z.string(), attributes: z.record(z.string(), AttributeValue).default({}) }),
]);

/** What an operator may edit while the delivery is being prepared. */
export const DeliverySettings = z.object({
  label: z.string().max(200).optional(),
  content: DeliveryContent,
  target: Target,
  /** The typology whose rules the analysis applies. */
  typology: Id.default('default'),
  /** Validity period in hours (Campaign default: 5 days). */
  validityHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(120),
  approvalMode: ApprovalMode.default('Manual'),
  schedule: Schedule.optional(),
  waves: WaveSpec.optional(),
});
export type DeliverySettings = z.infer<typeof DeliverySettings>;

/**
 * Creates a delivery. `recipients` at the top level is the inline-list shorthand for
 * `target.recipients`. Unless `draft`, the analysis starts at once (or waits for the contact date).
 */
export const CreateDelivery = z
  .object({
    deliveryId: Id,
    label: z.string().max(200).optional(),
    content: DeliveryContent,
    target: Target.optional(),
    recipients: z.array(InlineRecipient).min(1).max(100_000).optional(),
    typology: Id.default('default'),
    validityHours: DeliverySettings.shape.validityHours,
    approvalMode: ApprovalMode.default('Manual'),
    schedule: Schedule.optional(),
    waves: WaveSpec.optional(),
    draft: z.boolean().default(false),
  })
  .refine((c) => (c.target === undefined) !== (c.recipients === undefined), {
    message: 'give exactly one of target or recipients',
    path: ['target'],
  })
  .transform(({ recipients, target, ...rest }) => ({
    ...rest,
    target: target ?? { recipients: recipients ?? [] },
  }));
export type CreateDelivery = z.infer<typeof CreateDelivery>;

/** Edits a delivery being prepared; any edit makes the last analysis void. */
export const UpdateDelivery = z.object({
  deliveryId: Id,
  changes: DeliverySettings.partial().refine((c) => Object.keys(c).length > 0, 'at least one change'),
});
export type UpdateDelivery = z.infer<typeof UpdateDelivery>;

export const AnalyzeDelivery = z.object({ deliveryId: Id });
export type AnalyzeDelivery = z.infer<typeof AnalyzeDelivery>;

export const ScheduleDelivery = Schedule.extend({ deliveryId: Id });
export type ScheduleDelivery = z.infer<typeof ScheduleDelivery>;

/** Proofs go to at most 100 addresses (the proof size check), subject prefixed "Proof #n". */
export const SendProof = z.object({
  deliveryId: Id,
  recipients: z.array(ProofRecipient).min(1).max(1000),
  subjectPrefix: z.string().max(50).optional(),
});
export type SendProof = z.infer<typeof SendProof>;

export const ConfirmDelivery = z.object({ deliveryId: Id });
export type ConfirmDelivery = z.infer<typeof ConfirmDelivery>;

/** Pause, resume and stop carry only the delivery id (and, optionally, why). */
export const ControlDelivery = z.object({ deliveryId: Id, reason: z.string().max(500).optional() });
export type ControlDelivery = z.infer<typeof ControlDelivery>;

/** Command types are imperative; the envelope's `type` names one of these. */
export const COMMAND_SCHEMAS = {
  'postwave.command.create-delivery.v1': CreateDelivery,
  'postwave.command.update-delivery.v1': UpdateDelivery,
  'postwave.command.analyze-delivery.v1': AnalyzeDelivery,
  'postwave.command.schedule-delivery.v1': ScheduleDelivery,
  'postwave.command.send-proof.v1': SendProof,
  'postwave.command.confirm-delivery.v1': ConfirmDelivery,
  'postwave.command.pause-delivery.v1': ControlDelivery,
  'postwave.command.resume-delivery.v1': ControlDelivery,
  'postwave.command.stop-delivery.v1': ControlDelivery,
} as const;

export type CommandType = keyof typeof COMMAND_SCHEMAS;
export type DeliveryCommand =
  | { readonly type: 'postwave.command.create-delivery.v1'; readonly data: CreateDelivery }
  | { readonly type: 'postwave.command.update-delivery.v1'; readonly data: UpdateDelivery }
  | { readonly type: 'postwave.command.analyze-delivery.v1'; readonly data: AnalyzeDelivery }
  | { readonly type: 'postwave.command.schedule-delivery.v1'; readonly data: ScheduleDelivery }
  | { readonly type: 'postwave.command.send-proof.v1'; readonly data: SendProof }
  | { readonly type: 'postwave.command.confirm-delivery.v1'; readonly data: ConfirmDelivery }
  | {
      readonly type:
        | 'postwave.command.pause-delivery.v1'
        | 'postwave.command.resume-delivery.v1'
        | 'postwave.command.stop-delivery.v1';
      readonly data: ControlDelivery;
    };
