import { RequestMethod, type DynamicModule, type Type } from '@nestjs/common';
import {
  HEADERS_METADATA,
  HTTP_CODE_METADATA,
  METHOD_METADATA,
  MODULE_METADATA,
  PATH_METADATA,
} from '@nestjs/common/constants';
import {
  ContractViolation,
  type AnalysisReport,
  type AttributeValue,
  type FailureReason,
  type Typology,
} from '@postwave/contracts';
import { buildOpenApi, type ApiOperation } from '@postwave/platform/runtime';
import type { z } from 'zod';
// The embedded app serves all four features from one document, so this spec checks them together.
import {
  BOUNCE_OPERATIONS,
  BounceModule,
  UnsubscribedSchema,
  type UnsubscribeController,
} from '@postwave/bounce/feature';
import {
  DeliveryDetailSchema,
  DeliverySummarySchema,
  FEEDBACK_OPERATIONS,
  FeedbackController,
  FeedbackModule,
  MessageLogSchema,
  MessageQuerySchema,
  RebuildReportSchema,
  UnqualifiedReplySchema,
} from '@postwave/feedback/feature';
import {
  AddressController,
  AddressStatusSchema,
  AudienceController,
  AudienceMemberSchema,
  AudienceSummarySchema,
  CommandAcceptedSchema,
  CommandRejectedSchema,
  ConsentBodySchema,
  DeliveryViewSchema,
  ImportQuerySchema,
  ImportReportSchema,
  MemberQuerySchema,
  PLANNER_OPERATIONS,
  PlannerController,
  PlanningModule,
  RecipientQuerySchema,
  RecipientSchema,
  type CommandOutcome,
  type TypologyController,
} from '@postwave/planning/feature';
import {
  MtaReportSchema,
  SENDING_OPERATIONS,
  SendingModule,
  type MtaController,
} from '@postwave/sending/feature';

const OPERATIONS: readonly ApiOperation[] = [
  ...PLANNER_OPERATIONS,
  ...FEEDBACK_OPERATIONS,
  ...SENDING_OPERATIONS,
  ...BOUNCE_OPERATIONS,
];

// Registration only lists controllers and providers; the options are read when the app starts.
const MODULES: readonly (Type | DynamicModule)[] = [
  PlanningModule,
  FeedbackModule,
  SendingModule.register({} as never),
  BounceModule.register({} as never),
];

type Json = { readonly [key: string]: unknown };

interface ServedRoute {
  readonly route: string;
  readonly handler: string;
  readonly status: number;
  readonly contentType: string | undefined;
}

function controllersOf(module: Type | DynamicModule): Type[] {
  const type = 'module' in module ? module.module : module;
  const declared = (Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, type) ?? []) as Type[];
  return [...declared, ...((('controllers' in module && module.controllers) || []) as Type[])];
}

const joinPath = (...parts: string[]) =>
  '/' +
  parts
    .flatMap((part) => part.split('/'))
    .filter(Boolean)
    .join('/');

const paths = (metadata: unknown): string[] => [metadata ?? '/'].flat() as string[];

/** Every HTTP route a controller declares, as Nest's router reads it from the decorators. */
function servedRoutes(controller: Type): ServedRoute[] {
  const prototype = controller.prototype as Record<string, unknown>;
  return Object.getOwnPropertyNames(prototype).flatMap((name) => {
    const handler = prototype[name];
    if (name === 'constructor' || typeof handler !== 'function') return [];
    const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
    if (method === undefined) return [];
    const headers = (Reflect.getMetadata(HEADERS_METADATA, handler) ?? []) as {
      name: string;
      value: string;
    }[];
    const status =
      (Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined) ??
      (method === RequestMethod.POST ? 201 : 200);
    return paths(Reflect.getMetadata(PATH_METADATA, controller)).flatMap((base) =>
      paths(Reflect.getMetadata(PATH_METADATA, handler)).map((path) => ({
        route: `${RequestMethod[method]} ${joinPath(base, path).replace(/:(\w+)/g, '{$1}')}`,
        handler: `${controller.name}.${name}`,
        status,
        contentType: headers.find((header) => header.name.toLowerCase() === 'content-type')?.value,
      })),
    );
  });
}

const document = buildOpenApi({ title: 'Postwave', version: '1' }, OPERATIONS);
const served = MODULES.flatMap(controllersOf).flatMap(servedRoutes);
const documentedPaths = document['paths'] as Record<string, Record<string, Json>>;
const schemas = (document['components'] as { schemas: Record<string, Json> }).schemas;
const routeOf = (operation: ApiOperation) =>
  `${operation.method.toUpperCase()} ${operation.path.replace(/:(\w+)/g, '{$1}')}`;
const mediaType = (contentType: string) => contentType.split(';')[0]?.trim().toLowerCase();

const resolve = (schema: Json): Json =>
  typeof schema['$ref'] === 'string'
    ? resolve(schemas[schema['$ref'].replace('#/components/schemas/', '')] ?? {})
    : schema;

describe('the OpenAPI document of the four features', () => {
  it('documents exactly the routes their controllers serve', () => {
    const documented = Object.entries(documentedPaths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(served.length).toBeGreaterThan(0);
    expect(documented.sort()).toEqual(served.map((route) => route.route).sort());
  });

  it('documents the status and content type each route succeeds with', () => {
    const byRoute = new Map(OPERATIONS.map((operation) => [routeOf(operation), operation]));
    const documented = served.map(({ route, handler }) => {
      const responses = Object.entries(byRoute.get(route)?.responses ?? {}).filter(([status]) =>
        status.startsWith('2'),
      );
      return {
        handler,
        success: responses.map(([status, response]) => ({
          status: Number(status),
          contentType: response.schema ? mediaType(response.contentType ?? 'application/json') : undefined,
        })),
      };
    });
    const expected = served.map(({ handler, status, contentType }) => ({
      handler,
      success: [
        {
          status,
          contentType: status === 204 ? undefined : mediaType(contentType ?? 'application/json'),
        },
      ],
    }));
    expect(documented).toEqual(expected);
  });

  it('answers every 4xx with an ApiError, or an ApiError with more fields', () => {
    const apiError = schemas['ApiError'] as { properties: Json; required: string[] };
    const extendsApiError = (schema: Json): boolean => {
      const resolved = resolve(schema);
      if (Array.isArray(resolved['anyOf'])) return (resolved['anyOf'] as Json[]).every(extendsApiError);
      const properties = (resolved['properties'] ?? {}) as Json;
      return (
        Object.entries(apiError.properties).every(
          ([name, property]) => JSON.stringify(properties[name]) === JSON.stringify(property),
        ) && apiError.required.every((name) => ((resolved['required'] ?? []) as string[]).includes(name))
      );
    };
    const offenders = Object.values(documentedPaths).flatMap((methods) =>
      Object.values(methods).flatMap((operation) =>
        Object.entries(operation['responses'] as Record<string, { content?: Record<string, Json> }>)
          .filter(([status]) => status.startsWith('4'))
          .filter(([, response]) => {
            const schema = response.content?.['application/json']?.['schema'] as Json | undefined;
            return schema === undefined || !extendsApiError(schema);
          })
          .map(([status]) => `${String(operation['operationId'])} ${status}`),
      ),
    );
    expect(offenders).toEqual([]);
  });

  it("reads CreateDelivery's request as clients write it: deliveryId required, approvalMode optional", () => {
    const body = documentedPaths['/v1/deliveries']?.['post']?.['requestBody'] as {
      content: Record<string, { schema: Json }>;
    };
    const schema = resolve(body.content['application/json']?.schema ?? {});
    expect(Object.keys(schema['properties'] as Json)).toEqual(
      expect.arrayContaining(['deliveryId', 'approvalMode']),
    );
    expect(schema['required']).toContain('deliveryId');
    expect(schema['required']).not.toContain('approvalMode');
  });
});

/** Whether the controller accepts the input: it refuses with a ContractViolation. */
async function accepts(run: () => Promise<unknown>): Promise<boolean> {
  try {
    await run();
    return true;
  } catch (error) {
    if (error instanceof ContractViolation) return false;
    throw error;
  }
}

const outcomes = async (
  documented: z.ZodType,
  inputs: readonly Record<string, unknown>[],
  run: (input: Record<string, unknown>) => Promise<unknown>,
) => {
  const answers = [];
  for (const input of inputs) {
    answers.push({
      input,
      documented: documented.safeParse(input).success,
      served: await accepts(() => run(input)),
    });
  }
  return answers;
};

const pageInputs = [
  {},
  { limit: '1' },
  { limit: '0' },
  { limit: '10000' },
  { limit: '10001' },
  { limit: '2.5' },
  { limit: 'ten' },
  { offset: '0' },
  { offset: '-1' },
  { offset: '20' },
];

describe('the documented query and body schemas the controllers do not export', () => {
  const planner = new PlannerController({} as never, {} as never, { read: async () => [] } as never);
  const audiences = new AudienceController({
    members: async () => [],
    import: async () => ({ status: 'imported', errors: [] }),
  } as never);
  const addresses = new AddressController(
    { addressStatus: async () => null } as never,
    { transaction: async () => undefined } as never,
    {} as never,
  );
  const feedback = new FeedbackController({ read: async () => [] } as never, {} as never);

  const expectAgreement = (answers: { documented: boolean; served: boolean }[]) => {
    expect(answers.filter((answer) => answer.documented !== answer.served)).toEqual([]);
    // Both verdicts occur, so the comparison is not vacuous.
    expect(new Set(answers.map((answer) => answer.served))).toEqual(new Set([true, false]));
  };

  it('recipients query', async () => {
    const inputs = [
      ...pageInputs,
      { reason: 'Double' },
      { reason: 'Lost' },
      { kept: 'true' },
      { kept: 'false' },
      { kept: 'yes' },
    ];
    expectAgreement(
      await outcomes(RecipientQuerySchema, inputs, (query) =>
        planner.recipients('d1', query as Record<string, string>),
      ),
    );
  });

  it('audience members query', async () => {
    expectAgreement(
      await outcomes(MemberQuerySchema, pageInputs, (query) =>
        audiences.members('news', query as Record<string, string>),
      ),
    );
  });

  it('audience import query', async () => {
    const inputs = [
      {},
      { format: 'csv' },
      { format: 'ndjson' },
      { format: 'xml' },
      { onError: 'skip' },
      { onError: 'ignore' },
      { mode: 'replace' },
      { mode: 'append' },
      { addressField: '' },
      { addressField: 'x'.repeat(100) },
      { addressField: 'x'.repeat(101) },
      { delimiter: ';' },
      { delimiter: '' },
      { delimiter: ';;' },
    ];
    expectAgreement(
      await outcomes(ImportQuerySchema, inputs, (query) =>
        audiences.import(
          'news',
          query as Record<string, string>,
          { readableEnded: false } as never,
          'text/csv',
        ),
      ),
    );
  });

  it('consent body', async () => {
    const inputs = [
      {},
      { status: 'unsubscribed' },
      { status: 'denylisted' },
      { status: 'allowed', audience: 'news' },
      { status: 'paused' },
      { status: 'allowed', audience: 'not an id' },
      { status: 'denylisted', reason: 'x'.repeat(500) },
      { status: 'denylisted', reason: 'x'.repeat(501) },
      { status: 'denylisted', reason: 7 },
    ];
    expectAgreement(
      await outcomes(ConsentBodySchema, inputs, (body) => addresses.consent('ann@example.com', body)),
    );
  });

  it('delivery log query', async () => {
    const inputs = [...pageInputs, { status: 'Sent' }, { status: 'Lost' }];
    expectAgreement(
      await outcomes(MessageQuerySchema, inputs, (query) =>
        feedback.messages('d1', query as Record<string, string>),
      ),
    );
  });
});

// Compile-time: each response schema describes what its handler returns (checked by
// `tsc -p tsconfig.typecheck.json`, not by Jest). `Corrected` names where the handler's declared type
// is wider than what it returns (JSON read back as unknown, columns typed as string) or lags the
// row it returns (columns the entity has and the MessageLog type does not).
type Writable<T> = T extends readonly (infer U)[]
  ? Writable<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: Writable<T[K]> }
    : T;
type Agrees<A, B> = [Writable<A>] extends [Writable<B>]
  ? [Writable<B>] extends [Writable<A>]
    ? true
    : false
  : false;
type Expect<T extends true> = T;
type Answer<C, M extends keyof C> = C[M] extends (...args: never[]) => infer R ? Awaited<R> : never;
type Element<T> = T extends readonly (infer U)[] ? U : never;
type Corrected<T, U> = Omit<T, keyof U> & U;
type Documents<S extends z.ZodType, T> = Agrees<z.output<S>, T>;

type _ResponsesMatchTheCode = [
  Expect<Documents<typeof CommandAcceptedSchema, Answer<PlannerController, 'create'>>>,
  Expect<Documents<typeof CommandAcceptedSchema, Answer<PlannerController, 'update'>>>,
  Expect<Documents<typeof CommandAcceptedSchema, Answer<PlannerController, 'analyze'>>>,
  Expect<Documents<typeof CommandAcceptedSchema, Answer<PlannerController, 'schedule'>>>,
  Expect<Documents<typeof CommandAcceptedSchema, Answer<PlannerController, 'proofs'>>>,
  Expect<Documents<typeof CommandAcceptedSchema, Answer<PlannerController, 'confirm'>>>,
  Expect<Documents<typeof CommandAcceptedSchema, Answer<PlannerController, 'pause'>>>,
  Expect<Documents<typeof CommandAcceptedSchema, Answer<PlannerController, 'resume'>>>,
  Expect<Documents<typeof CommandAcceptedSchema, Answer<PlannerController, 'stop'>>>,
  Expect<Documents<typeof CommandRejectedSchema, Extract<CommandOutcome, { accepted: false }>>>,
  Expect<Documents<typeof DeliveryViewSchema, Answer<PlannerController, 'plan'>>>,
  Expect<
    Documents<
      typeof RecipientSchema,
      Corrected<Element<Answer<PlannerController, 'recipients'>>, { reason: FailureReason | null }>
    >
  >,
  Expect<Documents<typeof AudienceSummarySchema, Element<Answer<AudienceController, 'list'>>>>,
  Expect<Documents<typeof AudienceSummarySchema, Answer<AudienceController, 'get'>>>,
  Expect<
    Documents<
      typeof AudienceMemberSchema,
      Corrected<
        Element<Answer<AudienceController, 'members'>>,
        { attributes: Record<string, z.output<typeof AttributeValue>> }
      >
    >
  >,
  Expect<Documents<typeof ImportReportSchema, Answer<AudienceController, 'import'>>>,
  Expect<Documents<typeof Typology, Element<Answer<TypologyController, 'list'>>>>,
  Expect<Documents<typeof Typology, Answer<TypologyController, 'get'>>>,
  Expect<Documents<typeof Typology, Answer<TypologyController, 'put'>>>,
  Expect<Documents<typeof AddressStatusSchema, Answer<AddressController, 'status'>>>,
  Expect<Documents<typeof AddressStatusSchema, Answer<AddressController, 'consent'>>>,
  Expect<Documents<typeof DeliverySummarySchema, Element<Answer<FeedbackController, 'deliveries'>>>>,
  Expect<
    Documents<
      typeof DeliveryDetailSchema,
      Corrected<Answer<FeedbackController, 'delivery'>, { report: AnalysisReport | null }>
    >
  >,
  Expect<
    Documents<
      typeof MessageLogSchema,
      Corrected<Answer<FeedbackController, 'message'>, { proof: number | null; analysisRun: number | null }>
    >
  >,
  Expect<
    Documents<
      typeof MessageLogSchema,
      Corrected<
        Element<Answer<FeedbackController, 'messages'>>,
        { proof: number | null; analysisRun: number | null }
      >
    >
  >,
  Expect<Documents<typeof UnqualifiedReplySchema, Element<Answer<FeedbackController, 'unqualified'>>>>,
  Expect<Documents<typeof RebuildReportSchema, Answer<FeedbackController, 'rebuild'>>>,
  Expect<Documents<typeof MtaReportSchema, Answer<MtaController, 'paths'>>>,
  Expect<
    Documents<
      typeof UnsubscribedSchema,
      Corrected<Answer<UnsubscribeController, 'oneClick'>, { unsubscribed: true }>
    >
  >,
];
