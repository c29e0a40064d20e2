import type { BounceRuleData } from '../bounce-rule.schema';

/**
 * Wordings that say "later" whatever the code: greylisting and pure volume throttling. They are
 * forced Soft (a receiver asking us to slow down says nothing about the address) and typed
 * "Unreachable", the Campaign reason for a temporarily unreachable domain. Reputation-driven
 * throttling is matched earlier as "Refused".
 */
export const GREYLIST_RULES: BounceRuleData[] = [
  {
    id: 'text.greylisted',
    description: 'Greylisting: always retried; runs before the blocklist rules ("blocked using grey.rbl").',
    match: { text: ['gr[ae]y ?list', 'postgrey', 'please come back in'] },
    type: 'Soft',
    reason: 'Unreachable',
    examples: [
      '450 4.2.0 <jdoe@example.com>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.com.html',
      '451 4.7.1 Greylisting in action, please come back in 00:05:00',
      '421 4.7.1 Service unavailable; Client host [198.51.100.4] blocked using grey.rbl - Rechazo temporal, intentelo mas tarde por favor...Greylisting in action, please try again later',
      '451 4.7.1 <jdoe@example.com>: Recipient address rejected: Message greylisted, please retry in 5 minutes',
    ],
  },
];

export const SIZE_RULES: BounceRuleData[] = [
  {
    id: 'text.message-too-large',
    description:
      'Message over the size limit: RFC 3463 X.3.4 / X.2.3, "mail system" status, so Unreachable typed ' +
      'by class; needed before the basic 552 rule, which would read a bare 552 as mailbox full.',
    match: {
      text: [
        'message (size|length) (exceeds|is over|too)',
        'message (is )?too (large|big|long)',
        String.raw`(exceeds|exceeded|over|above) (the |our |\S+'s )?((maximum|max|fixed|allowed|permitted) )*(message |mail |e-?mail )?size`,
        'size limit',
        'size exceeds',
        'databytes',
        'maximum (message |e-?mail )?size',
        'mail (is )?too (large|big)',
      ],
    },
    type: 'ByClass',
    reason: 'Unreachable',
    examples: [
      "552-5.2.3 Your message exceeded Google's message size limits. Please visit\r\n552 5.2.3  https://support.google.com/mail/?p=MaxSizeError - gsmtp",
      '552 5.3.4 Message size exceeds fixed maximum message size',
      '552 Message size exceeds maximum permitted',
      '552 sorry, that message size exceeds my databytes limit (#5.3.4)',
      '554 Maximum email size exceeded - https://community.mimecast.com/docs/DOC-1369#554',
    ],
  },
];

export const RATE_LIMIT_RULES: BounceRuleData[] = [
  {
    id: 'text.rate-limited',
    description: 'Connection and volume limits of the receiver: slow down and retry.',
    match: {
      text: [
        'too many (connections|concurrent|simultaneous|sessions|messages|mails|e-?mails|recipients|rcpt|errors|invalid|hosts|commands|transactions)',
        'trop de connexions',
        'rate[- ]?limit',
        'throttl',
        'frequency limit',
        'receiving mail (too quickly|at a rate)',
        '(excessive|unexpected|unusual|high) (volume|rate|traffic)',
        'slow down',
        'connection (limit|rate)',
        'limit (exceeded|reached)',
        '(exceeded|reached) (the |a |your |its )?(connection |rate |message |sending |recipient )?(limit|quota)',
        'concurrent (server |smtp )?connections',
        String.raw`max(imum)? (number of )?(connections|messages|recipients|sessions)`,
        '(sending|send|submission|outbound|daily|hourly|queue|relay) (quota|limit)',
        String.raw`per (hour|minute|day|connection)\b`,
      ],
    },
    type: 'Soft',
    reason: 'Unreachable',
    examples: [
      '421 4.7.0 mx.example.com Error: too many connections from 198.51.100.4',
      '421 mwinf5c79 ME Trop de connexions, veuillez verifier votre configuration. Too many connections, slow down. OFR005_104 [104]',
      '450-4.2.1 The user you are trying to contact is receiving mail too quickly. Please resend your message at a later time. If the user is able to receive mail at that time, your message will be delivered. For more information, go to https://support.google.com/mail/?p=ReceivingRate',
      '421 4.7.1 Messages to jdoe@icloud.com deferred due to excessive volume. Try again later - https://support.apple.com/en-us/HT204137',
      '421 4.1.0 198.51.100.4 Throttled - try again later. Please see http://postmaster.comcast.net/smtp-error-codes.php#RL000001',
      '421 4.3.2 The maximum number of concurrent connections has exceeded a limit, closing transmission channel',
      '452 4.5.3 Too many recipients',
      '421 Max message per connection reached, closing transmission channel',
      '450 4.7.3 Organization queue quota exceeded.',
      '550 5.4.5 Daily user sending quota exceeded. https://support.google.com/mail/?p=ReachedDailyLimit',
    ],
  },
];

export const TEMPORARY_RULES: BounceRuleData[] = [
  {
    id: 'text.temporary-failure',
    description:
      'Explicitly temporary wording ("try again later") overrides a misleading X.7 code: it is not a ' +
      'refusal but a deferral. Forced Soft.',
    match: {
      text: [
        'try (again )?later',
        String.raw`\btemporar(y|ily)\b`,
        'please (try|retry) (again|later)',
        'retry (later|again|in)',
        'come back later',
        '(server|system|service) (is )?(busy|overloaded)',
        'resources (are )?(temporarily )?unavailable',
        'deferred',
        'essayer plus tard',
      ],
    },
    type: 'Soft',
    reason: 'Unreachable',
    examples: [
      '451 4.7.1 Please try again later',
      '421-4.3.0 Temporary System Problem.  Try again later (10). d2e1a72fcca58-7134b2c8e3asi1234567b3a.123 - gsmtp',
      '451 Temporary local problem - please try later',
      '451 qq temporary problem (#4.3.0)',
      '451 Internal resources are temporarily unavailable - https://community.mimecast.com/docs/DOC-1369#451 [abc.uk82]',
      '451 4.3.0 Mail server temporarily rejected message.',
    ],
  },
];

/**
 * Weak wordings (down, timing out, looping). They run AFTER the enhanced-code rules: "554 5.7.1
 * Service unavailable" is a policy refusal, and only a reply without a telling code is left to them.
 */
export const SERVICE_RULES: BounceRuleData[] = [
  {
    id: 'text.service-unavailable',
    description:
      'Receiving system down, timing out, dropping the connection or looping: Unreachable, typed by class.',
    match: {
      text: [
        String.raw`service (is )?(not available|unavailable)`,
        'no smtp service',
        'local error',
        'internal (server )?error',
        'time ?out',
        'timed out',
        'connection (dropped|reset|closed|lost|refused)',
        'lost connection',
        'greeting failed',
        'system not accepting',
        'mail loop',
        'hop count',
        'too many hops',
        'exceeded [0-9]+ hops',
        'delivery time expired',
        'message expired',
        'exceeded max(imum)? time',
        'been in the queue too long',
      ],
    },
    type: 'ByClass',
    reason: 'Unreachable',
    examples: [
      '421 mx.example.com Service not available, closing transmission channel',
      '451 Requested action aborted: local error in processing',
      '421 mx.example.com: SMTP command timeout - closing connection',
      'Connection timed out',
      'connect to mx.example.com[198.51.100.9]:25: Connection refused',
      '554 5.0.0 Service unavailable',
      "I'm not going to try again; this message has been in the queue too long.",
      '554 No SMTP service here',
    ],
  },
];
