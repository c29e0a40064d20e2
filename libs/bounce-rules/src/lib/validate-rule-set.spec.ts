import { BounceRuleSetError, type BounceRuleData } from './bounce-rule.schema';
import { qualifyReply, UNMATCHED_RULE_ID } from './qualify-reply';
import { validateRuleSet } from './validate-rule-set';

const rule = (overrides: Partial<BounceRuleData> = {}): BounceRuleData => ({
  id: 'test.rule',
  match: { text: 'user unknown' },
  type: 'ByClass',
  reason: 'UserUnknown',
  examples: ['550 User unknown'],
  ...overrides,
});

function issuesOf(data: unknown): string[] {
  try {
    validateRuleSet(data);
  } catch (e) {
    if (e instanceof BounceRuleSetError) return e.issues.map((i) => `${i.ruleId} ${i.field}`);
    throw e;
  }
  return [];
}

describe('validateRuleSet', () => {
  it('compiles valid rules that a custom qualification can use', () => {
    const set = validateRuleSet([rule()]);
    expect(qualifyReply('550 5.1.1 User unknown', set)).toEqual({
      type: 'Hard',
      reason: 'UserUnknown',
      reasonCode: 1,
      rule: 'test.rule',
    });
  });

  it('types a reply without any code by typeWithoutCode, and a coded one by its class', () => {
    const set = validateRuleSet([rule({ typeWithoutCode: 'Hard' })]);
    expect(qualifyReply('X-Postfix; user unknown', set).type).toBe('Hard');
    expect(qualifyReply('450 4.1.1 User unknown', set).type).toBe('Soft');
    expect(qualifyReply('X-Postfix; user unknown', validateRuleSet([rule()])).type).toBe('Soft');
    // A 2xx that says it failed has no failure class either.
    expect(qualifyReply('250 2.1.5 Recipient rejected: user unknown', set).type).toBe('Hard');
  });

  it('refuses typeWithoutCode on a rule whose type is fixed, naming the field', () => {
    expect(issuesOf([rule({ type: 'Soft', typeWithoutCode: 'Hard' })])).toEqual([
      'test.rule typeWithoutCode',
    ]);
    expect(issuesOf([rule({ typeWithoutCode: 'Ignored' as never })])).toEqual(['test.rule typeWithoutCode']);
  });

  it('matches withoutCode only on a reply that carries no basic code, and refuses it beside codes', () => {
    const set = validateRuleSet([
      rule({ match: { withoutCode: true, text: 'unrouteable address' }, reason: 'InvalidDomain' }),
    ]);
    expect(qualifyReply('jdoe@example.org\r\n    Unrouteable address', set).rule).toBe('test.rule');
    expect(qualifyReply('550 Unrouteable address', set).rule).toBe(UNMATCHED_RULE_ID);
    expect(issuesOf([rule({ match: { withoutCode: true, codes: ['550'] } })])).toEqual([
      'test.rule match.withoutCode',
    ]);
  });

  it("reads the whole input with scope 'whole', and only the reply found in it by default", () => {
    const warning =
      'THIS IS A WARNING ONLY.\r\n<jdoe@example.com>: host mx.example.com[198.51.100.9] said: 451 4.7.1 Try again later';
    const match = { text: 'warning only', exceptText: 'action: failed' };
    expect(qualifyReply(warning, validateRuleSet([rule({ match })])).rule).toBe(UNMATCHED_RULE_ID);
    const whole = validateRuleSet([rule({ match: { ...match, scope: 'whole' }, type: 'Ignored' })]);
    expect(qualifyReply(warning, whole).rule).toBe('test.rule');
    expect(qualifyReply(`${warning}\r\nAction: failed`, whole).rule).toBe(UNMATCHED_RULE_ID);
    expect(issuesOf([rule({ match: { text: 'x', scope: 'all' as never } })])).toEqual([
      'test.rule match.scope',
    ]);
  });

  it('reports no rule when a set without catch-all matches nothing', () => {
    expect(qualifyReply('421 busy', validateRuleSet([rule()]))).toMatchObject({
      type: 'NotDefined',
      rule: UNMATCHED_RULE_ID,
    });
  });

  it('matches code patterns with x wildcards', () => {
    const set = validateRuleSet([rule({ match: { codes: ['45x'] }, type: 'Soft', reason: 'Unreachable' })]);
    expect(qualifyReply('451 local error', set).rule).toBe('test.rule');
    expect(qualifyReply('421 local error', set).rule).toBe(UNMATCHED_RULE_ID);
    expect(qualifyReply('local error', set).rule).toBe(UNMATCHED_RULE_ID);
  });

  it('compares enhanced code parts numerically so 5.1.1 does not match 5.1.10', () => {
    const set = validateRuleSet([rule({ match: { enhanced: ['5.1.1'] } })]);
    expect(qualifyReply('550 5.1.1 x', set).rule).toBe('test.rule');
    expect(qualifyReply('550 5.1.10 x', set).rule).toBe(UNMATCHED_RULE_ID);
  });

  it('excludes replies matching exceptText', () => {
    const set = validateRuleSet([rule({ match: { text: 'rejected', exceptText: ['sender'] } })]);
    expect(qualifyReply('550 Recipient rejected', set).rule).toBe('test.rule');
    expect(qualifyReply('550 Sender rejected', set).rule).toBe(UNMATCHED_RULE_ID);
  });

  it('rejects anything but an array', () => {
    expect(issuesOf({ rules: [] })).toEqual(['(root) (root)']);
  });

  it('names the rule and the alternative holding an invalid regex', () => {
    expect(issuesOf([rule({ id: 'bad.regex', match: { text: ['ok', 'unclosed ('] } })])).toEqual([
      'bad.regex match.text.1',
    ]);
  });

  it('rejects a plain-string \\b (a backspace) instead of silently never matching', () => {
    expect(issuesOf([rule({ match: { text: '\bspam\b' } })])).toEqual(['test.rule match.text']);
  });

  it('rejects an unknown reason, type, match key and malformed codes', () => {
    const bad = [
      { ...rule({ id: 'a' }), reason: 'Nope' },
      { ...rule({ id: 'b' }), type: 'Sometimes' },
      rule({ id: 'c', match: { txt: 'x' } as never }),
      rule({ id: 'd', match: { codes: ['5'] } }),
      rule({ id: 'e', match: { enhanced: ['5.1'] } }),
    ];
    expect(issuesOf(bad)).toEqual(['a reason', 'b type', 'c match', 'd match.codes.0', 'e match.enhanced.0']);
  });

  it('requires at least one example and identifies id-less rules by index', () => {
    expect(issuesOf([rule({ examples: [] }), { match: {} }])).toEqual(
      expect.arrayContaining(['test.rule examples', '#1 id', '#1 examples']),
    );
  });

  it('rejects duplicate ids and rules made unreachable by a match-all rule', () => {
    const all = rule({ id: 'all', match: {} });
    expect(issuesOf([rule(), rule(), all, rule({ id: 'late' })])).toEqual(['test.rule id', 'late match']);
  });

  it('puts every issue in the error message', () => {
    expect(() => validateRuleSet([rule({ id: 'x.y', reason: 'Nope' as never })])).toThrow(
      /rule 'x\.y', field 'reason'/,
    );
  });
});
