import { deliveryKpis, shiftCounts, ZERO_COUNTS, type StatusCounts } from './delivery-kpis';
import { evolveMessageLog, projectMessageEvents, type MessageLog } from './message-log.projection';

type MessageEvent = Parameters<typeof evolveMessageLog>[1];
const ids = { messageId: 'm1', deliveryId: 'd1' };
const at = '2026-03-01T10:00:00.000Z';

const planned: MessageEvent = {
  type: 'postwave.message.planned.v1',
  data: { ...ids, address: 'ada@example.com', domain: 'example.com', attributes: {}, validUntil: at },
};
const taken: MessageEvent = {
  type: 'postwave.message.taken-into-account.v1',
  data: { ...ids, mta: 'mta-1', at },
};
const softBounce: MessageEvent = {
  type: 'postwave.message.deferred.v1',
  data: {
    ...ids,
    attempt: 1,
    reply: '452 4.2.2 Mailbox full',
    failureType: 'Soft',
    reason: 'MailboxFull',
    reasonCode: 5,
    rule: 'x',
    nextAttemptAt: at,
  },
};
const sent: MessageEvent = {
  type: 'postwave.message.sent.v1',
  data: { ...ids, attempt: 2, reply: '250 2.0.0 OK', mxHost: 'mx', at },
};
const hardFail: MessageEvent = {
  type: 'postwave.message.failed.v1',
  data: {
    ...ids,
    attempt: 1,
    reply: '550 5.1.1 unknown',
    failureType: 'Hard',
    reason: 'UserUnknown',
    reasonCode: 1,
    rule: 'x',
    expired: false,
    at,
  },
};
const asyncBounce = (failureType: 'Hard' | 'Soft'): MessageEvent => ({
  type: 'postwave.message.bounced.v1',
  data: {
    ...ids,
    address: 'ada@example.com',
    kind: 'dsn',
    diagnostic: 'smtp; 550 5.1.1',
    failureType,
    reason: 'UserUnknown',
    reasonCode: 1,
    rule: 'x',
    at,
  },
});

function project(events: readonly MessageEvent[]): { log: MessageLog | null; counts: StatusCounts } {
  let log: MessageLog | null = null;
  let counts = ZERO_COUNTS;
  for (const event of events) {
    const next = evolveMessageLog(log, event, at);
    counts = shiftCounts(counts, log?.status ?? null, next.status);
    log = next;
  }
  return { log, counts };
}

describe('delivery log status (Email Feedback Service semantics)', () => {
  it('shows "taken into account" after relaying, and success stays at 0%', () => {
    const { log, counts } = project([planned, taken]);
    expect(log?.status).toBe('TakenIntoAccount');
    expect(deliveryKpis(counts)).toMatchObject({ success: 0, successRate: 0, toDeliver: 1, processed: 0 });
  });

  it('keeps the status on a soft bounce and only updates the reason', () => {
    const { log } = project([planned, taken, softBounce]);
    expect(log).toMatchObject({
      status: 'TakenIntoAccount',
      failureType: 'Soft',
      reason: 'MailboxFull',
      reasonCode: 5,
    });
  });

  it('becomes Sent when a retry succeeds, raising success and clearing the soft reason', () => {
    const { log, counts } = project([planned, taken, softBounce, sent]);
    expect(log).toMatchObject({ status: 'Sent', reason: null, attempts: 2 });
    expect(deliveryKpis(counts)).toMatchObject({ success: 1, successRate: 100, processed: 1 });
  });

  it('becomes Failed on a hard bounce without touching success', () => {
    const { log, counts } = project([planned, taken, hardFail]);
    expect(log).toMatchObject({ status: 'Failed', failureType: 'Hard', reason: 'UserUnknown' });
    expect(deliveryKpis(counts)).toMatchObject({ success: 0, errors: 1, processed: 1 });
  });

  it('never downgrades a final status on late or duplicate feedback', () => {
    expect(project([planned, taken, sent, taken, softBounce]).log?.status).toBe('Sent');
    expect(project([planned, taken, hardFail, sent]).log?.status).toBe('Failed');
  });

  it('turns Sent into Failed on a late asynchronous hard bounce, and only then', () => {
    const { log, counts } = project([planned, taken, sent, asyncBounce('Hard')]);
    expect(log).toMatchObject({ status: 'Failed', reason: 'UserUnknown' });
    expect(deliveryKpis(counts)).toMatchObject({ success: 0, errors: 1 });
    expect(project([planned, taken, sent, asyncBounce('Soft')]).log?.status).toBe('Sent');
  });

  it('counts excluded recipients as ignored, outside "to deliver"', () => {
    const excluded: MessageEvent = {
      type: 'postwave.message.excluded.v1',
      data: {
        messageId: 'm2',
        deliveryId: 'd1',
        address: 'x',
        failureType: 'Hard',
        reason: 'InvalidSyntax',
        reasonCode: 201,
      },
    };
    const { log, counts } = project([excluded]);
    expect(log).toMatchObject({ status: 'Ignored', reason: 'InvalidSyntax' });
    expect(deliveryKpis(counts)).toMatchObject({ ignored: 1, toDeliver: 0 });
  });

  it('converges when feedback arrives before the planned event', () => {
    expect(project([sent, planned]).log).toMatchObject({ status: 'Sent', address: 'ada@example.com' });
  });
});

describe('projectMessageEvents', () => {
  const timed = (event: MessageEvent) => ({ ...event, time: at });
  const excludedBy = (analysisRun: number): MessageEvent => ({
    type: 'postwave.message.excluded.v1',
    data: {
      ...ids,
      address: 'ada@example.com',
      failureType: 'Hard',
      reason: 'InvalidSyntax',
      reasonCode: 201,
      analysisRun,
    },
  });

  it('moves a new message through the counts once, to its last status', () => {
    const { changed, moves } = projectMessageEvents(new Map(), [planned, taken, sent].map(timed), new Map());

    expect(changed).toEqual([expect.objectContaining({ messageId: 'm1', status: 'Sent', proof: null })]);
    expect(moves.get('d1')).toEqual({ ...ZERO_COUNTS, Sent: 1 });
  });

  it('moves a known message out of its stored status', () => {
    const stored = { ...evolveMessageLog(null, planned, at), proof: null, analysisRun: null };

    const { moves } = projectMessageEvents(new Map([['m1', stored]]), [timed(taken)], new Map());

    expect(moves.get('d1')).toEqual({ ...ZERO_COUNTS, Pending: -1, TakenIntoAccount: 1 });
  });

  it('keeps a proof in the log but out of the counts', () => {
    const proofPlanned = { ...planned, data: { ...planned.data, proof: 1 } } as MessageEvent;

    const { changed, moves } = projectMessageEvents(new Map(), [timed(proofPlanned), timed(sent)], new Map());

    expect(changed).toEqual([expect.objectContaining({ status: 'Sent', proof: 1 })]);
    expect(moves.size).toBe(0);
  });

  it("ignores an exclusion by an analysis run older than the delivery's latest, and an event that changes nothing", () => {
    const runs = new Map([['d1', 2]]);

    expect(projectMessageEvents(new Map(), [timed(excludedBy(1))], runs)).toEqual({
      changed: [],
      moves: new Map(),
    });
    const { changed } = projectMessageEvents(new Map(), [timed(excludedBy(2))], runs);
    expect(changed).toEqual([expect.objectContaining({ status: 'Ignored', analysisRun: 2 })]);
    const stored = changed[0]!;
    expect(projectMessageEvents(new Map([['m1', stored]]), [timed(planned)], runs).changed).toEqual([]);
  });
});
