import {
  Body,
  Controller,
  Get,
  Headers,
  HttpException,
  Inject,
  NotFoundException,
  Param,
  Post,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { PlannerCommands, viewOf, type CommandOutcome } from './planner-commands';

const HTTP_STATUS = { invalid: 400, 'not-found': 404, conflict: 409 } as const;

/**
 * The planner's HTTP face. `Idempotency-Key` (or a body `commandId`) makes a retried request
 * return the first answer instead of acting twice.
 */
@Controller('v1/deliveries')
export class PlannerController {
  constructor(@Inject(PlannerCommands) private readonly commands: PlannerCommands) {}

  @Post()
  async create(
    @Body() body: Record<string, unknown>,
    @Headers('idempotency-key') key?: string,
    @Headers('traceparent') traceparent?: string,
  ) {
    const { commandId, ...data } = body ?? {};
    return answer(
      await this.commands.execute({
        commandId: pickCommandId(key, commandId),
        type: 'postwave.command.create-delivery.v1',
        data,
        ...(traceparent ? { traceparent } : {}),
      }),
    );
  }

  @Post(':deliveryId/confirm')
  async confirm(
    @Param('deliveryId') deliveryId: string,
    @Body() body: Record<string, unknown> | undefined,
    @Headers('idempotency-key') key?: string,
    @Headers('traceparent') traceparent?: string,
  ) {
    return answer(
      await this.commands.execute({
        commandId: pickCommandId(key, body?.['commandId']),
        type: 'postwave.command.confirm-delivery.v1',
        data: { deliveryId },
        ...(traceparent ? { traceparent } : {}),
      }),
    );
  }

  @Post(':deliveryId/pause')
  pause(
    @Param('deliveryId') deliveryId: string,
    @Body() body: Record<string, unknown> | undefined,
    @Headers('idempotency-key') key?: string,
  ) {
    return this.control('postwave.command.pause-delivery.v1', deliveryId, body, key);
  }

  @Post(':deliveryId/resume')
  resume(
    @Param('deliveryId') deliveryId: string,
    @Body() body: Record<string, unknown> | undefined,
    @Headers('idempotency-key') key?: string,
  ) {
    return this.control('postwave.command.resume-delivery.v1', deliveryId, body, key);
  }

  /** Stop: what the MTA has not sent yet ends "Delivery canceled"; a stopped delivery cannot resume. */
  @Post(':deliveryId/stop')
  stop(
    @Param('deliveryId') deliveryId: string,
    @Body() body: Record<string, unknown> | undefined,
    @Headers('idempotency-key') key?: string,
  ) {
    return this.control('postwave.command.stop-delivery.v1', deliveryId, body, key);
  }

  private async control(
    type: string,
    deliveryId: string,
    body: Record<string, unknown> | undefined,
    key: string | undefined,
  ) {
    const reason = typeof body?.['reason'] === 'string' ? { reason: body['reason'] } : {};
    return answer(
      await this.commands.execute({
        commandId: pickCommandId(key, body?.['commandId']),
        type,
        data: { deliveryId, ...reason },
      }),
    );
  }

  /** The planner's view of a delivery: state, analysis report, validity. */
  @Get(':deliveryId/plan')
  async plan(@Param('deliveryId') deliveryId: string) {
    const delivery = await this.commands.deliveryState(deliveryId);
    if (!delivery)
      throw new NotFoundException({
        error: `deliveryId: no such delivery (got ${JSON.stringify(deliveryId)})`,
        field: 'deliveryId',
        value: deliveryId,
      });
    return viewOf(delivery);
  }
}

/** The planner's view of an address (fed by address events): what the analysis will exclude it for. */
@Controller('v1/addresses')
export class AddressController {
  constructor(@Inject(PlannerCommands) private readonly commands: PlannerCommands) {}

  @Get(':address')
  async status(@Param('address') address: string) {
    return { address, blockedReason: await this.commands.addressStatus(address) };
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
