/**
 * Replies that mean "slow down" rather than "this message is bad": they drive the adaptive
 * controller, not only the message's retry. Leans on the enhanced code first, then on the big
 * providers' wording. Kept as data so operators can read and extend it.
 */
export const THROTTLE_PATTERNS: ReadonlyArray<{
  readonly id: string;
  readonly pattern: RegExp;
  readonly example: string;
}> = [
  {
    id: 'gmail-rate',
    pattern: /\b4\.7\.28\b/,
    example: '421 4.7.28 [203.0.113.5] Our system has detected an unusual rate of unsolicited mail',
  },
  {
    id: 'gmail-receiving-rate',
    pattern: /\b4\.2\.1\b.*\brate\b/i,
    example:
      '450 4.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages',
  },
  {
    id: 'yahoo-ts',
    pattern: /\[?TS(S)?0\d\]?/,
    example: '421 4.7.0 [TSS04] Messages from 203.0.113.5 temporarily deferred due to unexpected volume',
  },
  {
    id: 'microsoft-busy',
    pattern: /\b4\.7\.(500|650)\b|\bRP-00\d\b/i,
    example: '451 4.7.500 Server busy. Please try again later from [203.0.113.5]. (S77714)',
  },
  {
    id: 'too-many-connections',
    pattern: /too many (concurrent )?(connections|sessions)|connection (rate )?limit/i,
    example: '421 4.7.0 Too many connections from 203.0.113.5, try again later',
  },
  {
    id: 'rate-limited',
    pattern:
      /rate.?limit|too many (messages|mails|emails)|slow down|throttl|exceeded .*(rate|limit)|deferred due to/i,
    example: '421 4.7.0 Too many messages, slow down',
  },
  {
    id: 'greylisting',
    pattern: /grey.?list|gray.?list/i,
    example: '450 4.7.1 <a@example.com>: Recipient address rejected: Greylisted, try again later',
  },
  {
    id: 'service-closing',
    pattern: /^421\b/,
    example: '421 mx.example.com Service not available, closing transmission channel',
  },
];

export function throttleCause(reply: string): string | null {
  if (!/^4\d\d\b/.test(reply.trim())) return null;
  return THROTTLE_PATTERNS.find((entry) => entry.pattern.test(reply))?.id ?? null;
}
