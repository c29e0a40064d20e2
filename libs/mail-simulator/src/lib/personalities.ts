import {
  definePersonality,
  PersonalityConfigError,
  type ProviderPersonality,
  type ProviderPersonalityInput,
  type ReplyKind,
  type ReplyTemplate,
} from './personality-schema';

/**
 * Provider personalities are data: who answers for which domains, with which limits and in
 * which words. Texts follow what the providers publish or are widely logged, so that bounce
 * rules written against the simulator hold against the real thing. Numbers are simulator
 * defaults, not the providers' (unpublished) thresholds.
 */

/** Postfix-like replies, used for every domain without a personality and as the fallback. */
export const GENERIC_REPLIES: Record<ReplyKind, ReplyTemplate> = {
  userUnknown: { code: 550, enhanced: '5.1.1', text: '<{rcpt}>: Recipient address rejected: User unknown' },
  mailboxFull: { code: 452, enhanced: '4.2.2', text: 'Mailbox full' },
  deferred: {
    code: 451,
    enhanced: '4.3.0',
    text: '<{rcpt}>: Temporary local problem, please try again later',
  },
  greylisted: {
    code: 450,
    enhanced: '4.7.1',
    text: '<{rcpt}>: Recipient address rejected: Greylisted, try again later',
  },
  contentRejected: { code: 554, enhanced: '5.7.1', text: 'Message content rejected' },
  rateLimited: { code: 421, enhanced: '4.7.0', text: 'Too many messages, slow down' },
  tooManyConnections: {
    code: 421,
    enhanced: '4.7.0',
    text: 'Too many connections from {ip}, try again later',
  },
  tooManyRecipients: { code: 452, enhanced: '4.5.3', text: 'Too many recipients' },
  accepted: { code: 250, enhanced: '2.0.0', text: 'Ok: queued as {queueId}' },
};

const gsmtp = '{sessionId} - gsmtp';

export const GMAIL: ProviderPersonalityInput = {
  name: 'gmail',
  description: 'Gmail-like: multi-line replies, 4.7.28 rate limiting, per-IP connection cap',
  domains: ['gmail.sim', 'googlemail.sim'],
  limits: { maxConnectionsPerIp: 20, messagesPerMinutePerIp: 600, maxRecipientsPerMessage: 100 },
  replies: {
    userUnknown: {
      code: 550,
      enhanced: '5.1.1',
      text: [
        'The email account that you tried to reach does not exist. Please try',
        "double-checking the recipient's email address for typos or",
        'unnecessary spaces. For more information, go to',
        `https://support.google.com/mail/?p=NoSuchUser ${gsmtp}`,
      ],
    },
    mailboxFull: {
      code: 452,
      enhanced: '4.2.2',
      text: [
        "The recipient's inbox is out of storage space. Please direct the",
        'recipient to',
        `https://support.google.com/mail/?p=OverQuotaTemp ${gsmtp}`,
      ],
    },
    deferred: { code: 451, enhanced: '4.3.0', text: `Mail server temporarily rejected message. ${gsmtp}` },
    greylisted: {
      code: 450,
      enhanced: '4.2.1',
      text: [
        'The user you are trying to contact is receiving mail at a rate that',
        'prevents additional messages from being delivered. Please resend your',
        'message at a later time. For more information, go to',
        `https://support.google.com/mail/?p=ReceivingRate ${gsmtp}`,
      ],
    },
    contentRejected: {
      code: 550,
      enhanced: '5.7.1',
      text: [
        '[{ip}] Our system has detected that this message is',
        'likely unsolicited mail. To reduce the amount of spam sent to Gmail,',
        'this message has been blocked. For more information, go to',
        `https://support.google.com/mail/?p=UnsolicitedMessageError ${gsmtp}`,
      ],
    },
    rateLimited: {
      code: 421,
      enhanced: '4.7.28',
      text: [
        '[{ip}] Our system has detected an unusual rate of',
        'unsolicited mail originating from your IP address. To protect our',
        'users from spam, mail sent from your IP address has been temporarily',
        'rate limited. For more information, go to',
        `https://support.google.com/mail/?p=UnsolicitedRateLimitError ${gsmtp}`,
      ],
    },
    tooManyConnections: {
      code: 421,
      enhanced: '4.7.0',
      text: `Try again later, closing connection. ${gsmtp}`,
    },
    tooManyRecipients: {
      code: 452,
      enhanced: '4.5.3',
      text: [
        'Your message has too many recipients. For more information regarding',
        "Google's sending limits, visit",
        `https://support.google.com/mail/answer/6592 ${gsmtp}`,
      ],
    },
    accepted: { code: 250, enhanced: '2.0.0', text: `OK {queueId} - gsmtp` },
  },
};

const yahooSee = 'see https://postmaster.yahooinc.com/error-codes';

/** Yahoo answers several situations without an enhanced status code, as it does for real. */
export const YAHOO: ProviderPersonalityInput = {
  name: 'yahoo',
  description: 'Yahoo/AOL-like: [TSS04] deferrals, 554 "dd" unknown-user replies',
  domains: ['yahoo.sim', 'ymail.sim', 'aol.sim'],
  limits: { maxConnectionsPerIp: 10, messagesPerMinutePerIp: 300, maxRecipientsPerMessage: 100 },
  replies: {
    userUnknown: {
      code: 554,
      enhanced: null,
      text: "delivery error: dd This user doesn't have a {domain} account ({rcpt}) [0] - {hostname}",
    },
    mailboxFull: {
      code: 554,
      enhanced: null,
      text: 'delivery error: dd Sorry, your message to {rcpt} cannot be delivered. This account is over quota. - {hostname}',
    },
    deferred: {
      code: 451,
      enhanced: null,
      text: '{hostname} Resources temporarily unavailable. Please try again later [#4.16.1].',
    },
    greylisted: { code: 450, enhanced: null, text: 'User is receiving mail too quickly' },
    contentRejected: {
      code: 554,
      enhanced: '5.7.9',
      text: `Message not accepted for policy reasons. ${yahooSee}`,
    },
    rateLimited: {
      code: 421,
      enhanced: '4.7.0',
      text: `[TSS04] Messages from {ip} temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; ${yahooSee}`,
    },
    tooManyConnections: {
      code: 421,
      enhanced: '4.7.0',
      text: `[TSS04] Messages from {ip} temporarily deferred due to unexpected volume or user complaints - 4.16.56.1; ${yahooSee}`,
    },
    tooManyRecipients: { code: 452, enhanced: '4.5.3', text: 'Too many recipients' },
    accepted: { code: 250, enhanced: null, text: 'ok dirdel' },
  },
};

export const OUTLOOK: ProviderPersonalityInput = {
  name: 'outlook',
  description: 'Outlook.com/Hotmail-like: 5.5.0 unknown user, 4.7.500 server busy',
  domains: ['outlook.sim', 'hotmail.sim', 'live.sim', 'msn.sim'],
  limits: { maxConnectionsPerIp: 10, messagesPerMinutePerIp: 300, maxRecipientsPerMessage: 100 },
  replies: {
    userUnknown: {
      code: 550,
      enhanced: '5.5.0',
      text: 'Requested action not taken: mailbox unavailable (S2017062302). [{hostname}]',
    },
    mailboxFull: {
      code: 552,
      enhanced: '5.2.2',
      text: 'Requested mail action aborted: exceeded storage allocation [{hostname}]',
    },
    deferred: {
      code: 451,
      enhanced: '4.7.500',
      text: 'Server busy. Please try again later from [{ip}]. (S77714) [{hostname}]',
    },
    greylisted: {
      code: 451,
      enhanced: '4.7.500',
      text: 'Server busy. Please try again later from [{ip}]. (S77719) [{hostname}]',
    },
    contentRejected: {
      code: 550,
      enhanced: '5.7.520',
      text: 'Message blocked because it contains content identified as spam. AS(4810) [{hostname}]',
    },
    rateLimited: {
      code: 451,
      enhanced: '4.7.650',
      text: 'The mail server [{ip}] has been temporarily rate limited due to IP reputation. (S775) [{hostname}]',
    },
    tooManyConnections: {
      code: 421,
      enhanced: '4.3.2',
      text: 'The maximum number of concurrent server connections has exceeded a limit, closing transmission channel',
    },
    tooManyRecipients: { code: 452, enhanced: '4.5.3', text: 'Too many recipients (AS780090) [{hostname}]' },
    accepted: { code: 250, enhanced: '2.6.0', text: '<{queueId}@{hostname}> Queued mail for delivery' },
  },
};

export const BUILT_IN_PERSONALITIES: readonly ProviderPersonalityInput[] = [GMAIL, YAHOO, OUTLOOK];

/** Answers every domain no other personality claims; no limits, so benchmarks are unthrottled. */
export const GENERIC_PERSONALITY: ProviderPersonality = {
  name: 'generic',
  description: 'Postfix-like replies, no limits',
  domains: ['*'],
  limits: {},
  replies: GENERIC_REPLIES,
};

/** Validates a personality list; errors name the personality and the field. */
export function validatePersonalities(inputs: readonly unknown[]): ProviderPersonality[] {
  const list = inputs.map((input, i) => definePersonality(input, GENERIC_REPLIES, `personalities[${i}]`));
  const owner = new Map<string, string>();
  const names = new Set<string>();
  for (const p of list) {
    if (names.has(p.name)) throw new PersonalityConfigError(`Duplicate simulator personality "${p.name}"`);
    names.add(p.name);
    for (const domain of p.domains) {
      const other = owner.get(domain);
      if (other) {
        throw new PersonalityConfigError(
          `Simulator personality "${p.name}": domains: ${domain} is already claimed by "${other}"`,
        );
      }
      owner.set(domain, p.name);
    }
  }
  return list;
}
