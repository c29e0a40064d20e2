import { CreateDelivery, type Fact } from '@postwave/contracts';
import type { AddressStatusLookup } from './analyze-delivery';
import { decide, type Decision } from './delivery.decider';

const now = new Date('2026-03-01T10:00:00.000Z');
const noBlocks: AddressStatusLookup = { blockedReason: () => null };

const createCommand = (overrides: Partial<CreateDelivery> = {}) => ({
  kind: 'create' as const,
  now,
  data: CreateDelivery.parse({
    deliveryId: 'spring-sale',
    content: {
      sender: { address: 'news@shop.example', name: 'Shop' },
      subject: 'Hello {{ firstName }}',
      html: '<p>Hi {{ firstName }}</p>',
    },
    recipients: [
      { address: 'ada@example.com', attributes: { firstName: 'Ada' } },
      { address: 'not-an-address', attributes: { firstName: 'X' } },
      { address: 'ADA@Example.com', attributes: { firstName: 'Ada' } },
      { address: 'grace@example.com', attributes: {} },
      { address: 'quarantined@example.com', attributes: { firstName: 'Q' } },
      { address: null, attributes: { firstName: 'N' } },
    ],
    ...overrides,
  }),
});

const types = (decision: Decision) => (decision.ok ? decision.facts.map((f: Fact) => f.type) : []);
const dataOf = (decision: Decision, type: string) =>
  decision.ok
    ? decision.facts.filter((f) => f.type === type).map((f) => f.data as Record<string, unknown>)
    : [];

describe('delivery decider', () => {
  const addresses: AddressStatusLookup = {
    blockedReason: (address) => (address === 'quarantined@example.com' ? 'Quarantined' : null),
  };

  it('analyzes a new delivery, excluding each bad recipient with its coded reason', () => {
    const decision = decide(null, createCommand(), addresses);
    expect(types(decision)).toEqual([
      'postwave.delivery.created.v1',
      ...Array(5).fill('postwave.message.excluded.v1'),
      'postwave.delivery.analyzed.v1',
    ]);
    expect(
      dataOf(decision, 'postwave.message.excluded.v1').map((d) => [
        d['address'],
        d['reason'],
        d['reasonCode'],
      ]),
    ).toEqual([
      ['not-an-address', 'InvalidSyntax', 201],
      ['ADA@Example.com', 'Double', 10],
      ['grace@example.com', 'PersonalizationError', 203],
      ['quarantined@example.com', 'Quarantined', 9],
      ['', 'AddressNotSpecified', 7],
    ]);
    expect(dataOf(decision, 'postwave.delivery.analyzed.v1')[0]?.['report']).toMatchObject({
      targeted: 6,
      toDeliver: 1,
      excluded: 5,
      blocking: false,
    });
    expect(decision.ok && decision.state.status).toBe('PendingConfirmation');
  });

  it('plans one message per target recipient on confirmation, with the validity end', () => {
    const created = decide(null, createCommand(), addresses);
    if (!created.ok) throw new Error(created.reason);
    const confirmed = decide(created.state, { kind: 'confirm', deliveryId: 'spring-sale', now }, addresses);
    expect(types(confirmed)).toEqual(['postwave.delivery.confirmed.v1', 'postwave.message.planned.v1']);
    expect(dataOf(confirmed, 'postwave.message.planned.v1')[0]).toMatchObject({
      address: 'ada@example.com',
      domain: 'example.com',
      validUntil: '2026-03-06T10:00:00.000Z',
    });
  });

  it('refuses to confirm twice', () => {
    const created = decide(null, createCommand(), noBlocks);
    if (!created.ok) throw new Error(created.reason);
    const confirmed = decide(created.state, { kind: 'confirm', deliveryId: 'spring-sale', now }, noBlocks);
    if (!confirmed.ok) throw new Error(confirmed.reason);
    expect(
      decide(confirmed.state, { kind: 'confirm', deliveryId: 'spring-sale', now }, noBlocks),
    ).toMatchObject({
      ok: false,
      reason: 'delivery is InProgress, not pending confirmation',
    });
  });

  it('blocks confirmation when the analysis found an error', () => {
    const created = decide(
      null,
      createCommand({ content: { sender: { address: 'nobody' }, subject: 'x', text: 'y' } }),
      noBlocks,
    );
    if (!created.ok) throw new Error(created.reason);
    expect(created.state.report.blocking).toBe(true);
    expect(
      decide(created.state, { kind: 'confirm', deliveryId: 'spring-sale', now }, noBlocks),
    ).toMatchObject({
      ok: false,
      reason: 'the analysis has blocking errors: sender-address',
    });
  });

  it('starts at once in automatic approval mode', () => {
    expect(types(decide(null, createCommand({ approvalMode: 'Automatic' }), noBlocks))).toContain(
      'postwave.message.planned.v1',
    );
  });

  it('refuses to create a delivery id twice, naming the field and value', () => {
    const created = decide(null, createCommand(), noBlocks);
    if (!created.ok) throw new Error(created.reason);
    expect(decide(created.state, createCommand(), noBlocks)).toEqual({
      ok: false,
      code: 'conflict',
      reason: 'a delivery with this id already exists',
      field: 'deliveryId',
      value: 'spring-sale',
    });
  });

  it('refuses to confirm an unknown delivery', () => {
    expect(decide(null, { kind: 'confirm', deliveryId: 'nope', now }, noBlocks)).toMatchObject({
      ok: false,
      reason: 'no such delivery',
    });
  });

  describe('pause, resume and stop', () => {
    const started = () => {
      const created = decide(null, createCommand({ approvalMode: 'Automatic' }), noBlocks);
      if (!created.ok) throw new Error(created.reason);
      return created.state;
    };
    const control = (kind: 'pause' | 'resume' | 'stop') => ({ kind, deliveryId: 'spring-sale', now });

    it('pauses a delivery in progress and resumes it', () => {
      const paused = decide(started(), control('pause'), noBlocks);
      expect(types(paused)).toEqual(['postwave.delivery.paused.v1']);
      if (!paused.ok) throw new Error(paused.reason);
      expect(paused.state.status).toBe('Paused');
      const resumed = decide(paused.state, control('resume'), noBlocks);
      expect(resumed.ok && resumed.state.status).toBe('InProgress');
    });

    it('stops a paused delivery for good', () => {
      const paused = decide(started(), control('pause'), noBlocks);
      if (!paused.ok) throw new Error(paused.reason);
      const stopped = decide(paused.state, control('stop'), noBlocks);
      expect(types(stopped)).toEqual(['postwave.delivery.stopped.v1']);
      if (!stopped.ok) throw new Error(stopped.reason);
      expect(decide(stopped.state, control('resume'), noBlocks)).toMatchObject({
        ok: false,
        code: 'conflict',
        reason: 'cannot resume a delivery that is Stopped',
      });
    });

    it('refuses to resume a delivery that is not paused', () => {
      expect(decide(started(), control('resume'), noBlocks)).toMatchObject({
        ok: false,
        reason: 'cannot resume a delivery that is InProgress',
      });
    });
  });
});
