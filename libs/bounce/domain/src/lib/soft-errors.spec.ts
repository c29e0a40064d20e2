import { countSoftError, afterDelivered, type AddressErrors, type SoftError } from './soft-errors';

const DAY = 24 * 3_600_000;
const error = (day: number, reason: SoftError['reason'] = 'Unreachable', hour = 0): SoftError => ({
  address: 'ada@example.com',
  reason,
  messageId: `m${day}`,
  deliveryId: 'd1',
  at: new Date(Date.UTC(2026, 0, 1) + day * DAY + hour * 3_600_000).toISOString(),
});

/** Feeds errors one after the other; returns the last step. */
function feed(errors: readonly SoftError[]) {
  let state: AddressErrors | null = null;
  let step = countSoftError(null, errors[0]!);
  state = step.state;
  for (const next of errors.slice(1)) {
    step = countSoftError(state, next);
    state = step.state;
  }
  return step;
}

describe('soft-error counter', () => {
  it('quarantines an address on its fifth significant soft error', () => {
    expect(feed([0, 1, 2, 3].map((d) => error(d))).quarantine).toBeNull();
    const fifth = feed([0, 1, 2, 3, 4].map((d) => error(d)));
    expect(fifth.state).toMatchObject({ count: 5, quarantined: true });
    expect(fifth.quarantine).toMatchObject({
      type: 'postwave.address.quarantined.v1',
      data: { address: 'ada@example.com', failureType: 'Soft', reason: 'Unreachable', messageId: 'm4' },
    });
  });

  it('counts errors less than a day apart once', () => {
    const sameDay = feed([
      error(0, 'Unreachable', 0),
      error(0, 'Unreachable', 5),
      error(0, 'Unreachable', 23),
    ]);
    expect(sameDay.state?.count).toBe(1);
  });

  it('quarantines within the third error when the mailbox itself is the problem', () => {
    expect(feed([0, 1, 2].map((d) => error(d, 'MailboxFull'))).state).toMatchObject({
      count: 3,
      quarantined: true,
    });
  });

  it('does not count refusals, which reflect the sender reputation, nor expiries and unknown errors', () => {
    for (const reason of ['Refused', 'Expired', 'NotDefined'] as const)
      expect(feed([0, 1, 2, 3, 4, 5].map((d) => error(d, reason))).state).toBeNull();
  });

  it('starts again after ten quiet days, and forgets an address once a message is delivered', () => {
    const afterQuiet = feed([error(0), error(1), error(2), error(3), error(14)]);
    expect(afterQuiet.state).toMatchObject({ count: 1, quarantined: false });
    expect(afterDelivered(feed([error(0), error(1)]).state)).toBeNull();
    const quarantined = feed([0, 1, 2].map((d) => error(d, 'AccountDisabled'))).state;
    expect(afterDelivered(quarantined)).toBe(quarantined);
  });
});
