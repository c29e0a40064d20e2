import { CompiledContent, SAMPLE_RESERVED, withReserved } from '@postwave/content';
import {
  FAILURE_REASONS,
  normalizeAddress,
  type AnalysisReport,
  type CreateDelivery,
  type Fact,
  type InlineRecipient,
  type ScheduleDelivery,
  type SendProof,
  type UpdateDelivery,
} from '@postwave/contracts';
import { resolveContactDate } from './contact-date';
import {
  EDITABLE,
  TERMINAL,
  type Delivery,
  type DeliverySettingsState,
  type DeliveryState,
  type DeliveryStatus,
  type TargetDefinition,
} from './delivery-state';
import { compileExpression } from './expression';
import { proofMessageIdFor } from './message-id';
import { proofFindings, type CompiledTypology } from './typology-checks';

/** Commands as the decider sees them: validated data plus when they happen. */
export type PlannerCommand =
  | {
      readonly kind: 'create';
      readonly data: CreateDelivery;
      readonly now: Date;
      readonly traceparent?: string;
    }
  | { readonly kind: 'update'; readonly data: UpdateDelivery; readonly now: Date }
  | { readonly kind: 'analyze'; readonly deliveryId: string; readonly now: Date }
  | { readonly kind: 'schedule'; readonly data: ScheduleDelivery; readonly now: Date }
  | { readonly kind: 'confirm'; readonly deliveryId: string; readonly now: Date }
  | {
      readonly kind: 'proof';
      readonly data: SendProof;
      readonly now: Date;
      /** The delivery's typology, for the proof size check. */
      readonly typology: CompiledTypology;
    }
  | {
      readonly kind: 'pause' | 'resume' | 'stop';
      readonly deliveryId: string;
      readonly now: Date;
      readonly reason?: string;
    }
  /** The analysis job finished run `run` with this report. */
  | {
      readonly kind: 'analysis-completed';
      readonly deliveryId: string;
      readonly run: number;
      readonly report: AnalysisReport;
      readonly now: Date;
    }
  /** The analysis job could not run at all (e.g. its audience is gone). */
  | {
      readonly kind: 'analysis-failed';
      readonly deliveryId: string;
      readonly run: number;
      readonly reason: string;
      readonly now: Date;
    }
  /** Every planned message of the delivery is on the log. */
  | { readonly kind: 'emission-completed'; readonly deliveryId: string; readonly now: Date }
  /** Time passes: contact dates arrive, validity periods end. */
  | { readonly kind: 'tick'; readonly deliveryId: string; readonly now: Date };

export type Rejection = {
  readonly ok: false;
  /** `not-found`: no such delivery; `conflict`: the state does not allow it; `invalid`: bad data. */
  readonly code: 'not-found' | 'conflict' | 'invalid';
  readonly reason: string;
  readonly field?: string;
  readonly value?: unknown;
};

export type Decision =
  | {
      readonly ok: true;
      readonly facts: readonly Fact[];
      readonly state: Delivery;
      /** Inline recipients to store as the delivery's target (create, or an edit of the target). */
      readonly inlineRecipients?: readonly InlineRecipient[];
    }
  | Rejection;

const HOUR_MS = 3_600_000;

/** The answer to any command about a delivery that does not exist. */
export const noSuchDelivery = (deliveryId: string): Rejection => ({
  ok: false,
  code: 'not-found',
  reason: 'no such delivery',
  field: 'deliveryId',
  value: deliveryId,
});

/** Pure planner logic: given the current state and a command, the facts to record and the next state. */
export function decide(state: DeliveryState, command: PlannerCommand): Decision {
  if (command.kind === 'create') return create(state, command);
  const deliveryId =
    command.kind === 'update' || command.kind === 'schedule' || command.kind === 'proof'
      ? command.data.deliveryId
      : command.deliveryId;
  if (!state) return noSuchDelivery(deliveryId);
  switch (command.kind) {
    case 'update':
      return update(state, command.data, command.now);
    case 'analyze':
      return guard(state, [...EDITABLE], 'analyze') ?? startAnalysis(state, command.now, []);
    case 'schedule':
      return schedule(state, command.data, command.now);
    case 'confirm':
      return confirm(state, command.now);
    case 'proof':
      return proof(state, command);
    case 'pause':
    case 'resume':
    case 'stop':
      return control(state, command);
    case 'analysis-completed':
      return analysisCompleted(state, command);
    case 'analysis-failed':
      if (state.status !== 'Analysis' || command.run !== state.analysisRun) return unchanged(state);
      return failed(state, command.reason, command.now, []);
    case 'emission-completed':
      return emissionCompleted(state, command.now);
    case 'tick':
      return tick(state, command.now);
  }
}

function reject(
  state: Delivery,
  reason: string,
  code: Rejection['code'] = 'conflict',
  field = 'deliveryId',
  value: unknown = state.deliveryId,
): Rejection {
  return { ok: false, code, reason, field, value };
}

function guard(state: Delivery, allowed: readonly DeliveryStatus[], action: string): Rejection | null {
  return allowed.includes(state.status)
    ? null
    : reject(state, `cannot ${action} a delivery that is ${state.status}`);
}

const unchanged = (state: Delivery): Decision => ({ ok: true, facts: [], state });

function targetDefinition(target: CreateDelivery['target']): TargetDefinition {
  return {
    ...(target.audience !== undefined ? { audience: target.audience } : {}),
    ...(target.recipients !== undefined ? { inlineRecipients: target.recipients.length } : {}),
    ...(target.filter !== undefined ? { filter: target.filter } : {}),
    ...(target.limit !== undefined ? { limit: target.limit } : {}),
    ...(target.controlGroup !== undefined ? { controlGroup: target.controlGroup } : {}),
  };
}

/** The settings as events carry them (no inline recipients: those stay in the planner). */
function settingsData(deliveryId: string, settings: DeliverySettingsState) {
  return {
    deliveryId,
    ...(settings.label !== undefined ? { label: settings.label } : {}),
    content: settings.content,
    validityHours: settings.validityHours,
    approvalMode: settings.approvalMode,
    target: settings.target,
    typology: settings.typology,
    ...(settings.schedule ? { schedule: settings.schedule } : {}),
    ...(settings.waves ? { waves: settings.waves } : {}),
  };
}

function resolveSchedule(
  deliveryId: string,
  schedule: DeliverySettingsState['schedule'],
  fieldPrefix: string,
): { ok: true; contactAt?: string } | Rejection {
  if (!schedule) return { ok: true };
  const resolved = resolveContactDate(schedule.contactDate, schedule.timeZone);
  if (!resolved.ok)
    return {
      ok: false,
      code: 'invalid',
      reason: resolved.error,
      field: `${fieldPrefix}${resolved.field}`,
      value: resolved.value,
    };
  void deliveryId;
  return { ok: true, contactAt: resolved.at.toISOString() };
}

/** A target filter that does not compile is refused with the command, not found at analysis. */
function checkFilter(filter: string | undefined, field: string): Rejection | null {
  if (filter === undefined) return null;
  const compiled = compileExpression(filter);
  return compiled.ok ? null : { ok: false, code: 'invalid', reason: compiled.error, field, value: filter };
}

function create(state: DeliveryState, command: Extract<PlannerCommand, { kind: 'create' }>): Decision {
  const { data, now } = command;
  if (state)
    return {
      ok: false,
      code: 'conflict',
      reason: 'a delivery with this id already exists',
      field: 'deliveryId',
      value: data.deliveryId,
    };
  const badFilter = checkFilter(data.target.filter, 'target.filter');
  if (badFilter) return badFilter;
  const scheduled = resolveSchedule(data.deliveryId, data.schedule, 'schedule.');
  if (!scheduled.ok) return scheduled;
  const settings: DeliverySettingsState = {
    ...(data.label !== undefined ? { label: data.label } : {}),
    content: data.content,
    target: targetDefinition(data.target),
    typology: data.typology,
    validityHours: data.validityHours,
    approvalMode: data.approvalMode,
    ...(data.schedule ? { schedule: data.schedule } : {}),
    ...(data.waves ? { waves: data.waves } : {}),
  };
  const at = now.toISOString();
  const delivery: Delivery = {
    deliveryId: data.deliveryId,
    status: 'BeingEdited',
    settings,
    ...(scheduled.contactAt ? { contactAt: scheduled.contactAt } : {}),
    analysisRun: 0,
    createdAt: at,
    proofs: 0,
    ...(command.traceparent ? { traceparent: command.traceparent } : {}),
  };
  const facts: Fact[] = [
    {
      type: 'postwave.delivery.created.v1',
      subject: data.deliveryId,
      data: { ...settingsData(data.deliveryId, settings), createdAt: at },
    },
    ...scheduledFacts(delivery, at),
  ];
  const inline = data.target.recipients ? { inlineRecipients: data.target.recipients } : {};
  if (data.draft) return { ok: true, facts, state: delivery, ...inline };
  const next = afterPreparation(delivery, now, facts);
  return next.ok ? { ...next, ...inline } : next;
}

function scheduledFacts(delivery: Delivery, at: string): Fact[] {
  const schedule = delivery.settings.schedule;
  if (!schedule || !delivery.contactAt) return [];
  return [
    {
      type: 'postwave.delivery.scheduled.v1',
      subject: delivery.deliveryId,
      data: {
        deliveryId: delivery.deliveryId,
        contactDate: delivery.contactAt,
        timeZone: schedule.timeZone,
        mode: schedule.mode,
        at,
      },
    },
  ];
}

/** After an edit or a schedule: wait for the contact date ("Targeting pending") or analyse now. */
function afterPreparation(delivery: Delivery, now: Date, facts: Fact[]): Decision {
  const waitForDate =
    delivery.settings.schedule?.mode === 'analyze-at-date' &&
    delivery.contactAt !== undefined &&
    Date.parse(delivery.contactAt) > now.getTime();
  if (waitForDate) {
    // The analysis to come replaces whatever an earlier one found.
    const { report: _void, failureReason: _reason, ...waiting } = delivery;
    return { ok: true, facts, state: { ...waiting, status: 'TargetingPending' } };
  }
  return startAnalysis(delivery, now, facts);
}

function startAnalysis(delivery: Delivery, now: Date, facts: readonly Fact[]): Decision {
  const { report: _void, failureReason: _reason, ...rest } = delivery;
  const run = delivery.analysisRun + 1;
  return {
    ok: true,
    facts: [
      ...facts,
      {
        type: 'postwave.delivery.analysis-started.v1',
        subject: delivery.deliveryId,
        data: { deliveryId: delivery.deliveryId, at: now.toISOString(), run },
      },
    ],
    state: { ...rest, status: 'Analysis', analysisRun: run },
  };
}

function update(state: Delivery, data: UpdateDelivery, now: Date): Decision {
  const rejected = guard(state, EDITABLE, 'edit');
  if (rejected) return rejected;
  const { changes } = data;
  const badFilter = checkFilter(changes.target?.filter, 'changes.target.filter');
  if (badFilter) return badFilter;
  const settings: DeliverySettingsState = {
    ...state.settings,
    ...(changes.label !== undefined ? { label: changes.label } : {}),
    ...(changes.content !== undefined ? { content: changes.content } : {}),
    ...(changes.target !== undefined ? { target: targetDefinition(changes.target) } : {}),
    ...(changes.typology !== undefined ? { typology: changes.typology } : {}),
    ...(changes.validityHours !== undefined ? { validityHours: changes.validityHours } : {}),
    ...(changes.approvalMode !== undefined ? { approvalMode: changes.approvalMode } : {}),
    ...(changes.schedule !== undefined ? { schedule: changes.schedule } : {}),
    ...(changes.waves !== undefined ? { waves: changes.waves } : {}),
  };
  const scheduled = resolveSchedule(state.deliveryId, settings.schedule, 'changes.schedule.');
  if (!scheduled.ok) return scheduled;
  const { report: _void, failureReason: _reason, contactAt: _at, ...rest } = state;
  const at = now.toISOString();
  return {
    ok: true,
    facts: [
      {
        type: 'postwave.delivery.updated.v1',
        subject: state.deliveryId,
        data: { ...settingsData(state.deliveryId, settings), updatedAt: at },
      },
    ],
    state: {
      ...rest,
      status: 'BeingEdited',
      settings,
      ...(scheduled.contactAt ? { contactAt: scheduled.contactAt } : {}),
    },
    ...(changes.target?.recipients ? { inlineRecipients: changes.target.recipients } : {}),
  };
}

function schedule(state: Delivery, data: ScheduleDelivery, now: Date): Decision {
  const rejected = guard(state, EDITABLE, 'schedule');
  if (rejected) return rejected;
  const { deliveryId: _id, ...scheduleData } = data;
  const scheduled = resolveSchedule(state.deliveryId, scheduleData, '');
  if (!scheduled.ok) return scheduled;
  const delivery: Delivery = {
    ...state,
    settings: { ...state.settings, schedule: scheduleData },
    ...(scheduled.contactAt ? { contactAt: scheduled.contactAt } : {}),
  };
  // The contact date is fixed by the analysis: a new date means a new analysis (now or on the date).
  return afterPreparation(delivery, now, scheduledFacts(delivery, now.toISOString()));
}

function analysisCompleted(
  state: Delivery,
  command: Extract<PlannerCommand, { kind: 'analysis-completed' }>,
): Decision {
  // A result for an older run, or for a delivery edited or stopped meanwhile, is dropped.
  if (state.status !== 'Analysis' || command.run !== state.analysisRun) return unchanged(state);
  const at = command.now.toISOString();
  const facts: Fact[] = [
    {
      type: 'postwave.delivery.analyzed.v1',
      subject: state.deliveryId,
      data: { deliveryId: state.deliveryId, report: command.report, analyzedAt: at, run: command.run },
    },
  ];
  const analysed: Delivery = { ...state, report: command.report };
  if (command.report.blocking) {
    const errors = command.report.findings.filter((f) => f.level === 'error').map((f) => f.rule);
    return failed(analysed, `the analysis has blocking errors: ${errors.join(', ')}`, command.now, facts);
  }
  const pending: Delivery = { ...analysed, status: 'PendingConfirmation' };
  const { approvalMode } = state.settings;
  const autoStart =
    approvalMode === 'Automatic' ||
    (approvalMode === 'SemiAutomatic' && !command.report.findings.some((f) => f.level === 'warning'));
  if (!autoStart) return { ok: true, facts, state: pending };
  const started = confirm(pending, command.now);
  return started.ok ? { ...started, facts: [...facts, ...started.facts] } : started;
}

function failed(state: Delivery, reason: string, now: Date, facts: readonly Fact[]): Decision {
  return {
    ok: true,
    facts: [
      ...facts,
      {
        type: 'postwave.delivery.failed.v1',
        subject: state.deliveryId,
        data: { deliveryId: state.deliveryId, at: now.toISOString(), reason },
      },
    ],
    state: { ...state, status: 'Failed', failureReason: reason },
  };
}

function confirm(state: Delivery, now: Date): Decision {
  if (state.status === 'Failed' && state.failureReason)
    return reject(state, `delivery is Failed: ${state.failureReason}`);
  if (state.status !== 'PendingConfirmation' || !state.report)
    return reject(state, `delivery is ${state.status}, not pending confirmation`);
  const confirmedAt = now.toISOString();
  const contactAt = state.contactAt ? Date.parse(state.contactAt) : 0;
  const start = new Date(Math.max(now.getTime(), contactAt));
  const validUntil = new Date(start.getTime() + state.settings.validityHours * HOUR_MS).toISOString();
  const startAt = start.toISOString();
  const messageCount = state.report.toDeliver;
  return {
    ok: true,
    facts: [
      {
        type: 'postwave.delivery.confirmed.v1',
        subject: state.deliveryId,
        data: { deliveryId: state.deliveryId, confirmedAt, validUntil, messageCount, startAt },
      },
    ],
    state: { ...state, status: 'StartPending', confirmedAt, startAt, validUntil, messageCount },
  };
}

function emissionCompleted(state: Delivery, now: Date): Decision {
  if (state.status !== 'StartPending') return unchanged(state);
  const due = Date.parse(state.startAt ?? '') <= now.getTime();
  return due ? started(state, now) : { ok: true, facts: [], state: { ...state, status: 'Pending' } };
}

function started(state: Delivery, now: Date): Decision {
  return {
    ok: true,
    facts: [
      {
        type: 'postwave.delivery.started.v1',
        subject: state.deliveryId,
        data: { deliveryId: state.deliveryId, at: now.toISOString(), messageCount: state.messageCount ?? 0 },
      },
    ],
    state: { ...state, status: 'InProgress' },
  };
}

function tick(state: Delivery, now: Date): Decision {
  const at = now.getTime();
  if (state.status === 'TargetingPending' && state.contactAt && Date.parse(state.contactAt) <= at)
    return startAnalysis(state, now, []);
  if (state.status === 'Pending' && state.startAt && Date.parse(state.startAt) <= at)
    return started(state, now);
  const expired = state.validUntil !== undefined && Date.parse(state.validUntil) <= at;
  if (expired && (state.status === 'InProgress' || state.status === 'Paused' || state.status === 'Pending'))
    return {
      ok: true,
      facts: [
        {
          type: 'postwave.delivery.finished.v1',
          subject: state.deliveryId,
          data: { deliveryId: state.deliveryId, at: now.toISOString() },
        },
      ],
      state: { ...state, status: 'Finished' },
    };
  return unchanged(state);
}

/** Which states each control command may leave from and the event it records. */
const CONTROL = {
  pause: { from: ['Pending', 'InProgress'], type: 'postwave.delivery.paused.v1' },
  resume: { from: ['Paused'], type: 'postwave.delivery.resumed.v1' },
  stop: {
    from: [
      'BeingEdited',
      'TargetingPending',
      'Analysis',
      'PendingConfirmation',
      'Failed',
      'Pending',
      'StartPending',
      'InProgress',
      'Paused',
    ],
    type: 'postwave.delivery.stopped.v1',
  },
} as const satisfies Record<string, { from: readonly DeliveryStatus[]; type: string }>;

function control(
  state: Delivery,
  command: Extract<PlannerCommand, { kind: 'pause' | 'resume' | 'stop' }>,
): Decision {
  const rule = CONTROL[command.kind];
  const rejected = guard(state, rule.from, command.kind);
  if (rejected) return rejected;
  const next: Delivery =
    command.kind === 'pause'
      ? { ...state, status: 'Paused', resumeTo: state.status as 'Pending' | 'InProgress' }
      : command.kind === 'resume'
        ? { ...state, status: state.resumeTo ?? 'InProgress' }
        : { ...state, status: 'Stopped' };
  return {
    ok: true,
    facts: [
      {
        type: rule.type,
        subject: state.deliveryId,
        data: {
          deliveryId: state.deliveryId,
          at: command.now.toISOString(),
          ...(command.reason ? { reason: command.reason } : {}),
        },
      },
    ],
    state: next,
  };
}

/**
 * Proofs (Campaign §2.4): the current content to a few addresses, subject prefixed "Proof #n".
 * Proofs keep doubles and blocked addresses, never count in the KPIs, and refuse more than the
 * proof size check allows.
 */
function proof(state: Delivery, command: Extract<PlannerCommand, { kind: 'proof' }>): Decision {
  if (TERMINAL.includes(state.status))
    return reject(state, `cannot send a proof of a delivery that is ${state.status}`);
  const { data, now } = command;
  const blocking = proofFindings(command.typology, data.recipients.length).filter((f) => f.level === 'error');
  if (blocking.length)
    return reject(
      state,
      blocking.map((f) => f.message).join('; '),
      'invalid',
      'recipients',
      data.recipients.length,
    );
  const compiled = CompiledContent.compile(state.settings.content);
  if (!compiled.ok)
    return reject(
      state,
      `the content does not compile: ${compiled.part}: ${compiled.error}`,
      'invalid',
      'content',
      compiled.part,
    );
  const proofNumber = state.proofs + 1;
  const validUntil = new Date(
    now.getTime() + Math.min(state.settings.validityHours, 24) * HOUR_MS,
  ).toISOString();
  const subjectPrefix = `${(data.subjectPrefix ?? 'Proof #').replace('#', `#${proofNumber}`)} `;
  const planned: Fact[] = [];
  for (const [index, recipient] of data.recipients.entries()) {
    const checked = normalizeAddress(recipient.address);
    if (!checked.ok)
      return reject(
        state,
        'not a valid email address',
        'invalid',
        `recipients[${index}].address`,
        recipient.address,
      );
    const rendered = compiled.compiled.render(withReserved(recipient.attributes, SAMPLE_RESERVED));
    if (!rendered.ok)
      return reject(
        state,
        `personalization failed in ${rendered.part}: ${rendered.error}`,
        'invalid',
        `recipients[${index}].attributes`,
        recipient.attributes,
      );
    const messageId = proofMessageIdFor(state.deliveryId, proofNumber, index);
    planned.push({
      type: 'postwave.message.planned.v1',
      subject: messageId,
      data: {
        messageId,
        deliveryId: state.deliveryId,
        address: checked.address,
        domain: checked.domain,
        attributes: recipient.attributes,
        validUntil,
        proof: proofNumber,
        subjectPrefix,
      },
    });
  }
  return {
    ok: true,
    facts: [
      {
        type: 'postwave.delivery.proof-sent.v1',
        subject: state.deliveryId,
        data: {
          deliveryId: state.deliveryId,
          proofNumber,
          recipients: planned.length,
          at: now.toISOString(),
        },
      },
      ...planned,
    ],
    state: { ...state, proofs: proofNumber },
  };
}

export const exclusionType = (reason: keyof typeof FAILURE_REASONS) => FAILURE_REASONS[reason].usualType;
