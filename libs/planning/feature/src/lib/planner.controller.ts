import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  HttpException,
  Inject,
  NotFoundException,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Req,
} from '@nestjs/common';
import {
  AddressConsentChangedV1,
  ContractViolation,
  Id,
  normalizeAddress,
  parseOrThrow,
  Typology,
} from '@postwave/contracts';
import { DATABASE, EVENT_LOG, EnvelopeFactory, type EventLog } from '@postwave/platform/eventing';
import { sqlFor, type Database } from '@postwave/platform/persistence';
import { compileTypology } from '@postwave/planning/domain';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Audiences } from './audiences';
import { PlannerCommands, viewOf, type CommandOutcome } from './planner-commands';
import { loadTypologyDefinition } from './planner-store';
import { PlannerJobs } from './planner-jobs';
import {
  ConsentBodySchema,
  ImportQuerySchema,
  MemberQuerySchema,
  RecipientQuerySchema,
} from './planner.openapi';
import { applyConsent } from './planner.consumer';

const HTTP_STATUS = { invalid: 400, 'not-found': 404, conflict: 409 } as const;
/** How long an HTTP command waits for the analysis (or emission) it started before answering. */
const WAIT_MS = 30_000;

const notFound = (field: string, value: string) =>
  new NotFoundException({ error: `${field}: not found (got ${JSON.stringify(value)})`, field, value });

/**
 * The planner's HTTP face. `Idempotency-Key` (or a body `commandId`) makes a retried request
 * return the first answer instead of acting twice. Commands that start work (create, analyze,
 * schedule, confirm) wait for it up to 30 s and answer with the delivery as it then is; `?wait=false`
 * answers at once.
 */
@Controller('v1/deliveries')
export class PlannerController {
  constructor(
    @Inject(PlannerCommands) private readonly commands: PlannerCommands,
    @Inject(PlannerJobs) private readonly jobs: PlannerJobs,
    @Inject(DATABASE) private readonly db: Database,
  ) {}

  @Post()
  async create(
    @Body() body: Record<string, unknown>,
    @Query('wait') wait?: string,
    @Headers('idempotency-key') key?: string,
    @Headers('traceparent') traceparent?: string,
  ) {
    const { commandId, ...data } = body ?? {};
    return this.run(
      'postwave.command.create-delivery.v1',
      data,
      pickCommandId(key, commandId),
      wait,
      traceparent,
    );
  }

  /** Edits the delivery; the analysis must run again before it can be confirmed. */
  @Patch(':deliveryId')
  update(
    @Param('deliveryId') deliveryId: string,
    @Body() body: Record<string, unknown> | undefined,
    @Headers('idempotency-key') key?: string,
  ) {
    const { commandId, ...changes } = body ?? {};
    return this.run(
      'postwave.command.update-delivery.v1',
      { deliveryId, changes },
      pickCommandId(key, commandId),
      'false',
    );
  }

  @Post(':deliveryId/analyze')
  analyze(
    @Param('deliveryId') deliveryId: string,
    @Body() body: Record<string, unknown> | undefined,
    @Query('wait') wait?: string,
    @Headers('idempotency-key') key?: string,
  ) {
    return this.run(
      'postwave.command.analyze-delivery.v1',
      { deliveryId },
      pickCommandId(key, body?.['commandId']),
      wait,
    );
  }

  /** Sets the contact date: `start-at-date` (analyse now, start then) or `analyze-at-date`. */
  @Post(':deliveryId/schedule')
  schedule(
    @Param('deliveryId') deliveryId: string,
    @Body() body: Record<string, unknown> | undefined,
    @Query('wait') wait?: string,
    @Headers('idempotency-key') key?: string,
  ) {
    const { commandId, ...data } = body ?? {};
    return this.run(
      'postwave.command.schedule-delivery.v1',
      { ...data, deliveryId },
      pickCommandId(key, commandId),
      wait,
    );
  }

  @Post(':deliveryId/proofs')
  proofs(
    @Param('deliveryId') deliveryId: string,
    @Body() body: Record<string, unknown> | undefined,
    @Headers('idempotency-key') key?: string,
  ) {
    const { commandId, ...data } = body ?? {};
    return this.run(
      'postwave.command.send-proof.v1',
      { ...data, deliveryId },
      pickCommandId(key, commandId),
      'false',
    );
  }

  @Post(':deliveryId/confirm')
  confirm(
    @Param('deliveryId') deliveryId: string,
    @Body() body: Record<string, unknown> | undefined,
    @Query('wait') wait?: string,
    @Headers('idempotency-key') key?: string,
    @Headers('traceparent') traceparent?: string,
  ) {
    return this.run(
      'postwave.command.confirm-delivery.v1',
      { deliveryId },
      pickCommandId(key, body?.['commandId']),
      wait,
      traceparent,
    );
  }

  @Post(':deliveryId/pause')
  pause(
    @Param('deliveryId') id: string,
    @Body() body: Record<string, unknown> | undefined,
    @Headers('idempotency-key') key?: string,
  ) {
    return this.control('postwave.command.pause-delivery.v1', id, body, key);
  }

  @Post(':deliveryId/resume')
  resume(
    @Param('deliveryId') id: string,
    @Body() body: Record<string, unknown> | undefined,
    @Headers('idempotency-key') key?: string,
  ) {
    return this.control('postwave.command.resume-delivery.v1', id, body, key);
  }

  /** Stop: what the MTA has not sent yet ends "Delivery canceled"; a stopped delivery cannot resume. */
  @Post(':deliveryId/stop')
  stop(
    @Param('deliveryId') id: string,
    @Body() body: Record<string, unknown> | undefined,
    @Headers('idempotency-key') key?: string,
  ) {
    return this.control('postwave.command.stop-delivery.v1', id, body, key);
  }

  /** The planner's view of a delivery: state, settings, analysis report with its wave plan, validity. */
  @Get(':deliveryId/plan')
  async plan(@Param('deliveryId') deliveryId: string) {
    const delivery = await this.commands.deliveryState(deliveryId);
    if (!delivery) throw notFound('deliveryId', deliveryId);
    return viewOf(delivery);
  }

  /** The analysis log: each targeted recipient, kept or excluded with its reason. */
  @Get(':deliveryId/recipients')
  async recipients(@Param('deliveryId') deliveryId: string, @Query() query: Record<string, string>) {
    const { reason, kept, limit, offset } = parseOrThrow(RecipientQuerySchema, query, 'query');
    const filter = kept === 'true' ? ' AND reason IS NULL' : reason ? ' AND reason = ?' : '';
    const rows = (await this.db.read((em) =>
      em.query(
        sqlFor(
          em,
          `SELECT message_id AS "messageId", address, reason, rule, detail FROM planner_recipient
           WHERE delivery_id = ?${filter} ORDER BY seq LIMIT ? OFFSET ?`,
        ),
        [deliveryId, ...(reason && kept !== 'true' ? [reason] : []), limit, offset],
      ),
    )) as {
      messageId: string;
      address: string;
      reason: string | null;
      rule: string | null;
      detail: string | null;
    }[];
    return rows;
  }

  private async control(
    type: string,
    deliveryId: string,
    body: Record<string, unknown> | undefined,
    key: string | undefined,
  ) {
    const reason = typeof body?.['reason'] === 'string' ? { reason: body['reason'] } : {};
    return this.run(type, { deliveryId, ...reason }, pickCommandId(key, body?.['commandId']), 'false');
  }

  private async run(
    type: string,
    data: unknown,
    commandId: string,
    wait: string | undefined,
    traceparent?: string,
  ) {
    const outcome = answer(
      await this.commands.execute({ commandId, type, data, ...(traceparent ? { traceparent } : {}) }),
    );
    if (wait === 'false') return outcome;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.jobs.kick(outcome.deliveryId),
      new Promise((resolve) => (timer = setTimeout(resolve, WAIT_MS))),
    ]);
    clearTimeout(timer);
    const delivery = await this.commands.deliveryState(outcome.deliveryId);
    return delivery ? { ...outcome, delivery: viewOf(delivery) } : outcome;
  }
}

/** Audiences: streamed imports from CSV or NDJSON, listing, members, removal. */
@Controller('v1/audiences')
export class AudienceController {
  constructor(@Inject(Audiences) private readonly audiences: Audiences) {}

  @Get()
  list() {
    return this.audiences.list();
  }

  @Get(':name')
  async get(@Param('name') name: string) {
    return (await this.audiences.get(name)) ?? raise(notFound('name', name));
  }

  @Get(':name/members')
  async members(@Param('name') name: string, @Query() query: Record<string, string>) {
    const { limit, offset } = parseOrThrow(MemberQuerySchema, query, 'query');
    return (await this.audiences.members(name, offset, limit)) ?? raise(notFound('name', name));
  }

  @Delete(':name')
  @HttpCode(204)
  async remove(@Param('name') name: string) {
    if (!(await this.audiences.remove(name))) throw notFound('name', name);
  }

  /**
   * The request body is the file itself (text/csv or application/x-ndjson), read as a stream.
   * `onError=skip` imports the good lines; `reject` (the default) refuses the file if any line is
   * bad. A rejected file answers 422 with every bad line's number and reason.
   */
  @Post(':name/import')
  async import(
    @Param('name') name: string,
    @Query() query: Record<string, string>,
    @Req() request: IncomingMessage & { body?: unknown },
    @Headers('content-type') contentType?: string,
  ) {
    parseOrThrow(Id, name, 'name');
    const options = parseOrThrow(ImportQuerySchema, query, 'query');
    const format = options.format ?? formatOf(contentType);
    if (!format)
      throw new ContractViolation(
        'format',
        contentType ?? null,
        'give ?format=csv|ndjson or send the file as text/csv or application/x-ndjson',
      );
    if (request.readableEnded && request.body !== undefined)
      throw new ContractViolation(
        'content-type',
        contentType,
        'send the file as text/csv or application/x-ndjson, not JSON',
      );
    const report = await this.audiences.import(name, request, {
      format,
      onError: options.onError,
      mode: options.mode,
      ...(options.addressField ? { addressField: options.addressField } : {}),
      ...(options.delimiter ? { delimiter: options.delimiter } : {}),
    });
    if (report.status === 'rejected') {
      const first = report.errors[0];
      throw new HttpException(
        {
          error: report.fatal
            ? `file: ${report.fatal}`
            : `file rejected: ${report.badLines} bad line(s); line ${first?.line}: ${first?.reason}`,
          field: report.fatal ? 'file' : `line ${first?.line}`,
          value: first?.reason ?? report.fatal,
          report,
        },
        422,
      );
    }
    return report;
  }
}

function formatOf(contentType: string | undefined): 'csv' | 'ndjson' | undefined {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'text/csv') return 'csv';
  if (
    ['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/x-jsonlines'].includes(
      type,
    )
  )
    return 'ndjson';
  return undefined;
}

/** Typologies: named sets of control, filtering, pressure and capacity rules. */
@Controller('v1/typologies')
export class TypologyController {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  @Get()
  async list() {
    const rows = (await this.db.read((em) =>
      em.query('SELECT definition FROM planner_typology ORDER BY name'),
    )) as {
      definition: string;
    }[];
    const stored = rows.map((row) => JSON.parse(row.definition) as Typology);
    return stored.some((t) => t.name === 'default')
      ? stored
      : [
          ...(await this.db.read((em) => loadTypologyDefinition(em, 'default')).then((t) => (t ? [t] : []))),
          ...stored,
        ];
  }

  @Get(':name')
  async get(@Param('name') name: string) {
    return (await this.db.read((em) => loadTypologyDefinition(em, name))) ?? raise(notFound('name', name));
  }

  /** Creates or replaces a typology; every rule expression must compile. */
  @Put(':name')
  async put(@Param('name') name: string, @Body() body: Record<string, unknown> | undefined) {
    const typology = parseOrThrow(Typology, { ...(body ?? {}), name }, 'typology');
    const compiled = compileTypology(typology);
    if (!compiled.ok) throw new ContractViolation(compiled.field, compiled.value, compiled.error);
    await this.db.transaction((em) =>
      em.query(
        sqlFor(
          em,
          `INSERT INTO planner_typology (name, definition, updated_at) VALUES (?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at`,
        ),
        [name, JSON.stringify(typology), new Date().toISOString()],
      ),
    );
    return typology;
  }
}

/** The planner's view of an address (fed by address events), and consent changes recorded here. */
@Controller('v1/addresses')
export class AddressController {
  private readonly envelopes = new EnvelopeFactory('/postwave/delivery-planner');

  constructor(
    @Inject(PlannerCommands) private readonly commands: PlannerCommands,
    @Inject(DATABASE) private readonly db: Database,
    @Inject(EVENT_LOG) private readonly eventLog: EventLog,
  ) {}

  @Get(':address')
  async status(@Param('address') address: string) {
    return { address, blockedReason: await this.commands.addressStatus(address) };
  }

  /** Unsubscribes (from one audience or all), denylists or allows an address; recorded as an address event. */
  @Put(':address/consent')
  async consent(@Param('address') address: string, @Body() body: Record<string, unknown> | undefined) {
    const checked = normalizeAddress(address);
    if (!checked.ok) throw new ContractViolation('address', address, 'not a valid email address');
    const consent = parseOrThrow(ConsentBodySchema, body ?? {}, 'body');
    const data = parseOrThrow(
      AddressConsentChangedV1,
      { address: checked.address, ...consent, at: new Date().toISOString() },
      'consent',
    );
    await this.db.transaction(async (em) => {
      await applyConsent(em, data);
      const id = randomUUID();
      await this.eventLog.appendIn(
        em,
        this.envelopes.wrap(
          [{ type: 'postwave.address.consent-changed.v1', subject: checked.address, data }],
          { correlationId: id, causationId: id },
        ),
      );
    });
    return { address: checked.address, blockedReason: await this.commands.addressStatus(checked.address) };
  }
}

function pickCommandId(header: string | undefined, body: unknown): string {
  const id = header ?? (typeof body === 'string' ? body : undefined);
  return id && id.length <= 200 ? id : randomUUID();
}

function answer(outcome: CommandOutcome) {
  if (outcome.accepted) return outcome;
  throw new HttpException(outcome, HTTP_STATUS[outcome.code]);
}

function raise(error: Error): never {
  throw error;
}
