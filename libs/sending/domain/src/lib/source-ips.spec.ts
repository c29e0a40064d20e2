import { parseSourceIps, validateWarmupPlans, warmupCap, WeightedPicker } from './source-ips';

describe('source IP pools', () => {
  it('reads addresses with HELO names and weights', () => {
    expect(parseSourceIps('127.0.0.2=mta1.example.com*3, 127.0.0.3')).toEqual([
      { address: '127.0.0.2', helo: 'mta1.example.com', weight: 3 },
      { address: '127.0.0.3', helo: null, weight: 1 },
    ]);
    expect(parseSourceIps(undefined)).toEqual([{ address: 'default', helo: null, weight: 1 }]);
  });

  it('names the variable and the bad entry', () => {
    expect(() => parseSourceIps('127.0.0.300')).toThrow(
      'MTA_SOURCE_IPS: "127.0.0.300" is not ip[=helo][*weight]',
    );
    expect(() => parseSourceIps('127.0.0.2,127.0.0.2')).toThrow('127.0.0.2 is listed twice');
  });

  it('shares traffic by weight, interleaved, skipping addresses that may not send', () => {
    const picker = new WeightedPicker(parseSourceIps('127.0.0.2*2,127.0.0.3'));
    const picks = Array.from({ length: 6 }, () => picker.pick(() => true)!.address);
    expect(picks).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.2', '127.0.0.2', '127.0.0.3', '127.0.0.2']);
    expect(picker.pick((ip) => ip.address === '127.0.0.3')!.address).toBe('127.0.0.3');
    expect(picker.pick(() => false)).toBeNull();
  });
});

describe('IP warm-up', () => {
  const plans = validateWarmupPlans([
    { ip: '127.0.0.3', start: '2026-11-01', dailyCaps: [50, 100, 200], sites: ['google'] },
  ]);
  const day = (n: number) => Date.parse('2026-11-01T12:00:00Z') + n * 86_400_000;

  it('caps a new address per site on a growing daily schedule, then lets it run free', () => {
    expect([0, 1, 2, 3].map((n) => warmupCap(plans, '127.0.0.3', 'google', day(n)))).toEqual([
      50,
      100,
      200,
      null,
    ]);
    expect(warmupCap(plans, '127.0.0.3', 'yahoo', day(0))).toBeNull();
    expect(warmupCap(plans, '127.0.0.2', 'google', day(0))).toBeNull();
    expect(warmupCap(plans, '127.0.0.3', 'google', day(-1))).toBe(0);
  });

  it('names the plan and the field of a bad plan', () => {
    expect(() => validateWarmupPlans([{ ip: '127.0.0.3', start: 'yesterday', dailyCaps: [1] }])).toThrow(
      /warm-up plan 127.0.0.3: start/,
    );
  });
});
