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
        'absente? du bureau',
        'respuesta autom[áa]tica',
        'fuera de la oficina',
        'risposta automatica',
        'fuori ufficio',
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
    ],
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
