import { FAILURE_REASONS, type CreateDelivery, type Fact } from '@postwave/contracts';
import { analyzeDelivery, type AddressStatusLookup } from './analyze-delivery';
import type { Delivery, DeliveryState, DeliveryStatus } from './delivery-state';

/** Commands as the decider sees them: validated data plus when they happen. */
export type PlannerCommand =
  | {
      readonly kind: 'create';
      readonly data: CreateDelivery;
      readonly now: Date;
      readonly traceparent?: string;
    }
  | { readonly kind: 'confirm'; readonly deliveryId: string; readonly now: Date }
  | {
      readonly kind: 'pause' | 'resume' | 'stop';
      readonly deliveryId: string;
      readonly now: Date;
      readonly reason?: string;
    };

export type Decision =
  | { readonly ok: true; readonly facts: readonly Fact[]; readonly state: Delivery }
  | {
      readonly ok: false;
      /** `not-found`: no such delivery; `conflict`: the delivery's state does not allow the command. */
      readonly code: 'not-found' | 'conflict';
      readonly reason: string;
      readonly field?: string;
      readonly value?: unknown;
    };

const HOUR_MS = 3_600_000;

/** Pure planner logic: given the current state and a command, the facts to record and the next state. */
export function decide(
  state: DeliveryState,
  command: PlannerCommand,
  addresses: AddressStatusLookup,
): Decision {
  switch (command.kind) {
    case 'create':
      return create(state, command, addresses);
    case 'confirm':
      return confirm(state, command.deliveryId, command.now);
    case 'pause':
    case 'resume':
    case 'stop':
      return control(state, command);
  }
}

/** Which states each control command may leave from, the state it leads to and the event it records. */
const CONTROL = {
  pause: { from: ['InProgress'], to: 'Paused', type: 'postwave.delivery.paused.v1' },
  resume: { from: ['Paused'], to: 'InProgress', type: 'postwave.delivery.resumed.v1' },
  stop: {
    from: ['PendingConfirmation', 'InProgress', 'Paused'],
    to: 'Stopped',
    type: 'postwave.delivery.stopped.v1',
  },
} as const satisfies Record<string, { from: readonly DeliveryStatus[]; to: DeliveryStatus; type: string }>;

function control(
  state: DeliveryState,
  command: Extract<PlannerCommand, { kind: 'pause' | 'resume' | 'stop' }>,
): Decision {
  const { deliveryId } = command;
  if (!state)
    return {
      ok: false,
      code: 'not-found',
      reason: 'no such delivery',
      field: 'deliveryId',
      value: deliveryId,
    };
  const rule = CONTROL[command.kind];
  if (!(rule.from as readonly DeliveryStatus[]).includes(state.status)) {
    return {
      ok: false,
      code: 'conflict',
      reason: `cannot ${command.kind} a delivery that is ${state.status}`,
      field: 'deliveryId',
      value: deliveryId,
    };
  }
  const at = command.now.toISOString();
  return {
    ok: true,
    facts: [
      {
        type: rule.type,
        subject: deliveryId,
        data: { deliveryId, at, ...(command.reason ? { reason: command.reason } : {}) },
      },
    ],
    state: { ...state, status: rule.to },
  };
}

function create(
  state: DeliveryState,
  command: Extract<PlannerCommand, { kind: 'create' }>,
  addresses: AddressStatusLookup,
): Decision {
  const { data, now } = command;
  if (state)
    return {
      ok: false,
      code: 'conflict',
      reason: 'a delivery with this id already exists',
      field: 'deliveryId',
      value: data.deliveryId,
    };
  const analysis = analyzeDelivery(data.deliveryId, data.content, data.recipients, addresses);
  const at = now.toISOString();
  const delivery: Delivery = {
    deliveryId: data.deliveryId,
    status: 'PendingConfirmation',
    ...(data.label !== undefined ? { label: data.label } : {}),
    content: data.content,
    validityHours: data.validityHours,
    approvalMode: data.approvalMode,
    report: analysis.report,
    target: analysis.target,
    createdAt: at,
    ...(command.traceparent ? { traceparent: command.traceparent } : {}),
  };
  const facts: Fact[] = [
    {
      type: 'postwave.delivery.created.v1',
      subject: data.deliveryId,
      data: {
        deliveryId: data.deliveryId,
        ...(data.label !== undefined ? { label: data.label } : {}),
        content: data.content,
        validityHours: data.validityHours,
        approvalMode: data.approvalMode,
        createdAt: at,
      },
    },
    ...analysis.exclusions.map((exclusion): Fact => ({
      type: 'postwave.message.excluded.v1',
      subject: exclusion.messageId,
      data: {
        messageId: exclusion.messageId,
        deliveryId: data.deliveryId,
        address: exclusion.address,
        failureType: FAILURE_REASONS[exclusion.reason].usualType,
        reason: exclusion.reason,
        reasonCode: FAILURE_REASONS[exclusion.reason].code,
        ...(exclusion.detail ? { detail: exclusion.detail } : {}),
      },
    })),
    {
      type: 'postwave.delivery.analyzed.v1',
      subject: data.deliveryId,
      data: { deliveryId: data.deliveryId, report: analysis.report, analyzedAt: at },
    },
  ];
  const autoStart =
    !analysis.report.blocking &&
    (data.approvalMode === 'Automatic' ||
      (data.approvalMode === 'SemiAutomatic' &&
        !analysis.report.findings.some((f) => f.level === 'warning')));
  if (!autoStart) return { ok: true, facts, state: delivery };
  const started = confirm(delivery, data.deliveryId, now);
  return started.ok ? { ok: true, facts: [...facts, ...started.facts], state: started.state } : started;
}

function confirm(state: DeliveryState, deliveryId: string, now: Date): Decision {
  if (!state)
    return {
      ok: false,
      code: 'not-found',
      reason: 'no such delivery',
      field: 'deliveryId',
      value: deliveryId,
    };
  if (state.status !== 'PendingConfirmation') {
    return {
      ok: false,
      code: 'conflict',
      reason: `delivery is ${state.status}, not pending confirmation`,
      field: 'deliveryId',
      value: deliveryId,
    };
  }
  if (state.report.blocking) {
    const errors = state.report.findings.filter((f) => f.level === 'error').map((f) => f.rule);
    return {
      ok: false,
      code: 'conflict',
      reason: `the analysis has blocking errors: ${errors.join(', ')}`,
      field: 'deliveryId',
      value: deliveryId,
    };
  }
  const confirmedAt = now.toISOString();
  const validUntil = new Date(now.getTime() + state.validityHours * HOUR_MS).toISOString();
  const facts: Fact[] = [
    {
      type: 'postwave.delivery.confirmed.v1',
      subject: deliveryId,
      data: { deliveryId, confirmedAt, validUntil, messageCount: state.target.length },
    },
    ...state.target.map((recipient): Fact => ({
      type: 'postwave.message.planned.v1',
      subject: recipient.messageId,
      data: {
        messageId: recipient.messageId,
        deliveryId,
        address: recipient.address,
        domain: recipient.domain,
        attributes: recipient.attributes,
        validUntil,
      },
    })),
  ];
  return { ok: true, facts, state: { ...state, status: 'InProgress', confirmedAt, validUntil } };
}
