import { Inject, Injectable } from '@nestjs/common';
import {
  ContractViolation,
  DEFAULT_TYPOLOGY,
  normalizeAddress,
  parseCommand,
  type DeliveryCommand,
  type Fact,
  type FailureReason,
  type InlineRecipient,
} from '@postwave/contracts';
import { DATABASE, EVENT_LOG, EnvelopeFactory, LOGGER, type EventLog } from '@postwave/platform/eventing';
import { linkTo, SpanKind, traceparentOf, withSpan, type Logger } from '@postwave/platform/observability';
import { insertMany, sqlFor, type Database } from '@postwave/platform/persistence';
import {
  decide,
  noSuchDelivery,
  type Decision,
  type Delivery,
  type PlannerCommand,
} from '@postwave/planning/domain';
import type { EntityManager } from 'typeorm';
import { blockedReasons, loadCompiledTypology, loadDelivery, saveDelivery } from './planner-store';

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

const COMMAND_KINDS = {
  'postwave.command.create-delivery.v1': 'create',
  'postwave.command.update-delivery.v1': 'update',
  'postwave.command.analyze-delivery.v1': 'analyze',
  'postwave.command.schedule-delivery.v1': 'schedule',
  'postwave.command.send-proof.v1': 'proof',
  'postwave.command.confirm-delivery.v1': 'confirm',
  'postwave.command.pause-delivery.v1': 'pause',
  'postwave.command.resume-delivery.v1': 'resume',
  'postwave.command.stop-delivery.v1': 'stop',
} as const satisfies Record<DeliveryCommand['type'], PlannerCommand['kind']>;

export type DeliveryView = Omit<Delivery, 'traceparent'>;

export const viewOf = ({ traceparent: _traceparent, ...view }: Delivery): DeliveryView => view;

/** Causation of the facts a command or a job records. */
interface Causation {
  readonly correlationId: string;
  readonly causationId: string;
  readonly traceparent?: string;
}

/**
 * Handles planner commands from HTTP and from the command topic alike: load state, decide, and
 * save state, command outcome and events in one transaction. A command id seen before returns the
 * stored outcome and changes nothing. The planner's jobs (analysis, emission, scheduler) record
 * their results through `applyInternal`, the same decide-and-save path.
 */
@Injectable()
export class PlannerCommands {
  private readonly envelopes = new EnvelopeFactory('/postwave/delivery-planner');
  /** Called after a command changed a delivery, so its jobs run without waiting for the next poll. */
  onChange: (deliveryId: string) => void = () => undefined;

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
    if (outcome.accepted) this.onChange(outcome.deliveryId);
    return outcome;
  }

  async deliveryState(deliveryId: string): Promise<Delivery | null> {
    return this.db.read((em) => loadDelivery(em, deliveryId));
  }

  async addressStatus(address: string): Promise<FailureReason | null> {
    const checked = normalizeAddress(address);
    if (!checked.ok) throw new ContractViolation('address', address, 'not a valid email address');
    const blocked = await this.db.read((em) => blockedReasons(em, [checked.address], undefined));
    return blocked.get(checked.address) ?? null;
  }

  /**
   * Applies a decision the planner takes itself (a job's result, the passing of time) in the
   * caller's transaction; the delivery's trace and correlation continue.
   */
  async applyInternal(
    em: EntityManager,
    deliveryId: string,
    command: (state: Delivery) => PlannerCommand,
  ): Promise<Decision> {
    const state = await loadDelivery(em, deliveryId);
    if (!state) return noSuchDelivery(deliveryId);
    const decision = decide(state, command(state));
    if (!decision.ok || (decision.facts.length === 0 && decision.state === state)) return decision;
    await saveDelivery(em, decision.state);
    await this.eventLog.appendIn(
      em,
      this.envelopes.wrap(decision.facts, {
        correlationId: deliveryId,
        causationId: deliveryId,
        ...(state.traceparent ? { traceparent: state.traceparent } : {}),
      }),
    );
    return decision;
  }

  /** Appends facts a job produced for a delivery (exclusions, planned messages) under its trace. */
  async appendFacts(em: EntityManager, delivery: Delivery, facts: readonly Fact[]): Promise<void> {
    await this.eventLog.appendIn(
      em,
      this.envelopes.wrap(facts, {
        correlationId: delivery.deliveryId,
        causationId: delivery.deliveryId,
        ...(delivery.traceparent ? { traceparent: delivery.traceparent } : {}),
      }),
    );
  }

  private async executeIn(em: EntityManager, incoming: IncomingCommand): Promise<CommandOutcome> {
    const [seen] = (await em.query(sqlFor(em, 'SELECT outcome FROM planner_command WHERE command_id = ?'), [
      incoming.commandId,
    ])) as { outcome: string }[];
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
        const plannerCommand = await this.toPlannerCommand(em, command, state, traceparent);
        const decision = decide(state, plannerCommand);
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
        await saveDelivery(em, decision.state);
        if (decision.inlineRecipients) await storeInline(em, deliveryId, decision.inlineRecipients);
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

  private async toPlannerCommand(
    em: EntityManager,
    command: DeliveryCommand,
    state: Delivery | null,
    traceparent: string | undefined,
  ): Promise<PlannerCommand> {
    const now = new Date();
    switch (command.type) {
      case 'postwave.command.create-delivery.v1':
        return { kind: 'create', data: command.data, now, ...(traceparent ? { traceparent } : {}) };
      case 'postwave.command.update-delivery.v1':
        return { kind: 'update', data: command.data, now };
      case 'postwave.command.schedule-delivery.v1':
        return { kind: 'schedule', data: command.data, now };
      case 'postwave.command.send-proof.v1':
        return {
          kind: 'proof',
          data: command.data,
          now,
          // Stored typologies compile (they are checked when saved); an unknown one proofs as the default.
          typology:
            (await loadCompiledTypology(em, state?.settings.typology ?? DEFAULT_TYPOLOGY.name)) ??
            (await loadCompiledTypology(em, DEFAULT_TYPOLOGY.name))!,
        };
      case 'postwave.command.analyze-delivery.v1':
      case 'postwave.command.confirm-delivery.v1':
        return { kind: COMMAND_KINDS[command.type], deliveryId: command.data.deliveryId, now };
      default:
        return {
          kind: COMMAND_KINDS[command.type],
          deliveryId: command.data.deliveryId,
          now,
          ...(command.data.reason ? { reason: command.data.reason } : {}),
        };
    }
  }

  private async record(
    em: EntityManager,
    incoming: IncomingCommand,
    outcome: CommandOutcome,
    facts: readonly Fact[],
    traceparent = incoming.traceparent,
  ): Promise<CommandOutcome> {
    await em.query(sqlFor(em, 'INSERT INTO planner_command (command_id, outcome) VALUES (?, ?)'), [
      incoming.commandId,
      JSON.stringify(outcome),
    ]);
    const causation: Causation = {
      correlationId: incoming.correlationId ?? incoming.commandId,
      causationId: incoming.commandId,
      ...(traceparent ? { traceparent } : {}),
    };
    await this.eventLog.appendIn(em, this.envelopes.wrap(facts, causation));
    return outcome;
  }
}

async function storeInline(em: EntityManager, deliveryId: string, recipients: readonly InlineRecipient[]) {
  await em.query(sqlFor(em, 'DELETE FROM planner_inline_recipient WHERE delivery_id = ?'), [deliveryId]);
  await insertMany(
    em,
    'planner_inline_recipient',
    ['delivery_id', 'seq', 'address', 'attributes'],
    recipients.map((recipient, index) => [
      deliveryId,
      index,
      recipient.address,
      JSON.stringify(recipient.attributes),
    ]),
  );
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
