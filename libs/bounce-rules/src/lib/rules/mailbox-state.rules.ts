import type { BounceRuleData } from '../bounce-rule.schema';

/**
 * Full and disabled mailboxes. They run before the refusal rules because their texts are specific
 * and servers send them under misleading codes ("552 5.1.1 Boite du destinataire pleine",
 * "550 5.5.0 Le compte du destinataire est bloque"). Both exclude sender-side wording, which would
 * mean OUR account or IP, not the recipient's mailbox.
 */
export const MAILBOX_STATE_RULES: BounceRuleData[] = [
  {
    id: 'text.mailbox-full',
    description:
      'Over quota: temporary by nature, Soft even under 5xx (Campaign: Soft, valid again after 30 days).',
    match: {
      text: [
        String.raw`(mail ?box|inbox|mail ?folder|maildir|postfach|bo[iî]te( aux lettres)?|casella( di posta)?|buz[oó]n)( \S+){0,3}( is| est| ist| è)? (full|plein|pleine|voll|piena|llen[oa]|out of (storage|space))`,
        String.raw`over ?(the )?(allowed |mailbox |storage |disk )?quota`,
        'quota (exceeded|exceed|violation|full)',
        String.raw`exceeded (the |his |her |their |its )?(storage allocation|(disk |storage |mailbox )?quota)`,
        String.raw`(disk|storage|mailbox|user|recipient|account)( \S+)? quota`,
        'mailbox size limit',
        'full mailbox',
        '(mailbox|user) has exceeded',
        'out of storage',
        'not enough (storage|space|disk)',
        String.raw`insufficient (storage|space|quota) (in|for|on) (the )?(mailbox|user|account|recipient)`,
        'quotaexceeded',
        'too many messages (in|on) (the |this )?(mailbox|server)',
        String.raw`quota d[ée]pass[ée]`,
        'speicherplatz',
        'speichervolumen',
        String.raw`exhausted (the |its |his |her )?(allowed )?(storage|disk) ?space`,
        String.raw`(disk ?space|diskspace) quota`,
        // Postfix local(8) at mailbox_size_limit.
        String.raw`cannot update mailbox .{0,200}file too large`,
      ],
      exceptText: [
        String.raw`send(ing)? (quota|limit)`,
        'outbound',
        'submission',
        'daily',
        'hourly',
        String.raw`per (hour|day|minute)`,
        String.raw`\brate\b`,
        'queue',
        'message-id',
      ],
    },
    type: 'Soft',
    reason: 'MailboxFull',
    examples: [
      '552 5.2.2 <jdoe@example.com>: user is over quota',
      '452 4.2.2 Mailbox full',
      '554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException.MapiExceptionShutoffQuotaExceeded; Failed to process message due to a permanent exception with message [BeginDiagnosticData]Cannot open mailbox /o=ExchangeLabs/ou=Exchange Administrative Group',
      '552 5.1.1 <jdoe@orange.fr>: Boite du destinataire pleine. Recipient overquota. OFR_417 [417]',
      '552-Requested mail action aborted: exceeded storage allocation\r\n552 For explanation visit https://postmaster.web.de/en/case?c=m0101&i=ip',
      '550 5.2.2 The users mailfolder is over the allowed quota (size). (#5.2.2)',
      '452 4.2.2 <jdoe@example.net>: Recipient address rejected: Mailbox full (in reply to RCPT TO command)',
      'The users mailfolder is over the allowed quota (size).',
      '552 Quota exceeded (mailbox for user is full)',
      '550 Postfach voll',
      '452 4.2.2 Over quota',
      '552 5.2.2 Mailbox size limit exceeded',
    ],
  },
  {
    id: 'text.account-disabled',
    description:
      'Inactive, disabled, suspended or archived mailbox. Campaign types it Soft / Hard, so the reply class decides.',
    match: {
      text: [
        String.raw`(account|mail ?box|user|recipient|addressee|e-?mail address)( \S+){0,3} (is |has been |was )?(disabled|deactivated|de-activated|suspended|inactive|not active|no longer active|locked|frozen|expired|terminated|archived|discontinued|closed)`,
        '(disabled|deactivated|suspended|inactive|expired|closed|locked|archived|frozen|dormant) (user |e-?mail |mail )?(account|mailbox|user|recipient|address)',
        'account (is )?not activated',
        'user account not activated',
        'no longer (valid|active|in use)',
        String.raw`bo[iî]te du destinataire archiv[ée]e`,
        String.raw`compte du destinataire est bloqu[ée]`,
        'recipient account is ?blocked',
        'recipient suspend',
        String.raw`\binactive\b`,
        '(blocked|disabled|closed|suspended|locked|deleted) (due to|for|because of) inactivity',
      ],
      exceptText: [
        // An idle SMTP session is "inactive" too.
        'connection',
        'session',
        'timeout',
        'sender',
        'sending',
        String.raw`\byour (account|ip|server|domain|host|connection)\b`,
        'outbound',
        String.raw`\bspam`,
        String.raw`\bip\b`,
        'password',
      ],
    },
    type: 'ByClass',
    reason: 'AccountDisabled',
    examples: [
      '554 30 Sorry, your message to jdoe@aol.com cannot be delivered. This mailbox is disabled (554.30).',
      '550 5.1.1 <jdoe@icloud.com>: inactive email address (in reply to RCPT TO command)',
      '550 5.2.1 <jdoe@example.com>... Mailbox disabled, not accepting messages',
      '550 5.5.0 Boite du destinataire archivee. Archived recipient. LPN007_420',
      '550 5.5.0 Le compte du destinataire est bloque. The recipient account isblocked. LPN007_426',
      '550 Message was not accepted -- invalid mailbox. Local mailbox jdoe@mail.ru is unavailable: account is disabled',
      '554 delivery error: dd jdoe@yahoo.com is no longer valid. [-20] - mta4037.mail.bf1.yahoo.com',
      '550 5.2.1 <jdoe@comcast.net> Account Closed, Please Remove',
      '550 5.2.1 jdoe@example.ee is expired account',
      '554 5.2.1 Inactive user',
      '550 5.7.1 <jdoe@example.org>: Recipient address rejected: Account is not active',
      '550 5.2.1 This account has been temporarily suspended',
    ],
  },
];
