import type { BounceRuleData } from '../bounce-rule.schema';

/** "Does not exist" in the languages of the localised NDRs the corpora hold. */
const DOES_NOT_EXIST_IN_OTHER_LANGUAGES = String.raw`non esiste|n'existe pas|existiert nicht|no existe|nie istnieje|neexistuje`;

/** The sender's domain or address, in other languages: a refusal of our sender, never the recipient's fault. */
const SENDER_IN_OTHER_LANGUAGES = String.raw`absender|exp[ée]diteur|mittente|remitente|remetente|odes[íi]latel|nadawc|发件人|발신자|送信元|差出人`;

/**
 * The recipient domain or mailbox does not exist. These run after the sender and refusal rules so
 * that "Sender address rejected: Domain not found" or "User unknown" about OUR return path never
 * quarantines the recipient, and before the enhanced-code rules because servers often send a user
 * unknown under 5.7.1 or 5.5.0 (Outlook.com "5.5.0 mailbox unavailable").
 */
/**
 * DNS answers quoted by a relay or our own resolver. They run before the refusal rules, whose
 * wording ("malformed") they share, and after the sender rules ("domain of sender address does not
 * resolve" is about our return path).
 */
export const DNS_RULES: BounceRuleData[] = [
  {
    id: 'text.domain-lookup-deferred',
    description:
      'A resolver said "not found, try again" (Postfix "Host or domain name not found ... try again"): ' +
      'the lookup failed, a DNS failure, Unreachable and retried; the domain may well exist.',
    match: {
      text: [
        String.raw`(host or domain name|domain) not found.{0,200}(try again|malformed|unexpected|server failure|timed? ?out)`,
      ],
    },
    type: 'Soft',
    reason: 'Unreachable',
    examples: [
      'Host or domain name not found. Name service error for name=example.com type=MX: Host not found, try again',
      'Host or domain name not found. Name service error for name=example.org type=MX: Malformed or unexpected name server reply',
    ],
  },
  {
    id: 'text.dns-failure',
    description:
      'The DNS lookup itself failed (SERVFAIL, timeout, no answer): a DNS failure in the delivery ' +
      'chain, Unreachable, typed by class.',
    match: {
      text: [
        String.raw`\bservfail\b`,
        String.raw`server ?failure`,
        'host (name )?lookup (did not complete|failure|failed|timed out)',
        String.raw`\bdns (query|lookup|resolution|resolving|resolver) (failed|failure|error|timed? ?out)`,
        String.raw`\bdns (soft|temporary|transient) (error|failure)`,
        String.raw`temporary (dns|name server|resolver) (error|failure|problem)`,
        'malformed or unexpected name server reply',
        String.raw`malformed (dns|name) server reply`,
        String.raw`\bdns time ?out`,
      ],
      exceptText: [
        // A failed query that did come back with an answer: the domain does not exist.
        'nonexistent',
        'non-existent',
        'does not exist',
        'nxdomain',
        'no such domain',
        DOES_NOT_EXIST_IN_OTHER_LANGUAGES,
        '不存在',
        // A reverse lookup of our IP is the receiver's requirement on us: a refusal.
        'reverse',
        String.raw`\brdns\b`,
        String.raw`\bptr\b`,
        'full circle',
      ],
    },
    type: 'ByClass',
    reason: 'Unreachable',
    examples: [
      "DNS Error: DNS type 'mx' lookup of example.org responded with code SERVFAIL",
      'R=dnslookup defer (-1): host lookup did not complete',
      'Deferred: Name server: example.net.: host name lookup failure',
      '451 4.4.0 DNS resolving error',
    ],
  },
];

export const RECIPIENT_RULES: BounceRuleData[] = [
  {
    id: 'text.unrouteable-without-code',
    description:
      'Exim\'s own "Unrouteable address" in the DSN it writes: its router found no way to the ' +
      "recipient domain, so Invalid domain. The same words under a remote server's 550 are about " +
      'the mailbox (text.user-unknown).',
    match: { withoutCode: true, text: String.raw`unrout(e)?able address` },
    type: 'Hard',
    reason: 'InvalidDomain',
    examples: ['  jdoe@example.invalid\r\n    Unrouteable address', 'Unrouteable address'],
  },
  {
    id: 'text.domain-unknown',
    description:
      'Recipient domain does not resolve or accepts no mail (null MX, RFC 7505); without a code (our own ' +
      'resolver, a DSN) it is as permanent as NXDOMAIN.',
    match: {
      text: [
        String.raw`domain( name)?( \S+)? (not found|does not exist|doesn't exist|is unknown|unknown|is not valid|not valid|is invalid|no longer exists)`,
        '(unknown|invalid|nonexistent|non-existent|unresolvable|bad) (recipient |destination )?domain',
        'no such domain',
        'host (or domain name )?(not found|unknown)',
        'unknown host',
        'unrout(e)?able domain',
        'no data record',
        '(point|points|pointing) to non-?existent hosts?',
        'domain lookup failed',
        'host address lookups? failed',
        'no mail servers? (appear to )?exist',
        'no mail host',
        String.raw`invalid[_ ]domain`,
        String.raw`domain \S+ (couldn't|could not|cannot) be found`,
        String.raw`(can't|cannot|could not|couldn't|unable to) find (a |any )?(valid )?mx`,
        String.raw`\bno such host\b`,
        'indicated no smtp service',
        'no route found to domain',
        String.raw`le domaine \S+ est introuvable`,
        String.raw`el dominio \S+ no existe`,
        String.raw`die domain \S+ existiert nicht`,
        'null mx',
        String.raw`\bno (valid )?mx(s|es| records?)?\b`,
        'mx (record )?(lookup )?(failed|not found)',
        'no mail exchanger',
        'no (mail )?hosts? (found )?for domain',
        'nxdomain',
        'name or service not known',
        String.raw`(host|domain|server|\.[a-z]{2,}) does not accept (e-?)?mail(?! from)`,
        "couldn't find any host named",
        String.raw`\b(dominio|domaine|domain|dom[äa]ne|dom[ée]na|domena)( \S+)? (${DOES_NOT_EXIST_IN_OTHER_LANGUAGES})`,
        '域名不存在',
        '도메인이? 존재하지 않',
      ],
      // "no MXs for this domain could be reached" is about reaching them, not about their existence.
      exceptText: [
        String.raw`\b(mx(s|es)?|hosts?|servers?)\b.{0,60}be reached`,
        'unreachable',
        SENDER_IN_OTHER_LANGUAGES,
      ],
    },
    type: 'ByClass',
    typeWithoutCode: 'Hard',
    reason: 'InvalidDomain',
    examples: [
      '450 4.1.2 <jdoe@example.invalid>: Recipient address rejected: Domain not found',
      '556 5.1.10 Recipient address has null MX',
      'Domain example.net has a null MX (RFC 7505)',
      "DNS Error: DNS type 'mx' lookup of example-shop.biz responded with code NXDOMAIN Domain name not found: example-shop.biz",
      'all relevant MX records point to non-existent hosts',
      "Sorry, I couldn't find any host named example.invalid. (#5.1.2)",
      '550 5.4.310 DNS domain example.invalid does not exist [Message=InfoDomainNonexistent] [LastAttemptedServerName=example.invalid]',
      '554 5.4.4 SMTPSEND.DNS.NonExistentDomain; nonexistent domain',
      '550 5.1.2 Host unknown (Name server: example.invalid: host not found)',
      '553 5.1.2 host/domain does not accept mail',
    ],
  },
  {
    id: 'text.user-unknown',
    description:
      'The mailbox does not exist. Campaign "User unknown": Hard, never retried (Soft if sent as 4xx).',
    match: {
      text: [
        'user unknown',
        'unknown user',
        'unknown (recipient|mailbox|address|local[- ]?part|e-?mail( address)?|alias)',
        'no such (user|recipient|mailbox|address|account|person|local user|e-?mail)',
        String.raw`(user|recipient|mailbox|address|account|e-?mail account|addressee|alias)( \S+){0,2} (does not|doesn't|did not|do not) exist`,
        String.raw`(user|recipient|mailbox|address|account|addressee)( \S+){0,2} (is )?(not found|unknown|not known|invalid|not valid|nonexistent)`,
        'invalid (recipient|mailbox|user|address|e-?mail address|account)',
        'not a valid (user|recipient|mailbox|address)',
        'is not a known user',
        'recipient (is )?(rejected|unknown|invalid)',
        String.raw`\bno mail ?box`,
        'mailbox (not found|does not exist|invalid|unknown|not present)',
        String.raw`user doesn't have an? \S+ account`,
        'no account by that name',
        'mailbox name not allowed',
        'recip(ient)?notfound',
        'not our customer',
        'no longer (on (this )?server|here|with|employed)',
        'unknown or illegal alias',
        'address not present',
        'there is no one at this address',
        'undeliverable address',
        'bad (destination )?(recipient|mailbox)',
        'bad ?(rcpt|recipient) ?to',
        'recipient verif(y|ication) failed',
        'need fully-qualified address',
        'no valid recipients',
        'bad (recipient )?address',
        'address syntax',
        'i cannot deliver mail for',
        "(wasn't|was not) found at",
        "address (you entered )?(couldn't|could not|cannot|can't) be found",
        String.raw`unrout(e)?able address`,
        'utilisateur inconnu',
        'destinataire (invalide|inconnu)',
        'benutzer (unbekannt|existiert nicht)',
        String.raw`unbekannte?r? (benutzer|empf[äa]nger)`,
        String.raw`empf[äa]nger (unbekannt|existiert nicht|ung[üu]ltig)`,
        'usuario (desconocido|no existe|inexistente)',
        'utente (sconosciuto|inesistente)',
        // Localised Exchange Online NDRs and Asian providers' own notices.
        String.raw`wurde bei \S+ nicht gefunden`,
        // Exchange's "The email address you entered couldn't be found", as it is translated.
        'konnte nicht gefunden werden',
        'kunde inte hittas',
        'nebyla nalezena',
        String.raw`n[ãa]o foi poss[íi]vel encontrar o endere[çc]o`,
        String.raw`l'adresse de messagerie que vous avez entr[ée]e est introuvable`,
        'is niet gevonden',
        String.raw`nie mo[żz]na odnale[źz][ćc]`,
        String.raw`no se encontr[óo] la direcci[óo]n`,
        String.raw`impossibile trovare l.indirizzo`,
        'не удалось найти (введенный|указанный) адрес',
        'адрес электронной почты не найден',
        '找不到你输入的电子邮件地址',
        'メール ?アドレスが見つかりません',
        '주소를 찾을 수 없습니다',
        // A sending platform's own suppression of a known hard bounce.
        'previously bounced',
        'previous hard bounce',
        'history of bouncing',
        'bounced address',
        String.raw`bad[_ ]mailbox`,
        String.raw`usu[áa]rio desconhecido`,
        String.raw`ismeretlen c[íi]mzett`,
        "l'adresse n'existe pas",
        'validrcptto',
        String.raw`mailbox (name )?(is )?not allowed`,
        String.raw`no se encontr[óo] \S+ en`,
        String.raw`n[ãa]o foi encontrad[oa] em`,
        String.raw`est introuvable sur`,
        String.raw`non [èe] stato trovato`,
        'ユーザー?は(登録されていません|存在しません)',
        '(宛先|あて先)(のメールアドレス)?が(存在しません|見つかりません)',
        '(收件人|用户|帐号|账号|邮箱)(地址)?不存在',
        'нет такого (пользователя|ящика|адреса)',
        'пользовател[ья] не существует',
        '(adres|użytkownik|skrzynka)( \\S+)? nie istnieje',
        String.raw`(adres[áa]t|adresa|u[žz]ivatel|schr[áa]nka)( \S+)? neexistuje`,
        String.raw`\b(empf[äa]nger|adresse)( <?\S+>?)? (ist )?(unbekannt|existiert nicht)`,
        String.raw`adresse( du destinataire)?( \S+)? est introuvable`,
        String.raw`destinatario( \S+)? non esiste`,
        String.raw`(アドレス|宛先).{0,60}存在しません`,
        '(주소|사용자|계정)[가이]? 존재하지 않',
        '未开通',
        // Domino: not in the directory, or no mail file behind the entry.
        String.raw`non r[ée]pertori[ée] dans l'annuaire`,
        'does not specify a valid mail file',
      ],
      // A bad From: header or sender address is a content / sender refusal, not an unknown recipient.
      exceptText: [
        String.raw`\bheader\b`,
        '(sender|from) address',
        SENDER_IN_OTHER_LANGUAGES,
        // A verification probe that could not connect says nothing of the mailbox.
        String.raw`connect to \S+|connection (refused|timed out|reset)`,
      ],
    },
    type: 'ByClass',
    // An NDR or DSN that says so in prose ("X-Postfix; unknown user") reports a final verdict.
    typeWithoutCode: 'Hard',
    reason: 'UserUnknown',
    examples: [
      '550 5.1.1 <jdoe@example.com>: Recipient address rejected: User unknown in virtual mailbox table',
      '550 5.1.1 <jdoe@example.com>... User unknown',
      "554 delivery error: dd This user doesn't have a yahoo.com account (jdoe@yahoo.com) [0] - mta1020.mail.bf1.yahoo.com",
      '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup',
      '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found',
      '550 5.1.1 <jdoe@comcast.net> Not our Customer',
      '550 Invalid Recipient - https://community.mimecast.com/docs/DOC-1369#550 [kfhZ4QEMMJmvBbrnWQ0ZcQ.us128]',
      '550 sorry, no mailbox here by that name. (#5.1.1)',
      '550 No Such User Here',
      '550 5.1.1 <jdoe@orange.fr>: Adresse d au moins un destinataire invalide. Invalid recipient. OFR_416 [416]',
      '550 5.7.1 No such user!',
      '552 1 Requested mail action aborted, mailbox not found',
      '550-Callout verification failed:\r\n550 550 5.1.1 User unknown',
      '550 5.1.6 recipient no longer on server: jdoe@icloud.com',
      '550 5.1.1 unknown or illegal alias: jdoe@icloud.com',
      '550 Benutzer unbekannt',
      'SMTP error from remote mail server after RCPT TO:<jdoe@example.net>: 550 Unrouteable address',
      "The e-mail address you entered couldn't be found. Please check the recipient's e-mail address and try to resend the message.",
    ],
  },
  {
    id: 'esc.mailbox-unavailable-disabled',
    description:
      '"Mailbox not available" under X.2.1 (mailbox disabled): the enhanced code says which unavailability.',
    match: { enhanced: ['*.2.1'], text: String.raw`mailbox (is )?(unavailable|not available)` },
    type: 'ByClass',
    reason: 'AccountDisabled',
    examples: ['550 5.2.1 Mailbox not available'],
  },
  {
    id: 'text.mailbox-unavailable',
    description:
      'RFC 5321 wording of 550 ("mailbox unavailable"), used by GMX, web.de, Exchange for unknown users. ' +
      'Limited to 5xx: as 450 it means "busy", a deferral.',
    match: { codes: ['5xx'], text: String.raw`mailbox (is )?(unavailable|not available)` },
    type: 'ByClass',
    reason: 'UserUnknown',
    examples: [
      '550 Requested action not taken: mailbox unavailable',
      '550 5.2.0 Mailbox unavailable',
      '550 5.5.0 Requested action not taken: mailbox unavailable (-1475412983:1010:-2147467259)',
    ],
  },
];
