import { decideAfterAttempt, expiredInQueue, type AttemptContext, type Qualified } from './attempt-outcome';
import { retryDelayMs } from './retry-policy';
import { parseRouteTable, staticRoute } from './routing';

const now = new Date('2026-03-01T10:00:00.000Z');
const ctx: AttemptContext = {
  messageId: 'm1',
  deliveryId: 'd1',
  attempt: 1,
  now,
  validUntil: new Date('2026-03-06T10:00:00.000Z'),
  policy: { firstDelayMs: 60_000, factor: 2, maxDelayMs: 3_600_000, jitter: 0 },
};
const soft: Qualified = { type: 'Soft', reason: 'MailboxFull', reasonCode: 5, rule: 'mailbox-full' };
const hard: Qualified = { type: 'Hard', reason: 'UserUnknown', reasonCode: 1, rule: 'bad-mailbox' };

describe('after a delivery attempt', () => {
  it('records Sent with the receiving host on a 250', () => {
    const decision = decideAfterAttempt(
      { kind: 'accepted', reply: '250 2.0.0 OK', mxHost: 'mx.example' },
      ctx,
    );
    expect(decision.kind).toBe('sent');
    expect(decision.facts[0]).toMatchObject({
      type: 'postwave.message.sent.v1',
      data: { mxHost: 'mx.example', attempt: 1 },
    });
  });

  it('fails at once on a hard bounce', () => {
    const decision = decideAfterAttempt(
      { kind: 'rejected', reply: '550 5.1.1 unknown', permanent: true, qualification: hard },
      ctx,
    );
    expect(decision.kind).toBe('failed');
    expect(decision.facts[0]).toMatchObject({
      type: 'postwave.message.failed.v1',
      data: { reason: 'UserUnknown', expired: false },
    });
  });

  it('defers a soft bounce to the next slot of the retry schedule', () => {
    const decision = decideAfterAttempt(
      { kind: 'rejected', reply: '452 4.2.2 full', permanent: false, qualification: soft },
      { ...ctx, attempt: 3 },
    );
    expect(decision).toMatchObject({ kind: 'retry', at: new Date('2026-03-01T10:04:00.000Z') });
    expect(decision.facts[0]).toMatchObject({
      type: 'postwave.message.deferred.v1',
      data: { reason: 'MailboxFull' },
    });
  });

  it('fails as expired when the next attempt would fall after the validity end', () => {
    const decision = decideAfterAttempt(
      { kind: 'rejected', reply: '452 4.2.2 full', permanent: false, qualification: soft },
      { ...ctx, validUntil: new Date(now.getTime() + 30_000) },
    );
    expect(decision.kind).toBe('failed');
    expect(decision.facts[0]).toMatchObject({ data: { reason: 'MailboxFull', expired: true } });
  });

  it('fails an unqualified permanent reply as "not defined" instead of retrying it', () => {
    const notDefined: Qualified = {
      type: 'NotDefined',
      reason: 'NotDefined',
      reasonCode: 0,
      rule: 'unmatched',
    };
    expect(
      decideAfterAttempt(
        { kind: 'rejected', reply: '554 odd', permanent: true, qualification: notDefined },
        ctx,
      ).kind,
    ).toBe('failed');
    expect(
      decideAfterAttempt(
        { kind: 'rejected', reply: '451 odd', permanent: false, qualification: notDefined },
        ctx,
      ).kind,
    ).toBe('retry');
  });

  it('reports a message that expired in the queue with the expiry reason', () => {
    expect(expiredInQueue({ messageId: 'm1', deliveryId: 'd1', attempt: 2, now }, '421 busy')).toMatchObject({
      data: { reason: 'Expired', reasonCode: 204, expired: true, reply: '421 busy' },
    });
  });
});

describe('retry schedule', () => {
  it('grows exponentially up to the cap and randomizes within the jitter share', () => {
    const policy = { firstDelayMs: 1000, factor: 2, maxDelayMs: 5000, jitter: 0.5 };
    expect([1, 2, 3, 4, 5].map((attempt) => retryDelayMs(policy, attempt, () => 0))).toEqual([
      1000, 2000, 4000, 5000, 5000,
    ]);
    expect(retryDelayMs(policy, 2, () => 1)).toBe(1000);
  });
});

describe('static routes', () => {
  const table = parseRouteTable('example.test=127.0.0.1:2525; *.sim=127.0.0.2:2526', undefined);

  it('prefers an exact domain, then a wildcard, then MX lookup', () => {
    expect(staticRoute(table, 'example.test')).toEqual({ host: '127.0.0.1', port: 2525 });
    expect(staticRoute(table, 'gmail.sim')).toEqual({ host: '127.0.0.2', port: 2526 });
    expect(staticRoute(table, 'other.example')).toBeNull();
  });

  it('sends everything else to the relay when one is set', () => {
    expect(staticRoute(parseRouteTable('', 'smarthost.local:587'), 'x.example')).toEqual({
      host: 'smarthost.local',
      port: 587,
    });
  });

  it('names the variable and the bad entry', () => {
    expect(() => parseRouteTable('example.test', undefined)).toThrow(
      'MTA_ROUTES: "example.test" is not domain=host:port',
    );
    expect(() => parseRouteTable('', 'relay:99999')).toThrow('MTA_RELAY: "relay:99999" is not host:port');
  });
});
