import {
  AddressConsentChangedV1,
  AnalysisReport,
  ApprovalMode,
  AttributeValue,
  ControlDelivery,
  CreateDelivery,
  DeliveryContent,
  FailureReason,
  Id,
  Schedule,
  ScheduleDelivery,
  SendProof,
  SizeSpec,
  Typology,
  UpdateDelivery,
  WaveSpec,
} from '@postwave/contracts';
import { ApiError, type ApiOperation, type ApiParameter } from '@postwave/platform/runtime';
import { z } from 'zod';

// Response schemas describe what the controllers in planner.controller.ts return. Their output
// types are checked against the controllers' return types in planner.openapi.spec.ts, so a
// changed answer fails the type check instead of leaving the document wrong.

const DELIVERY_STATUSES = [
  'BeingEdited',
  'TargetingPending',
  'Analysis',
  'PendingConfirmation',
  'Pending',
  'StartPending',
  'InProgress',
  'Paused',
  'Stopped',
  'Finished',
  'Failed',
] as const;

/** The planner's view of a delivery (its state without the trace context). */
export const DeliveryViewSchema = z
  .object({
    deliveryId: z.string(),
    status: z.enum(DELIVERY_STATUSES),
    settings: z.object({
      label: z.string().optional(),
      content: DeliveryContent,
      target: z
        .object({
          audience: z.string().optional(),
          inlineRecipients: z.number().int().optional().describe('How many recipients were given inline'),
          filter: z.string().optional(),
          limit: z.number().int().optional(),
          controlGroup: z.object({ size: SizeSpec }).optional(),
        })
        .describe('The target as stored: inline recipients are counted, not repeated'),
      typology: z.string(),
      validityHours: z.number().int(),
      approvalMode: ApprovalMode,
      schedule: Schedule.optional(),
      waves: WaveSpec.optional(),
    }),
    contactAt: z.string().optional().describe('The contact date as an instant, once scheduled'),
    analysisRun: z.number().int().describe('Increments with every analysis'),
    report: AnalysisReport.optional().describe('The last analysis report, with its wave plan'),
    createdAt: z.string(),
    confirmedAt: z.string().optional(),
    startAt: z.string().optional().describe('When sending starts: the contact date or the confirmation'),
    validUntil: z.string().optional().describe('End of the validity period: no attempt is made after it'),
    messageCount: z.number().int().optional(),
    proofs: z.number().int().describe('Proofs sent so far'),
    resumeTo: z.enum(['InProgress', 'Pending']).optional().describe('Where a paused delivery goes back to'),
    failureReason: z.string().optional(),
  })
  .meta({ id: 'DeliveryView', description: 'A delivery as the planner sees it' });

export const CommandAcceptedSchema = z
  .object({
    accepted: z.literal(true),
    commandId: z.string().describe('The Idempotency-Key (or body commandId), or a generated id'),
    deliveryId: z.string(),
    delivery: DeliveryViewSchema.describe(
      'After waiting: the delivery as it then is; otherwise as the command left it',
    ),
  })
  .meta({ id: 'CommandAccepted' });

export const CommandRejectedSchema = ApiError.extend({
  accepted: z.literal(false),
  commandId: z.string(),
  code: z
    .enum(['invalid', 'not-found', 'conflict'])
    .describe('invalid → 400, not-found → 404, conflict → 409'),
}).meta({
  id: 'CommandRejected',
  description: 'A refused command; retrying it with the same key answers the same',
});

export const RecipientSchema = z
  .object({
    messageId: z.string(),
    address: z.string(),
    reason: FailureReason.nullable().describe('Why the recipient was excluded; null when kept'),
    rule: z.string().nullable().describe('The typology rule that excluded it'),
    detail: z.string().nullable(),
  })
  .meta({ id: 'AnalysisRecipient' });

export const AudienceSummarySchema = z
  .object({
    name: z.string(),
    members: z.number().int(),
    columns: z.array(z.string()).describe('Attribute names seen in the imported files'),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'AudienceSummary' });

export const AudienceMemberSchema = z
  .object({ address: z.string(), attributes: z.record(z.string(), AttributeValue) })
  .meta({ id: 'AudienceMember' });

export const ImportReportSchema = z
  .object({
    audience: z.string(),
    importId: z.string(),
    status: z.enum(['imported', 'rejected']),
    lines: z.number().int().describe('Records read, not counting the CSV header or blank lines'),
    imported: z.number().int().describe('Members written by this import'),
    duplicates: z
      .number()
      .int()
      .describe('Later lines repeating an address of the file: the first one is kept'),
    badLines: z.number().int(),
    errors: z
      .array(z.object({ line: z.number().int(), reason: z.string() }))
      .describe('The first 1000 bad lines; badLines counts them all'),
    fatal: z.string().optional().describe('Why the file could not be read at all'),
    members: z.number().int().describe('Members of the audience after the import'),
    columns: z.array(z.string()),
    durationSeconds: z.number(),
  })
  .meta({ id: 'ImportReport' });

export const ImportRejectedSchema = ApiError.extend({ report: ImportReportSchema }).meta({
  id: 'ImportRejected',
  description: 'A refused file: the error names the first bad line, the report lists them',
});

export const AddressStatusSchema = z
  .object({
    address: z.string().describe('The normalized address'),
    blockedReason: FailureReason.nullable().describe(
      'Why the analysis would exclude it; null when it would not',
    ),
  })
  .meta({ id: 'AddressStatus' });

// The query and consent schemas: the controller validates with these, the document shows them.

export const RecipientQuerySchema = z.object({
  reason: FailureReason.optional(),
  kept: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  offset: z.coerce.number().int().min(0).default(0),
});

export const MemberQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

export const ImportQuerySchema = z.object({
  format: z.enum(['csv', 'ndjson']).optional(),
  onError: z.enum(['skip', 'reject']).default('reject'),
  mode: z.enum(['merge', 'replace']).default('merge'),
  addressField: z.string().min(1).max(100).optional(),
  delimiter: z.string().length(1).optional(),
});

export const ConsentBodySchema = z.object({
  status: AddressConsentChangedV1.shape.status,
  audience: Id.optional().describe('The audience the change applies to; absent: every audience'),
  reason: z.string().max(500).optional(),
});

/** The PUT body: a typology whose name comes from the path. */
const TypologyBody = z.object({
  ...Typology.shape,
  name: Typology.shape.name.optional().describe('Ignored: the path names the typology'),
});

const queryParameters = <S extends z.ZodRawShape>(
  schema: z.ZodObject<S>,
  descriptions: { readonly [K in keyof S]: string },
): ApiParameter[] =>
  Object.entries(schema.shape).map(([name, field]) => ({
    name,
    in: 'query',
    schema: field as z.ZodType,
    description: descriptions[name],
  }));

const IDEMPOTENCY =
  'Idempotent with an `Idempotency-Key` header (or a `commandId` in the body; the header wins): a retry ' +
  'with the same key changes nothing and answers the first outcome again, accepted or refused, with the ' +
  'same status (a command that waits shows the delivery as it now is). Without a key every request is a ' +
  'new command.';

const WAITS =
  'Waits up to 30 s for the work the command started (analysis, emission) and answers with the delivery ' +
  'as it then is; `?wait=false` answers at once with the delivery as the command left it.';

const ANSWERS_AT_ONCE = 'Answers at once with the delivery as the command left it.';

const idempotencyKey: ApiParameter = {
  name: 'Idempotency-Key',
  in: 'header',
  schema: z.string().max(200).optional(),
  description: 'Names the command, so that a retry is recognised; a longer key is ignored',
};

const wait: ApiParameter = {
  name: 'wait',
  in: 'query',
  schema: z.enum(['true', 'false']).optional(),
  description: '`false` answers without waiting for the work the command started; anything else waits',
};

const traceparent: ApiParameter = {
  name: 'traceparent',
  in: 'header',
  schema: z.string().optional(),
  description: "W3C trace context of the caller: the delivery's trace starts from (or links to) it",
};

const deliveryId: ApiParameter = { name: 'deliveryId', in: 'path', schema: Id };
const audienceName: ApiParameter = { name: 'name', in: 'path', schema: Id, description: 'The audience name' };
const typologyName: ApiParameter = { name: 'name', in: 'path', schema: Id, description: 'The typology name' };
const address: ApiParameter = {
  name: 'address',
  in: 'path',
  schema: z.string(),
  description: 'An email address (URL-encoded); the domain is compared lower-cased, IDNs as punycode',
};

const BAD_COMMAND = z.union([CommandRejectedSchema, ApiError]);

/**
 * What every command answers: its outcome, or the refusal with the status of its code. `existing`:
 * the command acts on a delivery that must exist (every command but creation).
 */
function commandResponses(success: '200' | '201', existing: boolean): ApiOperation['responses'] {
  return {
    [success]: { description: 'Accepted', schema: CommandAcceptedSchema },
    '400': {
      description: 'The command is invalid (CommandRejected, naming the field), or the body is not JSON',
      schema: BAD_COMMAND,
    },
    ...(existing
      ? { '404': { description: 'No such delivery (code not-found)', schema: CommandRejectedSchema } }
      : {}),
    '409': {
      description: existing
        ? 'The delivery is not in a state that allows this command (code conflict)'
        : 'A delivery with this id already exists (code conflict)',
      schema: CommandRejectedSchema,
    },
  };
}

const notFound = (what: string) => ({ description: `No such ${what}`, schema: ApiError });
const badQuery = { description: 'A query parameter is invalid (named in field)', schema: ApiError };

const command = (
  operationId: string,
  path: string,
  summary: string,
  description: string,
  extra: Partial<ApiOperation> = {},
): ApiOperation => ({
  method: 'post',
  path: `/v1/deliveries/:deliveryId/${path}`,
  operationId,
  summary,
  description: `${description}\n\n${IDEMPOTENCY}`,
  tags: ['deliveries'],
  parameters: [deliveryId, idempotencyKey],
  requestBody: {
    required: false,
    description: 'May carry `commandId` in place of the Idempotency-Key header',
    schema: z.object({ commandId: z.string().optional() }),
  },
  responses: commandResponses('201', true),
  ...extra,
});

const DELIVERY_OPERATIONS: readonly ApiOperation[] = [
  {
    method: 'post',
    path: '/v1/deliveries',
    operationId: 'createDelivery',
    summary: 'Create a delivery',
    description:
      'Creates the delivery with the id the client chose. Unless `draft`, the analysis starts at once ' +
      '(or waits for the contact date of an `analyze-at-date` schedule). `recipients` at the top level is ' +
      `the inline-list shorthand for \`target.recipients\`.\n\n${WAITS}\n\n${IDEMPOTENCY}`,
    tags: ['deliveries'],
    parameters: [wait, idempotencyKey, traceparent],
    requestBody: {
      schema: CreateDelivery,
      description: 'May also carry `commandId` in place of the Idempotency-Key header',
    },
    responses: {
      ...commandResponses('201', false),
      '413': { description: 'The body is larger than 64 MB', schema: ApiError },
    },
  },
  {
    method: 'patch',
    path: '/v1/deliveries/:deliveryId',
    operationId: 'updateDelivery',
    summary: 'Edit a delivery being prepared',
    description:
      'Changes the given settings; any change voids the last analysis, which must run again before ' +
      `the delivery can be confirmed. ${ANSWERS_AT_ONCE}\n\n${IDEMPOTENCY}`,
    tags: ['deliveries'],
    parameters: [deliveryId, idempotencyKey],
    requestBody: {
      schema: UpdateDelivery.shape.changes,
      description: 'At least one setting; may also carry `commandId`',
    },
    responses: commandResponses('200', true),
  },
  command(
    'analyzeDelivery',
    'analyze',
    'Run the analysis',
    `Targets, filters and checks the delivery against its typology. ${WAITS}`,
    { parameters: [deliveryId, wait, idempotencyKey] },
  ),
  command(
    'scheduleDelivery',
    'schedule',
    'Set the contact date',
    '`start-at-date` analyses now and starts on the date once confirmed; `analyze-at-date` waits ' +
      `("Targeting pending") and analyses on the date. ${WAITS}`,
    {
      parameters: [deliveryId, wait, idempotencyKey],
      requestBody: {
        schema: ScheduleDelivery.omit({ deliveryId: true }),
        description: 'May also carry `commandId`',
      },
    },
  ),
  command(
    'sendProof',
    'proofs',
    'Send proofs',
    `Sends the delivery's content to the given addresses, subject prefixed "Proof #n". ${ANSWERS_AT_ONCE}`,
    {
      requestBody: {
        schema: SendProof.omit({ deliveryId: true }),
        description: 'May also carry `commandId`',
      },
    },
  ),
  command(
    'confirmDelivery',
    'confirm',
    'Confirm the delivery',
    'Approves the analysed delivery: its messages are planned and sent from the contact date (or now). ' +
      `A blocking analysis finding refuses the confirmation. ${WAITS}`,
    { parameters: [deliveryId, wait, idempotencyKey, traceparent] },
  ),
  ...(
    [
      ['pauseDelivery', 'pause', 'Pause sending', 'The MTA holds the messages it has not sent yet.'],
      ['resumeDelivery', 'resume', 'Resume a paused delivery', 'The held messages are released.'],
      [
        'stopDelivery',
        'stop',
        'Stop the delivery',
        'What the MTA has not sent yet ends "Delivery canceled"; a stopped delivery cannot resume.',
      ],
    ] as const
  ).map(([operationId, path, summary, description]) =>
    command(operationId, path, summary, `${description} ${ANSWERS_AT_ONCE}`, {
      requestBody: {
        required: false,
        schema: ControlDelivery.omit({ deliveryId: true }),
        description: 'Why (recorded with the event); may also carry `commandId`',
      },
    }),
  ),
  {
    method: 'get',
    path: '/v1/deliveries/:deliveryId/plan',
    operationId: 'getDeliveryPlan',
    summary: "The planner's view of a delivery",
    description: 'State, settings, the analysis report with its wave plan, validity.',
    tags: ['deliveries'],
    parameters: [deliveryId],
    responses: {
      '200': { description: 'The delivery', schema: DeliveryViewSchema },
      '404': notFound('delivery'),
    },
  },
  {
    method: 'get',
    path: '/v1/deliveries/:deliveryId/recipients',
    operationId: 'listDeliveryRecipients',
    summary: 'The analysis log',
    description:
      'Each targeted recipient of the last analysis, kept or excluded with its reason, in target order. ' +
      'An unknown delivery has none.',
    tags: ['deliveries'],
    parameters: [
      deliveryId,
      ...queryParameters(RecipientQuerySchema, {
        reason: 'Only the recipients excluded for this reason',
        kept: '`true`: only the kept recipients (overrides reason)',
        limit: 'Page size',
        offset: 'Recipients to skip',
      }),
    ],
    responses: {
      '200': { description: 'A page of recipients', schema: z.array(RecipientSchema) },
      '400': badQuery,
    },
  },
];

const AUDIENCE_OPERATIONS: readonly ApiOperation[] = [
  {
    method: 'get',
    path: '/v1/audiences',
    operationId: 'listAudiences',
    summary: 'List audiences',
    tags: ['audiences'],
    responses: { '200': { description: 'Every audience, by name', schema: z.array(AudienceSummarySchema) } },
  },
  {
    method: 'get',
    path: '/v1/audiences/:name',
    operationId: 'getAudience',
    summary: 'One audience',
    tags: ['audiences'],
    parameters: [audienceName],
    responses: {
      '200': { description: 'The audience', schema: AudienceSummarySchema },
      '404': notFound('audience'),
    },
  },
  {
    method: 'get',
    path: '/v1/audiences/:name/members',
    operationId: 'listAudienceMembers',
    summary: "A page of an audience's members",
    description: 'Members in import order.',
    tags: ['audiences'],
    parameters: [
      audienceName,
      ...queryParameters(MemberQuerySchema, { limit: 'Page size', offset: 'Members to skip' }),
    ],
    responses: {
      '200': { description: 'The members', schema: z.array(AudienceMemberSchema) },
      '400': badQuery,
      '404': notFound('audience'),
    },
  },
  {
    method: 'delete',
    path: '/v1/audiences/:name',
    operationId: 'deleteAudience',
    summary: 'Remove an audience and its members',
    tags: ['audiences'],
    parameters: [audienceName],
    responses: { '204': { description: 'Removed' }, '404': notFound('audience') },
  },
  {
    method: 'post',
    path: '/v1/audiences/:name/import',
    operationId: 'importAudience',
    summary: 'Import a file into an audience',
    description:
      'The request body is the file itself, read as a stream: CSV (header line first; the delimiter is ' +
      'detected among `, ; \\t |` unless given) or NDJSON (one JSON object per line; application/ndjson, ' +
      'application/jsonl and application/x-jsonlines are accepted too). The address is the `addressField` ' +
      'column, or the first of email, address, e-mail, email_address. The audience is created if needed and ' +
      'changes only once the whole file is accepted: `onError=reject` (the default) refuses the file if any ' +
      'line is bad, answering 422 with every bad line; `onError=skip` imports the good lines and reports ' +
      'the bad ones. `mode=merge` adds and updates members; `replace` makes the file the whole audience.',
    tags: ['audiences'],
    parameters: [
      audienceName,
      ...queryParameters(ImportQuerySchema, {
        format: 'The file format; by default taken from the Content-Type',
        onError: '`reject`: any bad line refuses the file; `skip`: import the good lines',
        mode: '`merge`: add and update members; `replace`: the file becomes the whole audience',
        addressField: 'The column (CSV) or property (NDJSON) holding the address',
        delimiter: 'CSV only: the field delimiter',
      }),
    ],
    requestBody: {
      contentTypes: ['text/csv', 'application/x-ndjson'],
      schema: z.string(),
      description: 'The audience file (UTF-8)',
    },
    responses: {
      '201': { description: 'The file was imported', schema: ImportReportSchema },
      '400': {
        description: 'A bad name or option, no format given or known from the Content-Type, or a JSON body',
        schema: ApiError,
      },
      '422': { description: 'The file was refused; the audience is unchanged', schema: ImportRejectedSchema },
    },
  },
];

const TYPOLOGY_OPERATIONS: readonly ApiOperation[] = [
  {
    method: 'get',
    path: '/v1/typologies',
    operationId: 'listTypologies',
    summary: 'List typologies',
    description: 'Every stored typology by name, with the built-in `default` unless it was replaced.',
    tags: ['typologies'],
    responses: { '200': { description: 'The typologies', schema: z.array(Typology) } },
  },
  {
    method: 'get',
    path: '/v1/typologies/:name',
    operationId: 'getTypology',
    summary: 'One typology',
    tags: ['typologies'],
    parameters: [typologyName],
    responses: { '200': { description: 'The typology', schema: Typology }, '404': notFound('typology') },
  },
  {
    method: 'put',
    path: '/v1/typologies/:name',
    operationId: 'putTypology',
    summary: 'Create or replace a typology',
    description:
      'Control, filtering, pressure and capacity rules. Rule names are unique, a control rule has exactly ' +
      'one of `check` or `expression`, and every expression must compile. Deliveries analysed afterwards ' +
      'use the new rules.',
    tags: ['typologies'],
    parameters: [typologyName],
    requestBody: { schema: TypologyBody },
    responses: {
      '200': { description: 'The typology as stored', schema: Typology },
      '400': { description: 'The typology is invalid (named in field)', schema: ApiError },
    },
  },
];

const ADDRESS_OPERATIONS: readonly ApiOperation[] = [
  {
    method: 'get',
    path: '/v1/addresses/:address',
    operationId: 'getAddress',
    summary: 'Whether the analysis would exclude an address',
    description: 'Quarantine, denylist and unsubscription, as the planner learned them from address events.',
    tags: ['addresses'],
    parameters: [address],
    responses: {
      '200': { description: 'The address and why it is blocked', schema: AddressStatusSchema },
      '400': { description: 'Not a valid email address', schema: ApiError },
    },
  },
  {
    method: 'put',
    path: '/v1/addresses/:address/consent',
    operationId: 'putAddressConsent',
    summary: "Record an address's consent",
    description:
      "Unsubscribes (from one audience or all), denylists, or allows again (lifting that scope's " +
      'unsubscription or denylisting). Recorded as an address event; applies to analyses from now on.',
    tags: ['addresses'],
    parameters: [address],
    requestBody: { schema: ConsentBodySchema },
    responses: {
      '200': { description: 'The address as it now is', schema: AddressStatusSchema },
      '400': { description: 'Not a valid email address, or the body is invalid', schema: ApiError },
    },
  },
];

/** The delivery planner's HTTP API: deliveries, audiences, typologies, addresses. */
export const PLANNER_OPERATIONS: readonly ApiOperation[] = [
  ...DELIVERY_OPERATIONS,
  ...AUDIENCE_OPERATIONS,
  ...TYPOLOGY_OPERATIONS,
  ...ADDRESS_OPERATIONS,
];
