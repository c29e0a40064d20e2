import { Inject, Injectable } from '@nestjs/common';
import {
  ContractViolation,
  normalizeAddress,
  parseCommand,
  type DeliveryCommand,
  type Fact,
  type FailureReason,
} from '@postwave/contracts';
import { DATABASE, EVENT_LOG, EnvelopeFactory, LOGGER, type EventLog } from '@postwave/platform/eventing';
import { linkTo, SpanKind, traceparentOf, withSpan, type Logger } from '@postwave/platform/observability';
import type { Database } from '@postwave/platform/persistence';
import { decide, type Delivery, type PlannerCommand } from '@postwave/planning/domain';
import { In, type EntityManager } from 'typeorm';

export interface IncomingCommand {
  readonly commandId: string;
  readonly type: string;
  readonly data: unknown;
  readonly correlationId?: string;
  /** Trace context of the caller (HTTP `traceparent` header or the command envelope's). */
  readonly traceparent?: string;
}

export type CommandOutcome =
  | {
      readonly accepted: true;
      readonly commandId: string;
      readonly deliveryId: string;
      readonly delivery: DeliveryView;
    }
  | {
      readonly accepted: false;
      readonly commandId: string;
      readonly code: 'invalid' | 'not-found' | 'conflict';
      readonly error: string;
      readonly field?: string;
      readonly value?: unknown;
    };

const COMMAND_KINDS: Record<DeliveryCommand['type'], PlannerCommand['kind']> = {
  'postwave.command.create-delivery.v1': 'create',
  'postwave.command.confirm-delivery.v1': 'confirm',
  'postwave.command.pause-delivery.v1': 'pause',
  'postwave.command.resume-delivery.v1': 'resume',
  'postwave.command.stop-delivery.v1': 'stop',
};

export type DeliveryView = Omit<Delivery, 'target' | 'traceparent'>;

export const viewOf = ({ target: _target, traceparent: _traceparent, ...view }: Delivery): DeliveryView =>
  view;

/**
 * Handles planner commands from HTTP and from the command topic alike: load state, decide, and
 * save state, command outcome and events in one transaction. A command id seen before returns the
 * stored outcome and changes nothing.
 */
@Injectable()
export class PlannerCommands {
  private readonly envelopes = new EnvelopeFactory('/postwave/delivery-planner');

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(EVENT_LOG) private readonly eventLog: EventLog,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async execute(command: IncomingCommand, em?: EntityManager): Promise<CommandOutcome> {
    const outcome = await (em
      ? this.executeIn(em, command)
      : this.db.transaction((tx) => this.executeIn(tx, command)));
    this.logger.info(
      {
        command_id: command.commandId,
        command_type: command.type,
        correlation_id: command.correlationId ?? command.commandId,
        accepted: outcome.accepted,
        ...(outcome.accepted ? { delivery_id: outcome.deliveryId } : { error: outcome.error }),
      },
      outcome.accepted ? 'command accepted' : 'command rejected',
    );
    return outcome;
  }

  async deliveryState(deliveryId: string): Promise<Delivery | null> {
    return this.db.read((em) => loadDelivery(em, deliveryId));
  }

  async addressStatus(address: string): Promise<FailureReason | null> {
    const checked = normalizeAddress(address);
    if (!checked.ok) throw new ContractViolation('address', address, 'not a valid email address');
    const blocked = await this.db.read((em) => loadBlocked(em, [{ address: checked.address }]));
    return blocked.get(checked.address) ?? null;
  }

  private async executeIn(em: EntityManager, incoming: IncomingCommand): Promise<CommandOutcome> {
    const seen = await em.findOne<{ commandId: string; outcome: string }>('PlannerCommand', {
      where: { commandId: incoming.commandId },
    });
    if (seen) return JSON.parse(seen.outcome) as CommandOutcome;

    let command: DeliveryCommand;
    try {
      command = parseCommand(incoming.type, incoming.data);
    } catch (error) {
      if (!(error instanceof ContractViolation)) throw error;
      const deliveryId = deliveryIdOf(incoming.data);
      const outcome: CommandOutcome = {
        accepted: false,
        commandId: incoming.commandId,
        code: 'invalid',
        error: error.message,
        field: error.field,
        value: error.value,
      };
      return this.record(em, incoming, outcome, [rejection(deliveryId, incoming, outcome)]);
    }

    const deliveryId = command.data.deliveryId;
    const state = await loadDelivery(em, deliveryId);
    const kind = COMMAND_KINDS[command.type];
    // The delivery is one trace: creation starts it, later commands continue it and link the caller.
    const parent = kind === 'create' ? incoming.traceparent : (state?.traceparent ?? incoming.traceparent);
    return withSpan(
      `planner ${kind}-delivery`,
      {
        parent,
        kind: SpanKind.CONSUMER,
        links: kind === 'create' ? [] : linkTo(incoming.traceparent),
        attributes: { 'postwave.delivery_id': deliveryId, 'postwave.command_id': incoming.commandId },
      },
      async () => {
        const traceparent = traceparentOf();
        const plannerCommand: PlannerCommand =
          command.type === 'postwave.command.create-delivery.v1'
            ? { kind: 'create', data: command.data, now: new Date(), ...(traceparent ? { traceparent } : {}) }
            : command.type === 'postwave.command.confirm-delivery.v1'
              ? { kind: 'confirm', deliveryId, now: new Date() }
              : {
                  kind: COMMAND_KINDS[command.type] as 'pause' | 'resume' | 'stop',
                  deliveryId,
                  now: new Date(),
                  ...(command.data.reason ? { reason: command.data.reason } : {}),
                };
        const blocked =
          command.type === 'postwave.command.create-delivery.v1'
            ? await loadBlocked(em, command.data.recipients)
            : new Map();
        const decision = decide(state, plannerCommand, {
          blockedReason: (address) => blocked.get(address) ?? null,
        });
        if (!decision.ok) {
          const outcome: CommandOutcome = {
            accepted: false,
            commandId: incoming.commandId,
            code: decision.code,
            error: `${decision.field ?? 'command'}: ${decision.reason} (got ${JSON.stringify(decision.value)})`,
            ...(decision.field !== undefined ? { field: decision.field, value: decision.value } : {}),
          };
          return this.record(em, incoming, outcome, [rejection(deliveryId, incoming, outcome)], traceparent);
        }
        await em.save('PlannerDelivery', {
          deliveryId,
          status: decision.state.status,
          state: JSON.stringify(decision.state),
        });
        const outcome: CommandOutcome = {
          accepted: true,
          commandId: incoming.commandId,
          deliveryId,
          delivery: viewOf(decision.state),
        };
        return this.record(em, incoming, outcome, decision.facts, traceparent);
      },
    );
  }

  private async record(
    em: EntityManager,
    incoming: IncomingCommand,
    outcome: CommandOutcome,
    facts: readonly Fact[],
    traceparent = incoming.traceparent,
  ): Promise<CommandOutcome> {
    await em.save('PlannerCommand', { commandId: incoming.commandId, outcome: JSON.stringify(outcome) });
    const causation = {
      correlationId: incoming.correlationId ?? incoming.commandId,
      causationId: incoming.commandId,
      ...(traceparent ? { traceparent } : {}),
    };
    await this.eventLog.appendIn(em, this.envelopes.wrap(facts, causation));
    return outcome;
  }
}

async function loadDelivery(em: EntityManager, deliveryId: string): Promise<Delivery | null> {
  const row = await em.findOne<{ deliveryId: string; state: string }>('PlannerDelivery', {
    where: { deliveryId },
  });
  return row ? (JSON.parse(row.state) as Delivery) : null;
}

async function loadBlocked(
  em: EntityManager,
  recipients: readonly { address: string | null }[],
): Promise<Map<string, FailureReason>> {
  const addresses = [
    ...new Set(recipients.map((r) => normalizeAddress(r.address)).flatMap((c) => (c.ok ? [c.address] : []))),
  ];
  const blocked = new Map<string, FailureReason>();
  for (let i = 0; i < addresses.length; i += 500) {
    const rows = await em.find<{ address: string; reason: FailureReason }>('PlannerAddressStatus', {
      where: { address: In(addresses.slice(i, i + 500)) },
    });
    for (const row of rows) blocked.set(row.address, row.reason);
  }
  return blocked;
}

function deliveryIdOf(data: unknown): string {
  const id = (data as { deliveryId?: unknown } | null)?.deliveryId;
  return typeof id === 'string' && id.length > 0 ? id.slice(0, 128) : 'unknown';
}

function rejection(
  deliveryId: string,
  incoming: IncomingCommand,
  outcome: Extract<CommandOutcome, { accepted: false }>,
): Fact {
  return {
    type: 'postwave.delivery.command-rejected.v1',
    subject: deliveryId,
    data: {
      deliveryId,
      commandId: incoming.commandId,
      commandType: incoming.type,
      reason: outcome.error,
      ...(outcome.field !== undefined ? { field: outcome.field, value: outcome.value } : {}),
    },
  };
}
