import { z } from 'zod';

const Id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/, 'letters, digits, _ . : - (max 128)');
const AttributeValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

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

export const DeliveryContent = z.object({
  sender: Sender,
  replyTo: z.string().optional(),
  /** Liquid templates, rendered per recipient in strict mode. */
  subject: z.string().min(1).max(998),
  html: z.string().optional(),
  text: z.string().optional(),
});
export type DeliveryContent = z.infer<typeof DeliveryContent>;

export const CreateDelivery = z.object({
  deliveryId: Id,
  label: z.string().max(200).optional(),
  content: DeliveryContent,
  recipients: z.array(InlineRecipient).min(1).max(100_000),
  /** Validity period in hours (Campaign default: 5 days). */
  validityHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(120),
  approvalMode: ApprovalMode.default('Manual'),
});
export type CreateDelivery = z.infer<typeof CreateDelivery>;

export const ConfirmDelivery = z.object({ deliveryId: Id });
export type ConfirmDelivery = z.infer<typeof ConfirmDelivery>;

/** Pause, resume and stop carry only the delivery id (and, optionally, why). */
export const ControlDelivery = z.object({ deliveryId: Id, reason: z.string().max(500).optional() });
export type ControlDelivery = z.infer<typeof ControlDelivery>;

/** Command types are imperative; the envelope's `type` names one of these. */
export const COMMAND_SCHEMAS = {
  'postwave.command.create-delivery.v1': CreateDelivery,
  'postwave.command.confirm-delivery.v1': ConfirmDelivery,
  'postwave.command.pause-delivery.v1': ControlDelivery,
  'postwave.command.resume-delivery.v1': ControlDelivery,
  'postwave.command.stop-delivery.v1': ControlDelivery,
} as const;

export type CommandType = keyof typeof COMMAND_SCHEMAS;
export type DeliveryCommand =
  | { readonly type: 'postwave.command.create-delivery.v1'; readonly data: CreateDelivery }
  | { readonly type: 'postwave.command.confirm-delivery.v1'; readonly data: ConfirmDelivery }
  | {
      readonly type:
        | 'postwave.command.pause-delivery.v1'
        | 'postwave.command.resume-delivery.v1'
        | 'postwave.command.stop-delivery.v1';
      readonly data: ControlDelivery;
    };
