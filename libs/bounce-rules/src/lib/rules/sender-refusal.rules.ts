import type { BounceRuleData } from '../bounce-rule.schema';

/**
 * Refusals of our envelope sender, our relaying or our authentication. Campaign "Refused" is typed
 * Soft / Hard: a 5xx refusal is Hard, a 4xx one Soft. Sender rules run before the recipient rules so
 * that "Sender address rejected: Domain not found" never quarantines the recipient. TLS failures come
 * first: whoever insisted on TLS, the session broke in the delivery chain ("Unreachable").
 */
export const SENDER_REFUSAL_RULES: BounceRuleData[] = [
  {
    id: 'text.tls',
    description:
      'TLS could not be negotiated or was required and missing (STARTTLS, handshake, certificate, ' +
      'MTA-STS / DANE): a TLS failure, Campaign "Unreachable", typed by class.',
    match: {
      text: [
        String.raw`\b(tls|ssl)\b`,
        'starttls',
        'handshake',
        'certificate',
        'mta-sts',
        String.raw`\bdane\b`,
        String.raw`\btlsa\b`,
        'encryption (is )?(required|needed)',
      ],
      // "Client host rejected: ... TLS" style blocks of our IP stay refusals.
      exceptText: ['blocked', 'black ?list', 'block ?list', 'spam', 'reputation', 'too many'],
    },
    type: 'ByClass',
    reason: 'Unreachable',
    examples: [
      '421-4.7.0 TLS required for RCPT domain, closing connection.',
      'TLS is required, but was not offered by host mx.example.com[198.51.100.9]',
      '530 5.7.0 Must issue a STARTTLS command first',
      'Cannot start TLS: handshake failure',
      'Server certificate not verified',
      '421 4.7.66 TLS 1.0 and 1.1 are not supported. Please upgrade/update your client to support TLS 1.2.',
    ],
  },
  {
    id: 'text.sender-rejected',
    description: 'Envelope sender or sender domain refused: never a fault of the recipient address.',
    match: {
      text: [
        'sender address rejected',
        String.raw`sender'?s? address (was |is )?not (allowed|accepted|permitted)`,
        'sender (verify|verification|callout)',
        'verification failed for',
        'sender (is )?denied',
        '(invalid|unknown|bad) sender',
        'sender (domain|address) (does not exist|must exist|not found|is invalid|unresolvable|resolve fail)',
        'domain of sender address',
        'envelope sender',
        'unroutable sender',
        'emetteur invalide',
        'not owned by user',
        'invalid return[- ]path',
        'null sender',
        'empty envelope senders',
        'badmailfrom',
        String.raw`unresolvable rfc\.?5321`,
        'sender .{0,40}(blacklisted|blocked|rejected|not allowed|refused)',
        String.raw`sender (address |domain )?(has|with) (a )?null mx`,
        String.raw`sender (address |domain )?(has|with) no (mx|a|valid|dns)`,
        'required for sender address',
        'valid mx for sender',
        'address is not verified',
        'identities failed the check',
        'sandbox subdomains',
      ],
    },
    type: 'ByClass',
    typeWithoutCode: 'Hard',
    reason: 'Refused',
    examples: [
      '450 4.1.8 <bounce@mail.example.com>: Sender address rejected: Domain not found',
      '553 5.1.8 <bounce@mail.example.com>... Domain of sender address bounce@mail.example.com does not exist',
      '501 5.1.0 Emetteur invalide. Invalid Sender. OFR004_405 [405]',
      '550-Verification failed for <bounce@mail.example.com>\r\n550-Unrouteable address\r\n550 Sender verify failed',
      '553 sorry, your envelope sender domain must exist (#5.7.1)',
      '451 Message temporarily deferred due to unresolvable RFC.5321 from domain. See https://senders.yahooinc.com/error-codes#unresolvable-from-domain',
      '550 5.7.27 Sender address has null MX',
    ],
  },
  {
    id: 'text.sender-account',
    description:
      'The sending account or identity is not allowed to send (suspended, paused, unverified, a ' +
      'From the receiver or relay will not take): a refusal of our sender, typed by class.',
    match: {
      text: [
        String.raw`sending (for|from|by|on) (this|your) account`,
        String.raw`your (\S+ )?account (has been |is |was )?(temporarily |permanently )?(suspended|paused|disabled|blocked|deactivated|restricted|under review|not (yet )?activated|pending)`,
        'account (is )?(under review|under validation|pending approval)',
        'not allowed to send',
        'sender restrictions',
        'sender identity',
        String.raw`(sender|sending|from) (domain|address|identity)( \S+)? (is )?not (verified|confirmed|authori[sz]ed|allowed|owned)`,
        'not a (verified|confirmed) sender',
        String.raw`(blank|empty|missing|invalid) from:? (address|header)`,
        'provide a valid from',
        String.raw`\bfrom:? domain( \S+)? (is )?(invalid|not valid)`,
        String.raw`sending (is |has been )?(paused|disabled|suspended)`,
      ],
    },
    type: 'ByClass',
    typeWithoutCode: 'Hard',
    reason: 'Refused',
    examples: [
      '550 message sending for this account is disabled',
      '550 Your account has been suspended. Please contact support.',
      '550 The from address does not match a verified Sender Identity. Mail cannot be sent until this error is resolved.',
      '550 jdoe@example.com Blank From: addresses are not allowed. Provide a valid From. IB501',
      'Mail sent by user nobody being discarded due to sender restrictions',
    ],
  },
  {
    id: 'text.relay-denied',
    description:
      'The host will not take mail for the recipient domain from us (relaying denied): a refusal by ' +
      "the receiver's policy, typed by the reply class.",
    match: {
      text: [
        'relay(ing)? (access )?(denied|not permitted|not allowed|prohibited|refused|disallowed)',
        'unable to relay',
        'relaying to .{1,80} (prohibited|denied|not allowed)',
        "(not|isn't) allowed to relay",
        'allowed rcpthosts',
        'open relay (is )?not allowed',
        'we do not relay',
        'not a gateway',
        'not permitted to relay',
      ],
    },
    type: 'ByClass',
    typeWithoutCode: 'Hard',
    reason: 'Refused',
    examples: [
      '554 5.7.1 <jdoe@example.com>: Relay access denied',
      '550 5.7.1 Unable to relay for jdoe@example.com',
      "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)",
      '550 5.7.1 <jdoe@example.com>... Relaying denied. Proper authentication required.',
      '451 Open relay not allowed - https://community.mimecast.com/docs/DOC-1369#451 [Q3bHk2MBNZiJbUaW2gM1Kw.uk123]',
    ],
  },
  {
    id: 'text.authentication',
    description: 'SPF / DKIM / DMARC or SMTP-AUTH failures: the receiver refuses our mail stream.',
    match: {
      text: [
        String.raw`\bdmarc\b`,
        String.raw`\bspf\b`,
        String.raw`\bdkim\b`,
        'sender policy framework',
        'unauthenticated',
        'not authenticated',
        'authentication (is )?(required|failed|failure|checks|requirements|level)',
        '(fails?|failed) to pass (spf|dkim|authentication)',
        'failed to authenticate',
      ],
    },
    type: 'ByClass',
    typeWithoutCode: 'Hard',
    reason: 'Refused',
    examples: [
      "550-5.7.26 Unauthenticated email from example.com is not accepted due to domain's\r\n550-5.7.26 DMARC policy. Please contact the administrator of example.com domain if\r\n550 5.7.26 this was a legitimate mail. https://support.google.com/mail/answer/2451690 - gsmtp",
      '550 5.7.509 Access denied, sending domain EXAMPLE.COM does not pass DMARC verification and has a DMARC policy of reject.',
      '550 5.7.9 This mail has been blocked because the sender is unauthenticated. Yahoo requires all senders to authenticate with either SPF or DKIM.',
      '571 5.7.1 Message refused, DMARC verification Failed. Message refuse, verification DMARC en echec LPN007_517',
      '550 5.7.23 The message was rejected because of Sender Policy Framework violation',
      '550 5.7.133 RESOLVER.RST.SenderNotAuthenticatedForGroup; authentication required; Delivery restriction check failed as sender not authenticated',
      '421-4.7.26 This mail has been rate limited because it is unauthenticated. Gmail requires all senders to authenticate with either SPF or DKIM.',
    ],
  },
];
