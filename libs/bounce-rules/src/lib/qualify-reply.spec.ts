import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSmtpReply } from './smtp-reply';
import { qualifyReply } from './qualify-reply';

// Real-world replies from many MTAs and providers, deliberately NOT the rules' own examples: this
// table measures how the rules generalise. Grouped by the expected "<type> <reason>".
const EXPECTED: Record<string, string[]> = {
  'Hard UserUnknown': [
    "550-5.1.1 The email account that you tried to reach does not exist. Please try\r\n550-5.1.1 double-checking the recipient's email address for typos or\r\n550-5.1.1 unnecessary spaces. Learn more at\r\n550 5.1.1  https://support.google.com/mail/?p=NoSuchUser x12si3456789wrb.88 - gsmtp",
    '550 5.5.0 Requested action not taken: mailbox unavailable (-1475412983:1010:-2147467259) [Hostname=DM5PR02MB1234.namprd02.prod.outlook.com]',
    '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient jdoe@contoso.com not found by SMTP address lookup',
    '550 5.4.1 [jdoe@contoso.com]: Recipient address rejected: Access denied. AS(201806281) [AM7EUR03FT011.eop-EUR03.prod.protection.outlook.com]',
    "554 delivery error: dd This user doesn't have a yahoo.com account (jdoe@yahoo.com) [-5] - mta1234.mail.gq1.yahoo.com",
    '550 5.1.1 <jdoe@icloud.com>: user does not exist',
    '550-Requested action not taken: mailbox unavailable\r\n550 For explanation visit https://web.de/email/senderguidelines?ip=198.51.100.1&c=hi',
    '550 5.1.1 <jdoe@wanadoo.fr>: Destinataire inconnu. Unknown recipient. OFR_416 [416]',
    '550 5.1.1 <jdoe@cox.net> recipient rejected',
    '550 5.1.1 <jdoe@example.org>: Recipient address rejected: User unknown in local recipient table',
    '550-Mailbox unknown. Either there is no mailbox associated with this\r\n550-name or you do not have authorization to see it.\r\n550 5.1.1 User unknown',
    '550 <jdoe@example.org>: unknown user',
    'Sorry, no mailbox here by that name. vpopmail (#5.1.1)',
    '550 5.1.1 <jdoe@example.org>: Recipient address rejected: example.org',
    '550 5.1.1 User Unknown',
    '550 permanent failure for one or more recipients (jdoe@example.org:550 5.1.1 <jdoe@example.org>: Recipient address rejected: User unknown in virtual alias table)',
    '550 Message was not accepted -- invalid mailbox.  Local mailbox jdoe@mail.ru is unavailable: user not found',
    '550 Mailbox not found. http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=20022&&no=1000728',
    '550 5.1.1 User does not exist - <jdoe@zoho.com>',
    '550 5.1.1 <jdoe@t-online.de>: Recipient address rejected: user does not exist',
    '550 #5.1.0 Address rejected jdoe@example.org',
    '550 5.1.1 Sorry, the user has no mailbox on this server',
    'smtp; 550 5.1.1 <jdoe@example.org>: Recipient address rejected: User unknown',
    "Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'",
    '550 5.1.1 Address does not exist',
    '553 5.1.1 <jdoe@example.org>... No such user here',
  ],
  'Soft UserUnknown': [
    '450 4.1.1 <jdoe@example.org>: Recipient address rejected: unverified address: host mx.example.org[198.51.100.9] said: 550 5.1.1 <jdoe@example.org>: Recipient address rejected: User unknown in local recipient table (in reply to RCPT TO command)',
  ],
  'Hard AccountDisabled': [
    '554 delivery error: dd Sorry, your message to jdoe@yahoo.com cannot be delivered. This mailbox is disabled (554.30). - mta1008.mail.ne1.yahoo.com',
    '550 5.2.1 <jdoe@example.org>: account inactive',
    '550 5.1.1 <jdoe@free.fr>: Recipient address rejected: Mailbox disabled',
    '550-5.2.1 The email account that you tried to reach is disabled. Learn more at\r\n550 5.2.1  https://support.google.com/mail/?p=DisabledUser q11si123456pfh.77 - gsmtp',
  ],
  'Soft MailboxFull': [
    "452-4.2.2 The recipient's inbox is out of storage space. Please direct the\r\n452-4.2.2 recipient to\r\n452 4.2.2  https://support.google.com/mail/?p=OverQuotaTemp q1si2 - gsmtp",
    '554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException.MapiExceptionShutoffQuotaExceeded',
    "452 4.2.2 The recipient's mailbox is full and can't accept messages now. Please try resending this message later, or contact the recipient directly.",
    '552 5.2.2 <jdoe@me.com>: user is over quota',
    '452 4.2.2 Mailbox full: jdoe@gmx.de',
    '550 Mailbox quota exceeded',
    '452 4.2.2 <jdoe@example.org>: Recipient address rejected: Over quota',
    'host mx.example.org[198.51.100.9] said: 552 5.2.2 <jdoe@example.org>: Recipient address rejected: Mailbox full (in reply to RCPT TO command)',
    '552 5.2.2 Buzón lleno',
  ],
  'Hard InvalidDomain': [
    'Host or domain name not found. Name service error for name=example.invalid type=MX: Host not found',
    '550 5.4.312 DNS query failed. The error was: SMTPSEND.DnsQueryFailed; nonexistent domain',
    '550 5.1.2 <jdoe@example.invalid>: Recipient address rejected: Domain not found',
  ],
  'Soft InvalidDomain': [],
  'Hard Refused': [
    '421 4.7.0 [TS03] All messages from 198.51.100.1 will be permanently deferred; Retrying will NOT succeed. See https://postmaster.yahooinc.com/error-codes',
    '550 Message rejected',
    '550 5.7.1 <jdoe@example.org>... Relaying denied. IP name lookup failed [198.51.100.1]',
    '550 relay not permitted',
    '552 5.3.4 Message size exceeds fixed limit',
    '550-5.7.26 This mail has been blocked because the sender is unauthenticated.\r\n550-5.7.26 Gmail requires all senders to authenticate with either SPF or DKIM.\r\n550-5.7.26\r\n550-5.7.26  Authentication results:\r\n550-5.7.26  DKIM = did not pass\r\n550 5.7.26 For instructions on setting up authentication, go to https://support.google.com/mail/answer/81126#authentication',
    "550-5.7.1 [198.51.100.1] The IP you're using to send mail is not authorized to\r\n550-5.7.1 send email directly to our servers. Please use the SMTP relay at your\r\n550 5.7.1 service provider instead.",
    '552-5.7.0 This message was blocked because its content presents a potential\r\n552-5.7.0 security issue.',
    '550 5.7.1 [198.51.100.1] Messages missing a valid Message-ID header are not accepted.',
    '550 5.7.1 Service unavailable, Client host [198.51.100.1] blocked using Spamhaus. To request removal from this list see https://www.spamhaus.org/query/ip/198.51.100.1 (AS3130). [HE1EUR02FT004.eop-EUR02.prod.protection.outlook.com]',
    '550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP. For more information please go to http://go.microsoft.com/fwlink/?LinkId=526653 AS(7230)',
    '550 5.7.520 Access denied, Your organization does not allow external forwarding. Please contact your administrator for further assistance. AS(7555)',
    '550 5.7.133 RESOLVER.RST.SenderNotAuthenticatedForGroup; authentication required',
    '550 5.7.1 RESOLVER.RST.AuthRequired; authentication required [Stage: CreateMessage]',
    '550 5.7.501 Access denied, spam abuse detected. To request removal from this list please forward this message to delist@messaging.microsoft.com.',
    '553 5.7.1 [BL23] Connections not accepted from IP addresses on Spamhaus XBL; see http://postmaster.yahoo.com/errors/550-bl23.html [550]',
    '554 5.7.9 Message not accepted for policy reasons.  See https://postmaster.yahooinc.com/error-codes',
    '554 5.7.1 [HME1] This message was blocked for failing both SPF and DKIM authentication checks. See https://support.apple.com/en-us/HT204137',
    '550 5.7.0 Blocked - see https://support.proofpoint.com/dnsbl-lookup.cgi?ip=198.51.100.1',
    "554 5.7.1 Your message was rejected due to example.com's DMARC policy. See https://support.apple.com/en-us/HT204137",
    '554-gmx.net (mxgmx117) Nemesis ESMTP Service not available\r\n554-No SMTP service\r\n554-IP address is black listed.\r\n554 For explanation visit https://postmaster.gmx.net/en/case?c=ib&i=ip&v=198.51.100.1&r=abc',
    '550 5.7.1 Service unavailable; client [198.51.100.1] blocked using Spamhaus Les emails envoyes vers la messagerie Laposte.net ont ete bloques par nos services. LPNAAA_101',
    '554 5.7.1 [198.51.100.1] Comcast block for spam.  Please see http://postmaster.comcast.net/smtp-error-codes.php#BL000001',
    '550 5.7.1 Service unavailable; client [198.51.100.1] blocked using bl.spamcop.net',
    '550 5.7.1 <jdoe@example.org>: Recipient address rejected: Policy rejection not logged in',
    '554 5.7.1 <jdoe@example.org>: Recipient address rejected: Message rejected due to: SPF fail - not authorized. Please see http://www.openspf.net/Why?s=mfrom;id=bounce@example.com;ip=198.51.100.1',
    '550 Rejected because 198.51.100.1 is in a black list at b.barracudacentral.org',
    '550 5.7.1 <jdoe@example.org>... Access denied',
    '553 sorry, your envelope sender is in my badmailfrom list (#5.7.1)',
    '550 Rejected by header based Anti-Spoofing policy: jdoe@example.org - https://community.mimecast.com/docs/DOC-1369#550 [abc.uk123]',
    '550 Administrative prohibition - envelope blocked - https://community.mimecast.com/docs/DOC-1369#550',
    '550 5.7.1 Message blocked due to spam content in the message.',
    '554 p3plsmtpa07-01.prod.phx3.secureserver.net bizsmtp IB103 198.51.100.1 is listed on the Spamhaus Zen blocklist',
    '550 5.7.1 Email rejected per DMARC policy for example.com',
    '554 5.7.1 <jdoe@example.org>: Recipient address rejected: Sender is not authorised to send to this address',
    '554 5.7.1 The message from (<bounce@example.com>) with the subject of (Sale) matches a profile the Internet community may consider spam. Please revise your message before resending.',
    '550 High probability of spam',
    '550 5.7.1 Your message was rejected by this user and was not delivered.',
    '550 5.7.1 Unauthenticated email is not accepted from this domain.',
  ],
  'Soft Refused': [
    '451 4.7.500 Server busy. Please try again later from [198.51.100.1]. (AS800) [BN1NAM02FT010.eop-nam02.prod.protection.outlook.com]',
    '452 Too many recipients received this hour',
    '450 4.7.1 Try again later',
    '451 4.7.1 <jdoe@example.org>: Recipient address rejected: Greylisted for 5 minutes',
    '454 4.7.1 <jdoe@example.org>: Relay access denied',
    '421 4.7.0 [GL01] Message from (198.51.100.1) temporarily deferred - 4.16.50. Please refer to http://postmaster.yahoo.com/errors/postmaster-21.html',
    '550 5.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages from being delivered. https://support.google.com/mail/?p=ReceivingRatePerm',
    '450-4.2.1 The user you are trying to contact is receiving mail at a rate that\r\n450-4.2.1 prevents additional messages from being delivered. Please resend your\r\n450 4.2.1 message at a later time.',
    '421-4.7.0 [198.51.100.1] Our system has detected an unusual rate of\r\n421-4.7.0 unsolicited mail originating from your IP address. To protect our\r\n421-4.7.0 users from spam, mail sent from your IP address has been temporarily\r\n421 4.7.0 rate limited.',
    '421 4.7.0 [TSS04] Messages from 198.51.100.1 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes',
    '451 Message temporarily deferred due to unresolvable RFC.5321 from domain',
    '421-gmx.net (mxgmx110) Nemesis ESMTP Service not available\r\n421-Service unavailable\r\n421-Reject due to temporary policy restrictions\r\n421 For explanation visit https://postmaster.gmx.net/en/case?c=tp',
    '450 4.1.8 <bounce@news.example.com>: Sender address rejected: Domain not found',
    '450 4.7.1 <mail.example.com>: Helo command rejected: Host not found',
    '451 4.1.8 Domain of sender address bounce@news.example.com does not resolve',
    '451 IP temporarily blacklisted - https://community.mimecast.com/docs/DOC-1369#451',
  ],
  'Hard Unreachable': [
    '554 5.4.14 Hop count exceeded - possible mail loop ATTR34 [BL2PR01MB123.prod.exchangelabs.com]',
    "Sorry. Although I'm listed as a best-preference MX or A for that host,\nit isn't in my control/locals file, so I don't treat it as local. (#5.4.6)",
    '554 5.0.0 Service unavailable',
  ],
  'Soft Unreachable': [
    '421 4.7.0 Try again later, closing connection. (EHLO) s12-20020a05600c12cc00b0041a - gsmtp',
    '451 4.7.1 Sorry, the service is currently unavailable. Please come back later.',
    '421-4.7.0 TLS required for RCPT domain, closing connection.',
    '421 4.3.2 The maximum number of concurrent server connections has exceeded a limit, closing transmission channel',
    '451 4.3.5 Server configuration problem',
    '451 4.3.0 <jdoe@example.org>: Temporary lookup failure',
    '452 4.4.5 Insufficient disk space; try again later',
    "Sorry, I wasn't able to establish an SMTP connection. (#4.4.1)",
    '421 4.7.0 [198.51.100.1] Too many concurrent SMTP connections from this IP address; please try again later.',
    'Connection timed out',
    'connect to mx.example.org[198.51.100.1]:25: Connection refused',
    '421 Too many concurrent SMTP connections; please try again later.',
    '451 4.4.0 DNS resolving error',
  ],
  'Ignored Unreachable': ['Out of office: back on Monday', 'Automatische Antwort: Newsletter April'],
  'NotDefined NotDefined': [
    '554 Transaction failed',
    '',
    'Unexpected end of input',
    '550 Sorry, cannot proceed',
  ],
};

const CASES = Object.entries(EXPECTED).flatMap(([expected, replies]) =>
  replies.map((reply) => [expected, reply] as const),
);

describe('qualifyReply on real-world replies', () => {
  it('covers at least 80 replies', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(80);
  });

  it.each(CASES)('qualifies as %s: %j', (expected, reply) => {
    const q = qualifyReply(reply);
    expect(`${q.type} ${q.reason}`).toBe(expected);
  });
});

// Seven corpora (386, 339, 529, 552, 549, 457 and 477 replies) written down from real MTAs and
// providers by seven people who had not read these rules, labelled by the reason definitions of
// issue 3. At first contact the rules agreed on 81%, 89%, 85%, 94%, 95%, 95% and 93% of the reasons;
// they were corrected against each in turn (where labellers split, the majority decided), and the
// corpora now guard them. Where the rules still disagree with a label, `labelled` keeps it and `note`
// says why (a reviewed choice, or a known miss).
const INDEPENDENT = readFileSync(join(__dirname, 'fixtures/independent-replies.jsonl'), 'utf8')
  .split('\n')
  .filter((line) => line.trim())
  .map((line) => JSON.parse(line) as { corpus: number; reply: string; expected: string; note?: string })
  .map(({ reply, expected }) => [expected, reply] as const);

describe('qualifyReply on an independent corpus', () => {
  it('holds the whole corpus', () => {
    expect(INDEPENDENT.length).toBeGreaterThanOrEqual(4900);
  });

  it.each(INDEPENDENT)('qualifies as %s: %j', (expected, reply) => {
    const q = qualifyReply(reply);
    expect(`${q.type} ${q.reason}`).toBe(expected);
  });
});

describe('qualifyReply', () => {
  it('returns the Campaign reason code with the reason and the id of the deciding rule', () => {
    expect(qualifyReply('552 5.2.2 Mailbox full')).toEqual({
      type: 'Soft',
      reason: 'MailboxFull',
      reasonCode: 5,
      rule: 'text.mailbox-full',
    });
  });

  it('accepts an already parsed reply', () => {
    expect(qualifyReply(parseSmtpReply('550 5.1.1 User unknown')).reason).toBe('UserUnknown');
  });

  it('keeps a full mailbox Soft even when the server answers 5xx', () => {
    expect(qualifyReply('552 5.2.2 Over quota').type).toBe('Soft');
  });

  it('types the same refusal Hard under 5xx and Soft under 4xx', () => {
    expect(qualifyReply('554 5.7.1 Rejected for policy reasons').type).toBe('Hard');
    expect(qualifyReply('454 4.7.1 Rejected for policy reasons').type).toBe('Soft');
  });

  it('reads "550 5.7.1 ... user unknown" by its words, not its misleading code', () => {
    expect(
      qualifyReply('550 5.7.1 <jdoe@example.org>: Recipient address rejected: User unknown').reason,
    ).toBe('UserUnknown');
  });

  it('never quarantines the recipient for a problem with our sender domain', () => {
    expect(qualifyReply('550 5.1.0 <bounce@example.com>: Sender address rejected: User unknown').reason).toBe(
      'Refused',
    );
  });

  it('leaves an unrecognised 5xx reply Not defined for later qualification', () => {
    expect(qualifyReply('550 Sorry, cannot proceed')).toMatchObject({
      type: 'NotDefined',
      rule: 'catch-all',
    });
  });
});

describe('qualifyReply on words that mean something else beside a code or a sender', () => {
  // Found by review: the localised "does not exist" wording of an unknown domain or user, said of
  // the SENDER's domain or address, and absence or helpdesk prose used as a receiver's 5xx text.
  it.each([
    ['Hard Refused', '550 5.1.8 Absenderdomain existiert nicht'],
    ['Hard Refused', '550 5.7.1 Die Absenderdomain example.com existiert nicht'],
    ['Hard Refused', "550 5.1.8 Le domaine expéditeur n'existe pas"],
    ['Hard Refused', '550 5.1.8 Dominio mittente non esiste'],
    ['Hard Refused', '553 5.1.8 Doména odesílatele neexistuje'],
    ['Hard Refused', '550 5.1.8 Domena nadawcy nie istnieje'],
    ['Hard Refused', '550 5.7.1 发件人域名不存在'],
    ['Hard Refused', '550 5.1.8 발신자 도메인이 존재하지 않습니다'],
    ['Hard Refused', '550 5.1.8 送信元アドレスのドメインが存在しません'],
    ['Hard Refused', '550 5.1.8 Absender-Adresse unbekannt'],
    [
      'Hard UserUnknown',
      '550 5.1.1 <noreply@example.com>: Recipient address rejected: This mailbox is not monitored',
    ],
    [
      'Hard UserUnknown',
      '550 5.1.1 <j.dupont@example.fr>: Recipient address rejected: Cette personne ne fait plus partie de la société',
    ],
    [
      'Hard AccountDisabled',
      '550 5.1.1 <support@example.com>: Recipient address rejected: this address is no longer in use. Thank you for contacting us, please use https://help.example.com',
    ],
    [
      'Hard Refused',
      '550 5.7.1 Message rejected. If you believe this is an error, please contact support and quote ticket ID: 7f3a9c21',
    ],
    [
      'Soft Refused',
      '451 4.7.1 Greylisting in action: your message has been delayed, please try again later',
    ],
    // The same words without a code are the notices they look like.
    [
      'Ignored Unreachable',
      'Please note: this is an unattended mailbox. Emails sent to this address are not read.',
    ],
    [
      'Ignored Unreachable',
      "Your message to jdoe@example.com has been delayed. We'll keep trying for up to 72 hours.",
    ],
  ])('qualifies as %s: %j', (expected, reply) => {
    const q = qualifyReply(reply);
    expect(`${q.type} ${q.reason}`).toBe(expected);
  });
});

describe('qualifyReply on hostile input', () => {
  // Remote servers control the text: no rule may backtrack catastrophically on long unbroken input.
  it.each([['a.'.repeat(50_000)], ['x'.repeat(100_000)], ['user '.repeat(20_000)], ['['.repeat(20_000)]])(
    'qualifies a huge reply within a second (%#)',
    (text) => {
      const started = Date.now();
      qualifyReply(`550 ${text}`);
      expect(Date.now() - started).toBeLessThan(1000);
    },
  );
});
