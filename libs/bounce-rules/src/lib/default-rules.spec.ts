import { DEFAULT_RULE_SET, DEFAULT_RULES } from './default-rules';
import { qualifyReply } from './qualify-reply';

// The rule data is CI-checked: every example a rule cites must be decided by that very rule, so a
// new rule placed too early (stealing examples) or too late (shadowed) fails here.
describe('default bounce rules', () => {
  const cases = DEFAULT_RULES.flatMap((rule) => rule.examples.map((example) => [rule.id, example] as const));

  it.each(cases)('rule %s qualifies its example %j', (ruleId, example) => {
    expect(qualifyReply(example).rule).toBe(ruleId);
  });

  it('loads every rule into the default rule set', () => {
    expect(DEFAULT_RULE_SET.rules.map((r) => r.id)).toEqual(DEFAULT_RULES.map((r) => r.id));
  });

  it('ends with a catch-all so that no reply goes unqualified', () => {
    expect(DEFAULT_RULES.at(-1)?.match).toEqual({});
  });
});
