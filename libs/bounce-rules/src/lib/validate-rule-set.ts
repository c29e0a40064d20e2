import {
  BounceRuleSchema,
  BounceRuleSetError,
  isMatchAll,
  ruleIdOf,
  toRegExp,
  type BounceRule,
  type BounceRuleSet,
  type RuleIssue,
} from './bounce-rule.schema';
import { wholeText, type SmtpReply } from './smtp-reply';

type ValidRuleData = Omit<BounceRule, 'test'>;

function enhancedMatches(pattern: readonly string[], enhanced: string): boolean {
  const parts = enhanced.split('.');
  // Numeric comparison so that '5.1.1' does not match '5.1.10' and vice versa.
  return pattern.every((p, i) => p === '*' || Number(p) === Number(parts[i]));
}

// Replies are short, but a DSN diagnostic can carry a whole message; bounding the input keeps every
// regex linear-time in practice whatever a remote server sends.
const MAX_MATCHED_CHARS = 8192;

/** Curly apostrophes appear in provider texts ("doesn’t"); rules are written with straight ones. */
function matchableText(text: string): string {
  return text.slice(0, MAX_MATCHED_CHARS).replace(/[\u2018\u2019\u02bc]/g, "'");
}

function compile(rule: ValidRuleData): BounceRule {
  const { codes, enhanced, text, exceptText, scope, withoutCode } = rule.match;
  const codeRes = codes?.map((c) => new RegExp(`^${c.replace(/x/g, '\\d')}$`));
  const enhancedParts = enhanced?.map((p) => p.split('.'));
  const textRe = text ? toRegExp(text) : undefined;
  const exceptRe = exceptText ? toRegExp(exceptText) : undefined;

  const test = (reply: SmtpReply): boolean => {
    if (withoutCode && reply.code !== null) return false;
    if (codeRes && (reply.code === null || !codeRes.some((re) => re.test(String(reply.code))))) return false;
    if (enhancedParts) {
      const code = reply.enhanced;
      if (code === null || !enhancedParts.some((p) => enhancedMatches(p, code))) return false;
    }
    const t =
      !textRe && !exceptRe ? '' : matchableText(scope === 'whole' ? wholeText(reply.raw) : reply.text);
    if (textRe && !textRe.test(t)) return false;
    if (exceptRe && exceptRe.test(t)) return false;
    return true;
  };
  return { ...rule, test };
}

/**
 * Validates rule data (e.g. loaded from JSON or a database) and compiles it into an ordered rule set.
 * Rejects, naming the rule id and the field: schema violations, invalid regexes, duplicate ids, and
 * rules placed after a match-all rule (they could never fire).
 */
export function validateRuleSet(data: unknown): BounceRuleSet {
  if (!Array.isArray(data)) {
    throw new BounceRuleSetError([
      { ruleId: '(root)', field: '(root)', message: 'must be an array of rules' },
    ]);
  }
  const issues: RuleIssue[] = [];
  const rules: BounceRule[] = [];
  const seen = new Set<string>();
  let matchAllId: string | null = null;

  data.forEach((entry: unknown, index) => {
    const ruleId = ruleIdOf(entry, index);
    const parsed = BounceRuleSchema.safeParse(entry);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        issues.push({ ruleId, field: issue.path.map(String).join('.') || '(rule)', message: issue.message });
      }
      return;
    }
    const rule = parsed.data;
    if (seen.has(rule.id)) issues.push({ ruleId, field: 'id', message: 'is a duplicate' });
    if (matchAllId !== null) {
      issues.push({ ruleId, field: 'match', message: `is unreachable after match-all rule '${matchAllId}'` });
    }
    seen.add(rule.id);
    if (isMatchAll(rule.match)) matchAllId = rule.id;
    rules.push(compile(rule));
  });

  if (issues.length > 0) throw new BounceRuleSetError(issues);
  return { rules };
}
