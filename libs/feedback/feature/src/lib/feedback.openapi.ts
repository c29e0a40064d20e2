import { AnalysisReport, FailureReason, FailureType, MessageStatus } from '@postwave/contracts';
import { ApiError, type ApiOperation } from '@postwave/platform/runtime';
import { z } from 'zod';

// Response schemas describe what FeedbackController returns; planner.openapi.spec.ts checks their
// output types against the controller's return types.

const count = z.number().int();
const rate = z.number().describe('Percent of toDeliver, two decimals');

export const DeliveryKpisSchema = z
  .object({
    toDeliver: count.describe('Messages left after analysis (Campaign @toDeliver)'),
    processed: count.describe('Sent + Failed: messages whose outcome is known'),
    success: count.describe('Messages the receiving MTA accepted'),
    successRate: rate,
    errors: count,
    errorRate: rate,
    ignored: count,
    pending: count,
    takenIntoAccount: count,
    canceled: count,
  })
  .meta({ id: 'DeliveryKpis', description: 'Indicators as Campaign defines them, from the status counts' });

export const DeliverySummarySchema = z
  .object({
    deliveryId: z.string(),
    label: z.string().nullable(),
    subject: z.string().nullable(),
    state: z
      .string()
      .describe(
        'BeingEdited, Analysis, PendingConfirmation, Pending, StartPending, InProgress, Paused, Stopped, ' +
          'Finished or Failed; Unknown while only message events have arrived',
      ),
    createdAt: z.string().nullable(),
    startAt: z.string().nullable(),
    validUntil: z.string().nullable(),
    targeted: count,
    proofs: count,
    kpis: DeliveryKpisSchema,
  })
  .meta({ id: 'DeliverySummary' });

export const DeliveryDetailSchema = DeliverySummarySchema.extend({
  report: AnalysisReport.nullable().describe('The last analysis report; null before it or after an edit'),
}).meta({ id: 'DeliveryDetail' });

export const MessageLogSchema = z
  .object({
    messageId: z.string(),
    deliveryId: z.string(),
    address: z.string(),
    status: MessageStatus,
    statusLabel: z.string().describe("The status as Campaign's delivery log words it"),
    failureType: FailureType.nullable(),
    reason: FailureReason.nullable(),
    reasonCode: z.number().int().nullable().describe('The Campaign @failureReason code'),
    lastReply: z
      .string()
      .nullable()
      .describe('The last reply of the receiving server, or the exclusion detail'),
    attempts: count,
    updatedAt: z.string(),
    proof: z.number().int().nullable().describe('The proof number of a proof message (never in the KPIs)'),
    analysisRun: z.number().int().nullable().describe('The analysis run that excluded the message'),
  })
  .meta({ id: 'MessageLog', description: "One message's line in the delivery log" });

export const UnqualifiedReplySchema = z
  .object({ reply: z.string(), messages: count, lastSeen: z.string() })
  .meta({ id: 'UnqualifiedReply' });

export const RebuildReportSchema = z
  .object({ replayed: count.describe('Events replayed') })
  .meta({ id: 'RebuildReport' });

// The controller validates the query with this schema; the document shows it.
export const MessageQuerySchema = z.object({
  status: MessageStatus.optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  offset: z.coerce.number().int().min(0).default(0),
});

const deliveryNotFound = { description: 'The read model knows no such delivery', schema: ApiError };

/** The feedback read API: delivery list and KPIs, the delivery log, one message. */
export const FEEDBACK_OPERATIONS: readonly ApiOperation[] = [
  {
    method: 'get',
    path: '/v1/deliveries',
    operationId: 'listDeliveries',
    summary: 'Deliveries with their KPIs',
    description: 'Newest first. The read model follows the event stream, so it may lag the planner briefly.',
    tags: ['delivery log'],
    responses: { '200': { description: 'Every delivery', schema: z.array(DeliverySummarySchema) } },
  },
  {
    method: 'get',
    path: '/v1/deliveries/:deliveryId',
    operationId: 'getDelivery',
    summary: 'One delivery with its KPIs and analysis report',
    tags: ['delivery log'],
    responses: {
      '200': { description: 'The delivery', schema: DeliveryDetailSchema },
      '404': deliveryNotFound,
    },
  },
  {
    method: 'get',
    path: '/v1/deliveries/:deliveryId/messages',
    operationId: 'listDeliveryMessages',
    summary: 'The delivery log',
    description: 'One line per message (proofs included), by message id. An unknown delivery has none.',
    tags: ['delivery log'],
    parameters: [
      {
        name: 'status',
        in: 'query',
        schema: MessageQuerySchema.shape.status,
        description: 'Only this status',
      },
      { name: 'limit', in: 'query', schema: MessageQuerySchema.shape.limit, description: 'Page size' },
      { name: 'offset', in: 'query', schema: MessageQuerySchema.shape.offset, description: 'Lines to skip' },
    ],
    responses: {
      '200': { description: 'A page of the log', schema: z.array(MessageLogSchema) },
      '400': { description: 'A query parameter is invalid (named in field)', schema: ApiError },
    },
  },
  {
    method: 'get',
    path: '/v1/messages/:messageId',
    operationId: 'getMessage',
    summary: "One message's log line",
    tags: ['delivery log'],
    responses: {
      '200': { description: 'The message', schema: MessageLogSchema },
      '404': { description: 'The read model knows no such message', schema: ApiError },
    },
  },
  {
    method: 'get',
    path: '/v1/replies/unqualified',
    operationId: 'listUnqualifiedReplies',
    summary: 'Replies no qualification rule matched',
    description:
      'Replies of messages whose failure reason is "Not defined", most frequent first (at most 500): ' +
      'the list to write new qualification rules from.',
    tags: ['delivery log'],
    responses: { '200': { description: 'The replies', schema: z.array(UnqualifiedReplySchema) } },
  },
  {
    method: 'post',
    path: '/v1/admin/rebuild',
    operationId: 'rebuildReadModel',
    summary: 'Rebuild the read model',
    description:
      'Drops the delivery log and KPIs and replays the event stream from its first event; the answer ' +
      'comes once the replay is done. The `rebuild` entrypoint does the same from the command line.',
    tags: ['admin'],
    responses: {
      '201': {
        description: 'Rebuilt',
        schema: RebuildReportSchema,
      },
    },
  },
];
