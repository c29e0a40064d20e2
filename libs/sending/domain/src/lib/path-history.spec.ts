import { hourTotals } from './path-history';

describe('hourTotals', () => {
  it('sums attempts per site, source address and hour, by outcome, in order of first appearance', () => {
    const gmail = { site: 'google', sourceIp: '127.0.0.2', hour: '2026-11-27T18:00Z' };

    const totals = hourTotals([
      { ...gmail, outcome: 'accepted' },
      { ...gmail, sourceIp: '127.0.0.3', outcome: 'deferred' },
      { ...gmail, outcome: 'accepted' },
      { ...gmail, hour: '2026-11-27T19:00Z', outcome: 'bounced' },
      { ...gmail, outcome: 'deferred' },
    ]);

    expect(totals).toEqual([
      { ...gmail, accepted: 2, deferred: 1, bounced: 0 },
      { ...gmail, sourceIp: '127.0.0.3', accepted: 0, deferred: 1, bounced: 0 },
      { ...gmail, hour: '2026-11-27T19:00Z', accepted: 0, deferred: 0, bounced: 1 },
    ]);
  });

  it('has nothing to write for no attempts', () => {
    expect(hourTotals([])).toEqual([]);
  });
});
