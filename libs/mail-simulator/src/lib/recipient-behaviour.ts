/**
 * What a simulated mailbox does, chosen by the local part of the recipient address:
 * `<keyword>[-<number>][<separator><anything>]`, case-insensitive, separators `- + . _`.
 * Only `-` introduces the number; the free tail lets callers make every address unique
 * (`bounce-hard+42@x.sim` is a hard bounce, not a parameter 42).
 */
export type RecipientBehaviour =
  | { kind: 'accept' }
  | { kind: 'bounce-hard' }
  | { kind: 'mailbox-full' }
  | { kind: 'defer'; attempts: number }
  | { kind: 'greylist'; minDelaySeconds: number }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'reject-data' }
  | { kind: 'dsn-hard'; delayMs?: number }
  | { kind: 'complaint'; delayMs?: number }
  | { kind: 'autoreply'; delayMs?: number };

export type BehaviourKind = RecipientBehaviour['kind'];

/** Upper bound of `slow-N`: keeps a typo from holding a connection for hours. */
export const MAX_SLOW_DELAY_MS = 300_000;
const MAX_DEFER_ATTEMPTS = 1_000;

const SEPARATOR = /[-+._]/;

type Keyword = Exclude<BehaviourKind, 'accept'>;
const KEYWORDS: readonly Keyword[] = [
  'bounce-hard',
  'mailbox-full',
  'defer',
  'greylist',
  'slow',
  'reject-data',
  'dsn-hard',
  'complaint',
  'autoreply',
];

function build(kind: Keyword, n: number | undefined): RecipientBehaviour {
  switch (kind) {
    case 'defer':
      return { kind, attempts: Math.min(n ?? 1, MAX_DEFER_ATTEMPTS) };
    case 'greylist':
      return { kind, minDelaySeconds: n ?? 0 };
    case 'slow':
      return { kind, delayMs: Math.min(n ?? 2_000, MAX_SLOW_DELAY_MS) };
    case 'dsn-hard':
    case 'complaint':
    case 'autoreply':
      return n === undefined ? { kind } : { kind, delayMs: n };
    default:
      return { kind };
  }
}

export function parseRecipientBehaviour(address: string): RecipientBehaviour {
  const at = address.lastIndexOf('@');
  const local = (at < 0 ? address : address.slice(0, at)).toLowerCase();
  for (const keyword of KEYWORDS) {
    if (!local.startsWith(keyword)) continue;
    const next = local.charAt(keyword.length);
    if (next && !SEPARATOR.test(next)) continue; // `slowpoke@` is an ordinary mailbox
    const number = next === '-' ? /^(\d{1,9})(?:[-+._]|$)/.exec(local.slice(keyword.length + 1)) : null;
    return build(keyword, number ? Number(number[1]) : undefined);
  }
  return { kind: 'accept' };
}
