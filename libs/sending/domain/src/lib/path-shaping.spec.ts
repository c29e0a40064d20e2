import { DEFAULT_MX_RULES } from './default-mx-rules';
import { siteFor, validateMxRules, type MxRule } from './mx-rule.schema';
import { adapt, initialPath, isSuspended, RatePacer, withinRule, type PathState } from './path-shaping';
import { THROTTLE_PATTERNS, throttleCause } from './throttle-replies';

const rules = validateMxRules(DEFAULT_MX_RULES);
const google = rules.find((r) => r.id === 'google')!;

describe('MX rules', () => {
  it('ship valid defaults ending in a catch-all', () => {
    expect(rules.at(-1)?.mxHosts).toEqual(['*']);
  });

  it('put every Google-hosted domain in one site, and other hosts in sites of their own', () => {
    expect(siteFor(rules, 'gmail.com', 'gmail-smtp-in.l.google.com')).toMatchObject({ site: 'google' });
    expect(siteFor(rules, 'startup.io', 'aspmx.l.google.com')).toMatchObject({ site: 'google' });
    expect(siteFor(rules, 'contoso.com', 'contoso-com.mail.protection.outlook.com')).toMatchObject({
      site: 'office365',
    });
    expect(siteFor(rules, 'example.org', 'mx1.example.org')).toMatchObject({
      site: 'mx1.example.org',
      rule: { id: 'generic' },
    });
    expect(siteFor(rules, 'gmail.sim', null)).toMatchObject({ site: 'google' });
  });

  it('name the rule and the field of a bad rule', () => {
    expect(() =>
      validateMxRules([{ ...DEFAULT_MX_RULES[0], maxConnections: 0 }, DEFAULT_MX_RULES.at(-1)]),
    ).toThrow('MX rule "google": maxConnections: Too small: expected number to be >=1');
    expect(() => validateMxRules([{ ...DEFAULT_MX_RULES[0], mxHosts: ['*.goo gle.com'] }])).toThrow(
      /MX rule "google": mxHosts.0/,
    );
    expect(() => validateMxRules([DEFAULT_MX_RULES[0]])).toThrow('the last rule must match every host');
    expect(() => validateMxRules([DEFAULT_MX_RULES.at(-1), DEFAULT_MX_RULES.at(-1)])).toThrow('duplicate id');
  });
});

describe('adaptive path limits', () => {
  const rule: MxRule = {
    ...google,
    adaptive: { ...google.adaptive, recoverAfter: 3, coolOffMs: 1000, maxCoolOffMs: 4000 },
  };
  const start = initialPath(rule, 'google', '127.0.0.2', 0);
  const run = (state: PathState, signals: Parameters<typeof adapt>[2][]) =>
    signals.reduce((s, signal) => adapt(rule, s, signal).state, state);

  it('halves connections and rate and suspends the path on a slow-down answer', () => {
    const { state, change } = adapt(rule, start, {
      kind: 'throttled',
      reply: '421 4.7.28 slow down',
      at: 10,
    });
    expect(state).toMatchObject({
      maxConnections: 10,
      messagesPerHour: 90_000,
      suspendedUntil: 1010,
      cause: '421 4.7.28 slow down',
    });
    expect(change).toMatchObject({
      direction: 'decreased',
      before: { maxConnections: 20 },
      after: { maxConnections: 10 },
    });
    expect(isSuspended(state, 500)).toBe(true);
    expect(isSuspended(state, 1010)).toBe(false);
  });

  it('counts replies from one episode once and doubles the cool-off on the next episode', () => {
    const first = run(start, [
      { kind: 'throttled', reply: '421', at: 0 },
      { kind: 'throttled', reply: '421', at: 5 },
    ]);
    expect(first.maxConnections).toBe(10);
    const second = adapt(rule, first, { kind: 'throttled', reply: '421', at: 2000 }).state;
    expect(second).toMatchObject({ maxConnections: 5, suspendedUntil: 4000 });
  });

  it('never goes below the floor', () => {
    const floor = run(
      start,
      Array.from({ length: 12 }, (_, i) => ({ kind: 'throttled' as const, reply: '421', at: i * 10_000 })),
    );
    expect(floor).toMatchObject({ maxConnections: 1, messagesPerHour: 60 });
  });

  it('steps back up additively after a run of accepted messages, up to the ceiling', () => {
    const low = adapt(rule, start, { kind: 'throttled', reply: '421', at: 0 }).state;
    const accepted = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ kind: 'accepted' as const, at: 2000 + i }));
    expect(run(low, accepted(2))).toMatchObject({ maxConnections: 10, acceptedStreak: 2 });
    expect(run(low, accepted(3))).toMatchObject({ maxConnections: 11, messagesPerHour: 108_000 });
    expect(run(low, accepted(3 * 40))).toMatchObject({ maxConnections: 20, messagesPerHour: 180_000 });
  });

  it('clamps a learned state to edited rule ceilings', () => {
    expect(withinRule({ ...rule, maxConnections: 4 }, start)).toMatchObject({ maxConnections: 4 });
  });
});

describe('even pacing', () => {
  it('sends at the hourly rate without bursts', () => {
    const pacer = new RatePacer(3600, 0);
    expect(pacer.take(0)).toBe(0);
    expect(pacer.take(0)).toBe(1000);
    expect(pacer.take(999)).toBe(1);
    expect(pacer.take(1000)).toBe(0);
  });
});

describe('slow-down answers', () => {
  it.each(THROTTLE_PATTERNS.map((entry) => [entry.id, entry.example]))('%s: recognizes %j', (id, example) => {
    expect(throttleCause(example)).toBe(id);
  });

  it('does not treat a mailbox problem or a permanent refusal as a slow-down', () => {
    expect(throttleCause('452 4.2.2 Mailbox full')).toBeNull();
    expect(throttleCause('550 5.7.1 Too many messages from your IP, blocked')).toBeNull();
  });
});
