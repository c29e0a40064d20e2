import type { BounceRuleData } from '../bounce-rule.schema';

/**
 * Messages that are not SMTP failures at all but reach the async qualifier through the bounce mailbox.
 * They run first because their wording ("vacation", "abuse") would otherwise trip later rules.
 */
export const SPECIAL_RULES: BounceRuleData[] = [
  {
    id: 'auto-reply',
    description:
      'Out-of-office answers: harmless, the address must not be quarantined (Campaign Auto_replies rule: ' +
      'type Ignored, reason Unreachable).',
    match: {
      text: [
        'out of (the )?office',
        'auto(matic)?[- ]?(reply|response|responder)',
        'autorespond',
        'automatische antwort',
        String.raw`\bvacation\b`,
        'on (annual |parental |maternity |sick )?(holiday|leave)',
        'away from (the|my) (office|desk)',
        'abwesenheit',
        'nicht im b[üu]ro',
        'r[ée]ponse automatique',
        String.raw`absent(e|\(e\))? du bureau`,
        'de vacaciones',
        'in ferie',
        'im urlaub',
        'jestem na urlopie',
        'na urlopie',
        'в отпуске',
        '不在にしております',
        '(夏季|冬季)?休暇',
        'afwezig',
        'met vakantie',
        'this is an automated (response|reply)',
        'confirming receipt of your (message|e-?mail)',
        'auto-?acknowledg',
        'respuesta autom[áa]tica',
        'fuera de la oficina',
        'risposta automatica',
        'fuori ufficio',
        String.raw`\bautosvar\b`,
        'automatisk svar',
        'automatisch antwoord',
        'resposta autom[áa]tica',
        'fora do escrit[óo]rio',
        // "I have a new address" responders answer every message too: not a bounce of this one.
        String.raw`(e-?mail )?address (has )?changed to`,
        'please update your (records|address book|contact)',
      ],
    },
    type: 'Ignored',
    reason: 'Unreachable',
    examples: [
      'Automatic reply: Your March newsletter',
      'Out of Office: I am out of the office until 14 April with limited access to email.',
      'Auto-Reply: Thank you for your message, I am currently on vacation.',
      'Abwesenheitsnotiz: Ich bin bis zum 3. Mai nicht im Büro.',
      "Réponse automatique : je suis absent du bureau jusqu'au 2 janvier.",
      'Respuesta automática: Fuera de la oficina',
      'Autosvar: Nyhetsbrev vecka 12',
      'Thank you for your email. Please note that my email address has changed to j.doe@new.example. Please update your records.',
    ],
  },
  {
    id: 'delivery-notification',
    description:
      'Delay warnings and success notices (RFC 3464 "delayed" / "delivered" DSNs, Exchange and Gmail ' +
      'prose): the message is still on its way or arrived, so nothing is wrong with the address.',
    match: {
      text: [
        String.raw`delivery status notification \((delay|success|relay)`,
        'delivery (is|has been) delayed',
        '(has )?not yet been delivered',
        String.raw`has been delivered to (the following|all) recipients?`,
        'this is a warning only',
        'could not (send|deliver) (the )?message for (the )?past',
        String.raw`delayed (for )?(more than )?\d+ (hours?|minutes?|days?)`,
        "(hasn't|has not) been delivered yet",
        'delivery will continue to be attempted',
        String.raw`will (retry|keep trying) for \d+ (more )?(hours|days)`,
        'delivery (to the following recipients? )?(was |has )?(completed|succeeded|successful)',
        'successfully delivered',
        String.raw`action:\s*(delayed|delivered|relayed|expanded)`,
      ],
      exceptText: [
        'permanent (failure|error)',
        '(failed|rejected) permanently',
        'fatal',
        String.raw`(will not|won't) be retried`,
        'gave up',
        'giving up',
        'undeliverable',
        String.raw`action:\s*failed`,
      ],
    },
    type: 'Ignored',
    reason: 'Unreachable',
    examples: [
      'Delivery Status Notification (Delay)',
      "Delivery is delayed to these recipients or groups: jdoe@contoso.com This message hasn't been delivered yet. Delivery will continue to be attempted.",
      '# THIS IS A WARNING ONLY. YOU DO NOT NEED TO RESEND YOUR MESSAGE. #',
      'Warning: could not send message for past 4 hours',
      'Delivery incomplete There was a temporary problem delivering your message to jdoe@example.com. Gmail will retry for 46 more hours.',
      'Delivery Status Notification (Success)',
    ],
  },
  {
    id: 'success-reply',
    description: 'A 2xx reply quoted back (a success DSN, a relay notice): not a failure at all.',
    match: { codes: ['250', '251', '252'] },
    type: 'Ignored',
    reason: 'Unreachable',
    examples: ['Diagnostic-Code: smtp; 250 2.0.0 Ok: queued as 4VfK2x1Z3wz9sX'],
  },
  {
    id: 'feedback-loop',
    description:
      'ARF spam complaint forwarded by a mailbox provider (Campaign Feedback_loop rule: Hard, Refused).',
    match: { text: [String.raw`feedback-type:\s*abuse`, 'this is an (e-?mail )?abuse report'] },
    type: 'Hard',
    reason: 'Refused',
    examples: [
      'This is an email abuse report for an email message received from IP 198.51.100.7 on Tue, 12 Mar 2024 10:02:11 -0700 Feedback-Type: abuse',
      'Feedback-Type: abuse User-Agent: Yahoo!-Mail-Feedback/2.0 Version: 0.1',
    ],
  },
];
