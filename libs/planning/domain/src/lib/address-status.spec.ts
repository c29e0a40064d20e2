import { addStatuses } from './address-status';

describe('address statuses', () => {
  it('applies the statuses of every audience and of this one, a quarantine or denylist over an unsubscription', () => {
    const blocked = addStatuses(
      new Map(),
      [
        { address: 'a@x.se', scope: '', reason: 'Unsubscribed' },
        { address: 'a@x.se', scope: 'news', reason: 'Quarantined' },
        { address: 'b@x.se', scope: 'other', reason: 'Denylisted' },
        { address: 'c@x.se', scope: 'news', reason: 'Denylisted' },
        { address: 'c@x.se', scope: '', reason: 'Unsubscribed' },
      ],
      'news',
    );

    expect(Object.fromEntries(blocked)).toEqual({ 'a@x.se': 'Quarantined', 'c@x.se': 'Denylisted' });
  });
});
