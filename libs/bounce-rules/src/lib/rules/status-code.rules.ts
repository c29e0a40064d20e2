import type { BounceRuleData } from '../bounce-rule.schema';

/**
 * RFC 3463 enhanced status codes: the fallback when no wording was recognised. Subject and detail
 * map to a Campaign reason; the reply class decides Soft/Hard except for a full mailbox.
 */
export const ENHANCED_CODE_RULES: BounceRuleData[] = [
  {
    id: 'esc.bad-mailbox',
    description:
      'X.1.1 bad destination mailbox, X.1.10 (Exchange RecipientNotFound; RFC 7505 null MX is matched by text).',
    match: { enhanced: ['*.1.1', '*.1.10'] },
    type: 'ByClass',
    reason: 'UserUnknown',
    examples: [
      '550 5.1.1 <jdoe@example.com>: Recipient address rejected: example.com',
      '450 4.1.1 <jdoe@example.com>: unverified address',
    ],
  },
  {
    id: 'esc.bad-address-other',
    description:
      'X.1.0 other address status, X.1.3 bad syntax, X.1.4 ambiguous, X.1.6 moved, X.1.9 non-SMTP.',
    match: { enhanced: ['*.1.0', '*.1.3', '*.1.4', '*.1.6', '*.1.9'] },
    type: 'ByClass',
    reason: 'UserUnknown',
    examples: [
      '550 5.1.0 Address rejected.',
      '553 5.1.3 <jdoe@@example.com>... Hostname required',
      '550 5.1.6 Recipient has moved',
    ],
  },
  {
    id: 'esc.bad-destination-system',
    match: { enhanced: ['*.1.2'] },
    type: 'ByClass',
    reason: 'InvalidDomain',
    examples: ['550 5.1.2 <jdoe@example.invalid>: Recipient address rejected'],
  },
  {
    id: 'esc.bad-sender',
    description: 'X.1.7 / X.1.8: our sender address is refused, not the recipient.',
    match: { enhanced: ['*.1.7', '*.1.8'] },
    type: 'ByClass',
    reason: 'Refused',
    examples: ['553 5.1.7 The sender address <bounce@mail.example.com> is not a valid RFC 5321 address.'],
  },
  {
    id: 'esc.mailbox-full',
    match: { enhanced: ['*.2.2'] },
    type: 'Soft',
    reason: 'MailboxFull',
    examples: ['552 5.2.2 <jdoe@example.com>... Requested mail action aborted'],
  },
  {
    id: 'esc.mailbox-disabled',
    match: { enhanced: ['*.2.1'] },
    type: 'ByClass',
    reason: 'AccountDisabled',
    examples: ['550 5.2.1 <jdoe@example.com>: Recipient address rejected'],
  },
  {
    id: 'esc.limits',
    description:
      'X.2.3 message length over an administrative limit, X.3.4 message too big for the system, X.5.3 ' +
      'too many recipients: size and volume limits of the receiver, Refused.',
    match: { enhanced: ['*.2.3', '*.3.4', '*.5.3'] },
    type: 'ByClass',
    reason: 'Refused',
    examples: ['552 5.3.4 Requested action not taken', '452 4.5.3 Requested action aborted'],
  },
  {
    id: 'esc.mailbox-other',
    description:
      'X.2.0 other mailbox status, X.2.3 message over the mailbox size limit, X.2.4 list expansion.',
    match: { enhanced: ['*.2.*'] },
    type: 'ByClass',
    reason: 'Unreachable',
    examples: [
      '450 4.2.0 <jdoe@example.com>: Recipient address rejected: Try again',
      '550 5.2.4 Mailing list expansion problem',
    ],
  },
  {
    id: 'esc.mail-system',
    match: { enhanced: ['*.3.*'] },
    type: 'ByClass',
    reason: 'Unreachable',
    examples: ['452 4.3.5 System incorrectly configured', '554 5.3.0 Other or undefined mail system status'],
  },
  {
    id: 'esc.unable-to-route',
    description:
      'X.4.4 "unable to route": no next hop could be found for the domain (only an SOA, no MX or address ' +
      'record), Invalid domain.',
    match: { enhanced: ['*.4.4'] },
    type: 'ByClass',
    reason: 'InvalidDomain',
    examples: ['#550 5.4.4 ROUTING.NoNextHop; unable to route ##', '451 4.4.4 Unable to route'],
  },
  {
    id: 'esc.delivery-expired',
    description: 'X.4.7 "delivery time expired": expired in a queue, Soft whatever the class.',
    match: { enhanced: ['*.4.7'] },
    type: 'Soft',
    reason: 'Unreachable',
    examples: ['554 5.4.7 [internal] exceeded max retries', '551 5.4.7 Gave up'],
  },
  {
    id: 'esc.network-routing',
    match: { enhanced: ['*.4.*'] },
    type: 'ByClass',
    reason: 'Unreachable',
    examples: ['421 4.4.1 No answer from host', '421 4.4.2 Connection dropped'],
  },
  {
    id: 'esc.protocol',
    description: 'X.5.x protocol errors: a failure in the delivery chain, not a property of the address.',
    match: { enhanced: ['*.5.*'] },
    type: 'ByClass',
    reason: 'Unreachable',
    examples: ['503 5.5.1 Bad sequence of commands', '500 5.5.2 Syntax error, command unrecognized'],
  },
  {
    id: 'esc.content',
    match: { enhanced: ['*.6.*'] },
    type: 'ByClass',
    reason: 'Refused',
    examples: ['554 5.6.1 Body type not supported by remote host'],
  },
  {
    id: 'esc.security-policy',
    match: { enhanced: ['*.7.*'] },
    type: 'ByClass',
    reason: 'Refused',
    examples: ['550 5.7.1 Message rejected', '454 4.7.0 Cannot accept this message now'],
  },
];

/** Basic reply codes (RFC 5321) for replies with neither recognised wording nor an enhanced code. */
export const REPLY_CODE_RULES: BounceRuleData[] = [
  {
    id: 'code.551-user-not-local',
    match: { codes: ['551'] },
    type: 'ByClass',
    reason: 'UserUnknown',
    examples: ['551 User not local; please try <jdoe@other.example>'],
  },
  {
    id: 'code.550-553-mailbox-words',
    description:
      '550/553 mean "mailbox unavailable / name not allowed" but are also used for policy. Only read as ' +
      'user unknown when the text speaks of the mailbox; otherwise left Not defined for qualification.',
    match: {
      codes: ['550', '553'],
      text: String.raw`\b(user|mailbox|recipient|rcpt|address|account|addressee)\b`,
      exceptText: [
        String.raw`\bsender\b`,
        String.raw`\bfrom\b`,
        String.raw`\byour\b`,
        'not (allowed|permitted)',
      ],
    },
    type: 'ByClass',
    reason: 'UserUnknown',
    examples: [
      '550 <jdoe@example.com>: Recipient address rejected',
      '553 5.0.0 <jdoe@example.com>... Address not accepted',
    ],
  },
  {
    id: 'code.552-storage',
    description:
      'RFC 5321: 552 is "exceeded storage allocation"; sizes and mailbox-not-found were matched earlier.',
    match: { codes: ['552'] },
    type: 'Soft',
    reason: 'MailboxFull',
    examples: ['552 Requested mail action aborted'],
  },
  {
    id: 'code.521-556-no-mail',
    description: 'RFC 7504: the host / domain does not accept mail.',
    match: { codes: ['521', '556'] },
    type: 'ByClass',
    reason: 'InvalidDomain',
    examples: ['521 mx.example.com rejects all mail'],
  },
  {
    id: 'code.53x-authentication',
    match: { codes: ['53x'] },
    type: 'ByClass',
    reason: 'Refused',
    examples: ['535 Incorrect authentication data'],
  },
  {
    id: 'code.50x-protocol',
    match: { codes: ['50x'] },
    type: 'ByClass',
    reason: 'Unreachable',
    examples: ['501 Syntax error in parameters or arguments', '502 Command not implemented'],
  },
  {
    id: 'code.refusal-words',
    description:
      'A reply that only says it was rejected, refused or denied, with no code or wording that tells ' +
      'why: the receiver blocked it, Refused, typed by class.',
    match: {
      codes: ['4xx', '5xx'],
      text: String.raw`\b(reject(ed|ion|s)?|refus(ed|e|al)|denied|blocked|not accepted|declined|prohibited|disallowed|abgelehnt|rejet[ée]e?|rechazado)\b`,
    },
    type: 'ByClass',
    reason: 'Refused',
    examples: ['550 Message rejected', '554 Rejected', '451 Not accepted'],
  },
  {
    id: 'code.4xx-transient',
    description: 'Any other 4xx: a transient failure somewhere in the delivery chain.',
    match: { codes: ['4xx'] },
    type: 'Soft',
    reason: 'Unreachable',
    examples: [
      '450 Requested mail action not taken: mailbox unavailable',
      '452 Requested action not taken: insufficient system storage',
      '421 mx.example.com closing connection',
    ],
  },
  {
    id: 'catch-all',
    description:
      'Unmatched: recorded as Not defined for later qualification; the caller retries by isPermanent().',
    match: {},
    type: 'NotDefined',
    reason: 'NotDefined',
    examples: ['Unexpected end of input', '554 Transaction failed', '550 Sorry, cannot proceed'],
  },
];
