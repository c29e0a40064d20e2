import type { BounceRuleData } from '../bounce-rule.schema';

/**
 * The message outlived its time in some queue, ours or a relay's: Unreachable ("expired in the
 * queue") and Soft whatever the code. The delivery is over, but the address is not shown to be bad:
 * Campaign retargets an Unreachable address until its error count is reached instead of
 * quarantining it at once, and most independent labellers who were not told how to type expiry
 * (four of seven) typed it Soft, as sending platforms do (a "transient" bounce, a timeout class).
 * They run early and read the whole input: the expiry is stated in a DSN's own prose, and the reason
 * the message expired ("connection refused", "DNS query failed", a greylisting reply) is quoted after it.
 */
export const EXPIRY_RULES: BounceRuleData[] = [
  {
    id: 'text.expired',
    description: 'Queue lifetime or retry time exceeded.',
    match: {
      text: [
        'message expired',
        'envelope expired',
        String.raw`^too old$`,
        String.raw`cannot send message for \d+ (days?|hours?)`,
        'has stopped trying',
        'exceeds the expiry time',
        String.raw`exceeded max(imum)? (retries|time|attempts) without delivery`,
        String.raw`queue\.expired`,
        '(delivery|retry) time (has )?(expired|exceeded)',
        'message too old',
        'expired in (the )?queue',
        'been in the queue too long',
        String.raw`could not be delivered for (the (past|last) )?\d+ (days?|hours?)`,
        String.raw`retry time(out)? (exceeded|reached)`,
        'have been failing for a long time',
        'delivery expired',
        'maximum (queue|delivery) (time|lifetime)',
        String.raw`(retries|attempts)[;,.]? giving up`,
        'long failure period',
        String.raw`next delivery time .{0,80}(expir|exceeds)`,
        'after (multiple|repeated|too many) (retries|attempts)',
        String.raw`(could not|couldn't|was not|wasn't|cannot|not) (be |been )?delivered within`,
        'within the allowed time',
        String.raw`dans le d[ée]lai imparti`,
        String.raw`innerhalb (von )?\d+ (tagen|stunden) nicht zugestellt`,
        String.raw`в течение \d+ (дн|час)`,
        '日間配信できなかった',
        'キューから削除',
      ],
      // "mailbox is full: retry timeout exceeded": the mailbox state is the reason worth keeping.
      exceptText: [String.raw`\bfull\b`, 'quota'],
      scope: 'whole',
    },
    type: 'Soft',
    reason: 'Unreachable',
    examples: [
      '550 4.4.7 QUEUE.Expired; message expired',
      '550 5.4.316 Message expired, connection refused(Socket error code 10061)',
      '554 5.4.7 Delivery expired (message too old)',
      "I'm not going to try again; this message has been in the queue too long.",
      "all hosts for 'example.com' have been failing for a long time (and retry time not reached)",
    ],
  },
];

/**
 * Mail loops: a routing fault of the receiving side. Unreachable by class, and Hard when a DSN says
 * so without a code: a loop does not clear by itself (Postfix bounces it as 5.4.6).
 */
export const LOOP_RULES: BounceRuleData[] = [
  {
    id: 'text.mail-loop',
    description: 'Looping mail: hop count exceeded, mail loops back, forwarding loop.',
    match: {
      text: [
        'mail (for \\S+ )?loops? back',
        '(mail|forwarding|routing|message) loop',
        'hop count',
        'too many hops',
        String.raw`exceeded \d+ hops`,
        'too many "?received"? (headers|lines)',
      ],
    },
    type: 'ByClass',
    typeWithoutCode: 'Hard',
    reason: 'Unreachable',
    examples: [
      '554 5.4.14 Hop count exceeded - possible mail loop ATTR34',
      'mail for example.com loops back to myself',
      'Too many "Received" headers - suspected mail loop',
    ],
  },
];

/**
 * Greylisting: the receiver's policy defers a sender it does not know yet. "Refused" (a refusal by
 * the receiver, if a temporary one) and forced Soft: it says nothing about the address.
 */
export const GREYLIST_RULES: BounceRuleData[] = [
  {
    id: 'text.greylisted',
    description: 'Greylisting: always retried; runs before the blocklist rules ("blocked using grey.rbl").',
    match: {
      text: [
        'gr[ae]y ?list',
        'postgrey',
        'please come back in',
        String.raw`not yet authori[sz]ed to deliver`,
      ],
    },
    type: 'Soft',
    reason: 'Refused',
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
      'Message over the size limit (RFC 3463 X.3.4 / X.2.3): a limit of the receiver, so Refused, typed ' +
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
        'mailsize limit',
      ],
    },
    type: 'ByClass',
    // A message too big for a receiver stays too big: Postfix's own "exceeds size limit of server".
    typeWithoutCode: 'Hard',
    reason: 'Refused',
    examples: [
      'message size 26214400 exceeds size limit 20480000 of server mx.example.com[203.0.113.9]',
      "552-5.2.3 Your message exceeded Google's message size limits. Please visit\r\n552 5.2.3  https://support.google.com/mail/?p=MaxSizeError - gsmtp",
      '552 5.3.4 Message size exceeds fixed maximum message size',
      '552 Message size exceeds maximum permitted',
      '552 sorry, that message size exceeds my databytes limit (#5.3.4)',
      '554 Maximum email size exceeded - https://community.mimecast.com/docs/DOC-1369#554',
    ],
  },
];

/**
 * Limits of the receiver, forced Soft (a receiver asking us to slow down says nothing about the
 * address): too many connections is "Unreachable", the path is saturated; rate, volume and recipient
 * limits are "Refused", the receiver declines more mail from us for now.
 */
export const RATE_LIMIT_RULES: BounceRuleData[] = [
  {
    id: 'text.too-many-connections',
    description: 'Connection limits: the receiver has no room for another session from us.',
    match: {
      text: [
        'too many (connections|concurrent|simultaneous|sessions|hosts|smtp sessions|open connections)',
        'trop de connexions',
        'connection limit',
        'te veel verbindingen',
        'troppe connessioni',
        'prilis mnoho spojeni',
        'zbyt wiele po[łl][ąa]cze[ńn]',
        String.raw`limite de conex[õo]es`,
        String.raw`conex[õo]es simult[âa]neas`,
        'zu viele verbindungen',
        'za du[żz]o po[łl][ąa]cze[ńn]',
        'demasiadas conexiones',
        'concurrent (server |smtp )?connections',
        String.raw`max(imum)? (number of )?(concurrent )?(connections|sessions)`,
        'thread limit',
        'concurrency limit',
        // Cox and NetEase codes for a connection limit.
        String.raw`\bCXCNCT\b`,
        String.raw`\bHL:ICC\b`,
        String.raw`limit po[łl][ąa]cze[ńn]`,
      ],
    },
    type: 'Soft',
    reason: 'Unreachable',
    examples: [
      '421 4.7.0 mx.example.com Error: too many connections from 198.51.100.4',
      '421 mwinf5c79 ME Trop de connexions, veuillez verifier votre configuration. Too many connections, slow down. OFR005_104 [104]',
      '421 4.3.2 The maximum number of concurrent connections has exceeded a limit, closing transmission channel',
    ],
  },
  {
    id: 'text.rate-limited',
    description: 'Rate, volume and recipient limits of the receiver: slow down and retry.',
    match: {
      text: [
        'too many (messages|mails|e-?mails|recipients|rcpt|transactions)',
        'rate[- ]?limit',
        'over ?limit',
        'limite de (envios?|mensagens|mensajes)',
        'connection rate',
        'trop de messages',
        String.raw`unusual (sending )?activity`,
        String.raw`(configured|allowed|permitted) limit`,
        'submission rate',
        String.raw`\bMI:SFQ\b`,
        'throttl',
        'frequency limit',
        'receiving mail (too quickly|at a rate)',
        '(excessive|unexpected|unusual|high) (volume|rate|traffic)',
        'slow down',
        'limit (exceeded|reached)',
        '(exceeded|reached) (the |a |your |its )?(connection |rate |message |sending |recipient )?(limit|quota)',
        String.raw`max(imum)? (number of )?(messages|recipients)`,
        '(sending|send|submission|outbound|daily|hourly|queue|relay) (quota|limit)',
        String.raw`per (hour|minute|day|connection)\b`,
        // Limits on the errors or bad recipients a sender may cause.
        'too many (errors|invalid|unknown|bad|failed|non-?existent)',
        String.raw`frequency of (receiving|sending)`,
      ],
      // A command or delivery agent running out of time is a timeout, not a quota.
      exceptText: ['time limit'],
    },
    type: 'Soft',
    reason: 'Refused',
    examples: [
      '450-4.2.1 The user you are trying to contact is receiving mail too quickly. Please resend your message at a later time. If the user is able to receive mail at that time, your message will be delivered. For more information, go to https://support.google.com/mail/?p=ReceivingRate',
      '421 4.7.1 Messages to jdoe@icloud.com deferred due to excessive volume. Try again later - https://support.apple.com/en-us/HT204137',
      '421 4.1.0 198.51.100.4 Throttled - try again later. Please see http://postmaster.comcast.net/smtp-error-codes.php#RL000001',
      '452 4.5.3 Too many recipients',
      '450 Sender rate overlimit - 101.3 / 1h / per_mail',
      '421 Max message per connection reached, closing transmission channel',
      '450 4.7.3 Organization queue quota exceeded.',
      '550 5.4.5 Daily user sending quota exceeded. https://support.google.com/mail/?p=ReachedDailyLimit',
    ],
  },
];

/** A deferral that blames the receiver's own system: Unreachable, not a refusal of us. */
const SYSTEM_TROUBLE = [
  'unavailable',
  'overloaded',
  'system problem',
  'local problem',
  String.raw`\b(server|system|internal|local|temporary|processing) error\b`,
];

export const TEMPORARY_RULES: BounceRuleData[] = [
  {
    id: 'text.policy-deferral',
    description:
      '"Try again later" under a 4.7.x policy code: the receiver defers us by policy (greylisting ' +
      'without the word, Gmail\'s DoS deferral, Microsoft\'s 4.7.5xx "server busy" throttling), a ' +
      'temporary refusal; only a stated system error keeps it Unreachable.',
    match: {
      enhanced: ['4.7.*'],
      text: [
        'try (again )?later',
        'please (try|retry) (again|later)',
        'retry (later|again|in)',
        'come back later',
        'deferred',
      ],
      exceptText: [
        ...SYSTEM_TROUBLE,
        // Gmail's "Try again later, closing connection. (EHLO)" reads as a session it drops.
        'closing connection',
      ],
    },
    type: 'Soft',
    reason: 'Refused',
    examples: [
      '451 4.7.500 Server busy. Please try again later from [198.51.100.1]. (S77714)',
      '451 4.7.1 Please try again later',
      '450 4.7.1 <jdoe@example.com>: Recipient address rejected: Please try again later',
    ],
  },
  {
    id: 'text.deferred-by-receiver',
    description:
      'The receiver says it deferred, rejected or blocked us for now, without a reason of its own ' +
      '(Yahoo "[GL01] temporarily deferred", Cox "temporarily rejected"): a temporary refusal.',
    match: {
      text: String.raw`temporar(y|ily) (deferr(ed|al)|reject(ed|ion)|refus(ed|al)|blocked)`,
      exceptText: [
        ...SYSTEM_TROUBLE,
        'busy',
        'resources',
        // Gmail's 4.3.0 "Mail server temporarily rejected message" is its own transient failure.
        'mail server temporarily rejected',
      ],
    },
    type: 'Soft',
    reason: 'Refused',
    examples: [
      '421 Message temporarily deferred - [160]',
      '421 cxr.mx.a.cox.net cox 203.0.113.45 temporarily rejected - AUP#CDRBL',
    ],
  },
  {
    id: 'text.verification-probe-failed',
    description:
      'Postfix could not verify the address because its probe could not reach the next server: says ' +
      'nothing of the mailbox yet, a temporary failure in the delivery chain.',
    match: {
      text: String.raw`unverified address: .{0,200}(connection (timed out|refused)|connect to |lost connection)`,
    },
    type: 'Soft',
    reason: 'Unreachable',
    examples: [
      '450 4.1.1 <jdoe@example.com>: Recipient address rejected: unverified address: connect to backend.example.com[10.0.0.5]:25: Connection timed out',
    ],
  },
  {
    id: 'text.temporary-failure',
    description:
      'Explicitly temporary wording ("try again later", "server busy") under any other code: a ' +
      'deferral somewhere in the delivery chain. Forced Soft.',
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
        'verification in progress',
        'could be reached at this time',
        'unable to chdir',
        'lock file',
      ],
    },
    type: 'Soft',
    reason: 'Unreachable',
    examples: [
      '421-4.3.0 Temporary System Problem.  Try again later (10). d2e1a72fcca58-7134b2c8e3asi1234567b3a.123 - gsmtp',
      '451 Temporary local problem - please try later',
      '451 qq temporary problem (#4.3.0)',
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
        'exceeded max(imum)? time',
        'network is unreachable',
        '(no route|unreachable) to host',
        'host (is )?unreachable',
        'closed (the )?connection',
        'did not complete in a reasonable amount of time',
        'transport error',
        'connection issue',
        String.raw`\b(etimedout|econnrefused|econnreset|ehostunreach|enetunreach)\b`,
        'cannot access mailbox',
        'points to local host',
        'network error',
        'no smtp servers were available',
        'mail transport unavailable',
        'retry time not reached',
        'time limit exceeded',
        String.raw`tried all mx(s|es)?`,
        'connection (attempt )?failed',
        'closed unexpectedly',
        String.raw`connection to .{0,60}(failed|refused|timed out)`,
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
      '554 No SMTP service here',
      'connect to mx2.example.com[198.51.100.10]:25: No route to host',
      'Remote host mx.example.com [198.51.100.9] closed connection in response to end of data',
    ],
  },
];
