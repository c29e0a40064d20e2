import type { BounceRuleData } from '../bounce-rule.schema';

/**
 * Provider-specific wordings whose codes or generic words mislead the later rules. Each rule says
 * which later rule it would otherwise lose to, so a reviewer can tell whether it is still needed.
 */
export const PROVIDER_RULES: BounceRuleData[] = [
  {
    id: 'provider.cpanel.account-or-domain-may-not-exist',
    description: 'cPanel/Exim user-unknown text mentions "blacklisted" and would be read as a blocklist hit.',
    match: { text: 'the account or domain may not exist' },
    type: 'ByClass',
    typeWithoutCode: 'Hard',
    reason: 'UserUnknown',
    examples: [
      '550 The mail server could not deliver mail to jdoe@example.com.  The account or domain may not exist, they may be blacklisted, or missing the proper dns entries.',
    ],
  },
  {
    id: 'provider.microsoft.directory-edge-blocking',
    description:
      'Exchange Online rejects unknown recipients of DBEB tenants with 5.4.1 "Access denied": a user ' +
      'unknown, not a policy block (would otherwise hit text.policy "access denied").',
    match: { enhanced: ['*.4.1'], text: 'recipient address rejected: access denied' },
    type: 'ByClass',
    reason: 'UserUnknown',
    examples: [
      '550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [DB5EUR03FT052.eop-EUR03.prod.protection.outlook.com 2024-03-01T10:11:12.123Z 08DC3A1B2C3D4E5F]',
      '550 5.4.1 Recipient address rejected: Access denied. For more information see https://aka.ms/EXOSmtpErrors [AM4PEPF00027A6C.eurprd04.prod.outlook.com]',
    ],
  },
  {
    id: 'provider.microsoft.directory-edge-blocking-code',
    description: 'AS(201806281) is the DBEB unknown-recipient code, whatever enhanced code accompanies it.',
    match: { text: String.raw`AS\(201806281\)` },
    type: 'ByClass',
    reason: 'UserUnknown',
    examples: ['550 5.7.1 Recipient address rejected: Access denied. AS(201806281)'],
  },
  {
    id: 'provider.mailbox-not-found-or-access-denied',
    description:
      'QQ and NetEase word an unknown mailbox "mailbox not found or access denied"; "access denied" would ' +
      'read as a block. Their "mailbox unavailable or access denied" is the recipient refusing us, and ' +
      'is left to the refusal rules.',
    match: { text: 'mailbox not found or access denied' },
    type: 'ByClass',
    reason: 'UserUnknown',
    examples: ['550 Mailbox not found or access denied'],
  },
  {
    id: 'provider.mailbox-unavailable-or-access-denied-5.1.1',
    description: 'The same wording under 5.1.1: the enhanced code says the mailbox does not exist.',
    match: { enhanced: ['*.1.1'], text: 'mailbox (unavailable|not available) or access denied' },
    type: 'ByClass',
    reason: 'UserUnknown',
    examples: ['550 5.1.1 <jdoe@example.com> Mailbox unavailable or access denied'],
  },
  {
    id: 'provider.netease.codes',
    description:
      'NetEase (163.com, 126.com, yeah.net) tags every refusal with a code (DT:SPM spam, DT:RBL blocklist, ' +
      'MI:SFQ sender frequency, HL:REP reputation, RP:RCL recipient count …) and a link to its spam help; ' +
      'HL:ICC (too many connections) is left to the connection rule.',
    match: {
      text: String.raw`\b(DT|HL|MI|RP|SM|IP|CM|MF):[A-Z]{2,4}\b`,
      exceptText: [String.raw`\bHL:ICC\b`],
    },
    type: 'ByClass',
    reason: 'Refused',
    examples: [
      '421 HL:REP 163 mx12,CsCowAD3s0WX3ENm8TgBAA--.24181S2 1715760001,please see http://mail.163.com/help/help_spam_16.htm?ip=198.51.100.57',
      '554 DT:SPM 163 mx12,GsCowAD3rN1Av1RmtHk5AA--.12345S2 1700000000 ,please see http://mail.163.com/help/help_spam_16.htm',
    ],
  },
  {
    id: 'provider.postfix.postscreen',
    description:
      'Postfix postscreen turns away a client that failed its DNSBL or protocol tests with "Service ' +
      'currently unavailable" under 5.3.2: a refusal of our IP, not a receiver that is down (its 450 is ' +
      'a deferral while tests run).',
    match: { codes: ['5xx'], enhanced: ['*.3.2'], text: 'service currently unavailable' },
    type: 'ByClass',
    reason: 'Refused',
    examples: ['550 5.3.2 Service currently unavailable'],
  },
  {
    id: 'provider.microsoft.network-block-list',
    description: 'Outlook.com / Office 365 IP reputation blocks (S3150, SC-/OU-/DY- codes).',
    match: {
      text: [
        String.raw`\(S3\d{3}\)`,
        'part of their network is on our block list',
        String.raw`\b(SC|OU|DY)-00\d\b`,
      ],
    },
    type: 'ByClass',
    reason: 'Refused',
    examples: [
      "550 5.7.1 Unfortunately, messages from [203.0.113.9] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors. [AM2PEPF0001C70D.eurprd05.prod.outlook.com]",
      "550 SC-001 (BAY004-MC3F47) Unfortunately, messages from 198.51.100.23 weren't sent. Please contact your Internet service provider since part of their network is on our block list. You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors.",
      "550 OU-002 (COL004-MC1F23) Unfortunately, messages from 198.51.100.8 weren't sent. Please contact your Internet service provider. You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors.",
    ],
  },
  {
    id: 'provider.microsoft.rate-policy',
    description: 'Outlook.com RP-00x: per-hour/day limits tied to IP reputation (Refused, Soft while 4xx).',
    match: { text: String.raw`\bRP-00\d\b` },
    type: 'ByClass',
    reason: 'Refused',
    examples: [
      "421 RP-001 (BAY004-MC1F13) Unfortunately, some messages from 198.51.100.12 weren't sent. Please try again. We have limits for how many messages can be sent per hour and per day. You can also refer to http://mail.live.com/mail/troubleshooting.aspx#errors.",
    ],
  },
  {
    id: 'provider.gmx.sender-dns',
    description:
      'GMX/web.de reject a sender domain without proper DNS with a "mailbox unavailable" first line; the ' +
      'recipient is fine (would otherwise hit text.mailbox-unavailable).',
    match: { text: [String.raw`invalid dns (mx|ptr|a/aaaa)`, 'bad dns ptr resource record'] },
    type: 'ByClass',
    reason: 'Refused',
    examples: [
      '550-Requested action not taken: mailbox unavailable\r\n550 invalid DNS MX or A/AAAA resource record',
      '554-gmx.net (mxgmx014) Nemesis ESMTP Service not available\r\n554-No SMTP service\r\n554-Bad DNS PTR resource record.\r\n554 For explanation visit https://postmaster.gmx.net/en/case?c=r0601&i=ip&v=198.51.100.3&r=1MQ3Xb-1rEwJd0ZJb',
    ],
  },
  {
    id: 'provider.gmail.no-such-user',
    match: { text: ['email account that you tried to reach does not exist', 'p=NoSuchUser'] },
    type: 'ByClass',
    reason: 'UserUnknown',
    examples: [
      "550-5.1.1 The email account that you tried to reach does not exist. Please try\r\n550-5.1.1 double-checking the recipient's email address for typos or\r\n550-5.1.1 unnecessary spaces. For more information, go to\r\n550 5.1.1  https://support.google.com/mail/?p=NoSuchUser a640c23a62f3a-a9a2b8c1e2bsi1234567b.512 - gsmtp",
    ],
  },
  {
    id: 'provider.gmail.account-disabled',
    match: { text: ['email account that you tried to reach is (disabled|inactive)', 'p=DisabledUser'] },
    type: 'ByClass',
    reason: 'AccountDisabled',
    examples: [
      '550-5.2.1 The email account that you tried to reach is disabled. Learn more at\r\n550 5.2.1  https://support.google.com/mail/?p=DisabledUser d75a77b69052e-45f3c1a2b3si1234567cf.321 - gsmtp',
      '550 5.2.1 The email account that you tried to reach is inactive. For more information, go to https://support.google.com/mail/?p=DisabledUser',
    ],
  },
  {
    id: 'provider.gmail.over-quota',
    description:
      'Gmail says "inactive" for long-full inboxes (OverQuotaPerm); still a full mailbox, so Soft.',
    match: {
      text: [
        'email account that you tried to reach is over quota',
        "recipient's inbox is out of storage space",
        'p=OverQuota(Temp|Perm)',
      ],
    },
    type: 'Soft',
    reason: 'MailboxFull',
    examples: [
      '452-4.2.2 The email account that you tried to reach is over quota. Please direct\r\n452-4.2.2 the recipient to\r\n452 4.2.2  https://support.google.com/mail/?p=OverQuotaTemp s7si1234567pgv.123 - gsmtp',
      "552-5.2.2 The recipient's inbox is out of storage space and inactive. Please direct the recipient to\r\n552 5.2.2  https://support.google.com/mail/?p=OverQuotaPerm 5b1f17b1804b1-43a1b2c3d4esi1234567f9.123 - gsmtp",
    ],
  },
  {
    id: 'provider.gmail.unsolicited-rate',
    description: 'Gmail throttling for unsolicited volume is a reputation refusal, not an unreachable host.',
    match: { text: ['unusual rate of (unsolicited )?mail', 'UnsolicitedRateLimitError'] },
    type: 'ByClass',
    reason: 'Refused',
    examples: [
      '421-4.7.28 [198.51.100.4      15] Gmail has detected an unusual rate of unsolicited mail originating\r\n421-4.7.28 from your IP address. To protect our users from spam, mail sent from your IP\r\n421-4.7.28 address has been temporarily rate limited. To review our bulk email senders\r\n421 4.7.28 guidelines, go to https://support.google.com/mail/?p=UnsolicitedRateLimitError - gsmtp',
      '550-5.7.1 [198.51.100.4] Our system has detected an unusual rate of unsolicited mail originating from your IP address. To protect our users from spam, mail sent from your IP address has been blocked.',
    ],
  },
  {
    id: 'provider.gmail.rate-limited',
    description: 'Any other Gmail 4.7.28 (e.g. duplicate Message-ID quota): sender-side refusal.',
    match: { enhanced: ['*.7.28'] },
    type: 'ByClass',
    reason: 'Refused',
    examples: [
      '421-4.7.28 Gmail has detected this message exceeded its quota for sending messages with the same Message-ID:. To best protect our users, the message has been temporarily rejected.',
    ],
  },
  {
    id: 'provider.yahoo.permanent-deferral',
    description:
      'Yahoo/AOL TS03 and TSS09 say it in words: "permanently deferred; Retrying will NOT succeed". A ' +
      'refusal for good even under 421.',
    match: { text: ['will be permanently deferred', 'retrying will not succeed'] },
    type: 'Hard',
    reason: 'Refused',
    examples: [
      '421 4.7.0 [TS03] All messages from 198.51.100.1 will be permanently deferred; Retrying will NOT succeed. See https://postmaster.yahooinc.com/error-codes',
    ],
  },
  {
    id: 'provider.yahoo.ts-deferral',
    description:
      'Yahoo/AOL [TSxx] codes defer (TS01-04) or permanently refuse (TSS09/11) an IP for volume or ' +
      'complaints: reputation, so Refused, Soft while 4xx. IPTS04 often arrives without any code.',
    match: {
      text: [
        String.raw`\b(IP)?TSS?\d\d\b`,
        'temporarily deferred due to (unexpected volume|user complaints)',
      ],
    },
    type: 'ByClass',
    reason: 'Refused',
    examples: [
      '421 4.7.0 [TSS04] Messages from 192.0.2.25 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes',
      '421 4.7.0 [TS01] Messages from 203.0.113.7 temporarily deferred due to user complaints - 4.16.55.1; see https://help.yahoo.com/kb/postmaster/SLN3434.html',
      'IPTS04: Messages from 198.51.100.77 temporarily deferred due to user complaints',
    ],
  },
  {
    id: 'provider.aol.reject-codes',
    description:
      'AOL (RTR/RLY/HVU/CON/DYN) codes are IP or content blocks; 521 5.2.1 is not a disabled mailbox.',
    match: {
      // With or without the parentheses: older replies wrote "554 RLY:B1 https://...".
      text: [
        String.raw`(\(|\b)(RTR|RLY|HVU|CON|DYN|MFF|DMARC):[A-Z0-9]+(\)|\b)`,
        'aol will not accept delivery',
      ],
    },
    type: 'ByClass',
    reason: 'Refused',
    examples: [
      '554 5.7.1 : (RTR:BL) https://postmaster.aol.com/error-codes#554rtrbl',
      '421 4.7.1 : (DYN:T1) https://postmaster.aol.com/error-codes#421dynt1',
      '521 5.2.1 :  AOL will not accept delivery of this message.',
    ],
  },
  {
    id: 'provider.orange.mail-rejected',
    description:
      'Orange/Wanadoo content rejection (OFR_506), worded too generically for text.spam-or-content.',
    match: { text: String.raw`mail rejet[ée]\. mail rejected` },
    type: 'ByClass',
    reason: 'Refused',
    examples: ['550 5.7.1 Mail rejete. Mail rejected. OFR_506 [506]'],
  },
  {
    id: 'provider.t-online.blocked',
    description: 'T-Online answers a blocked IP with "A problem occurred ... (BL)".',
    match: { text: [String.raw`tosa@rx\.t-online\.de`, String.raw`\(BL\)`] },
    type: 'ByClass',
    reason: 'Refused',
    examples: [
      '554 IP=198.51.100.1 - A problem occurred. (Ask your postmaster for help or to contact tosa@rx.t-online.de to clarify.) (BL)',
    ],
  },
  {
    id: 'provider.barracuda.blocked-recipient',
    description:
      'Barracuda per-recipient block; the generic "permanent failure" words say nothing about the mailbox.',
    match: { text: String.raw`permanent failure for one or more recipients \([^)]*:\s*blocked\)` },
    type: 'ByClass',
    reason: 'Refused',
    examples: ['550 permanent failure for one or more recipients (jdoe@example.com:blocked)'],
  },
  {
    id: 'provider.lotus-domino.not-listed',
    description:
      'Domino user unknown ("not listed in Domino Directory") would hit the "listed in" blocklist wording.',
    match: { text: 'not listed in (the )?(domino directory|public name|name & address book)' },
    type: 'ByClass',
    typeWithoutCode: 'Hard',
    reason: 'UserUnknown',
    examples: ["550 5.0.0 jdoe@example.com's address is not listed in Domino Directory"],
  },
];
