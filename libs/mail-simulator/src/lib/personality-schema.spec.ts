import { BUILT_IN_PERSONALITIES, GENERIC_REPLIES, GMAIL, validatePersonalities } from './personalities';
import { definePersonality, PersonalityConfigError, renderReply } from './personality-schema';

describe('provider personality data', () => {
  it('validates the built-in personalities', () => {
    expect(validatePersonalities(BUILT_IN_PERSONALITIES).map((p) => p.name)).toEqual([
      'gmail',
      'yahoo',
      'outlook',
    ]);
  });

  it('completes missing replies from the generic ones', () => {
    const p = definePersonality(
      { name: 'tiny', domains: ['tiny.sim'], limits: { messagesPerMinutePerIp: 5 } },
      GENERIC_REPLIES,
    );

    expect(p.replies.rateLimited).toEqual({
      code: 421,
      enhanced: '4.7.0',
      text: 'Too many messages, slow down',
    });
  });

  it('names the personality and the field of an invalid limit', () => {
    const bad = { ...GMAIL, limits: { messagesPerMinutePerIp: 0 } };

    expect(() => validatePersonalities([bad])).toThrow(PersonalityConfigError);
    expect(() => validatePersonalities([bad])).toThrow(
      /personality "gmail": limits\.messagesPerMinutePerIp: /,
    );
  });

  it('names the reply whose enhanced code disagrees with its reply code', () => {
    const bad = {
      name: 'odd',
      domains: ['odd.sim'],
      replies: { userUnknown: { code: 550, enhanced: '4.1.1', text: 'x' } },
    };

    expect(() => validatePersonalities([bad])).toThrow(
      'Invalid simulator personality "odd": replies.userUnknown.enhanced: class does not match reply code 550',
    );
  });

  it('reports a misspelt placeholder', () => {
    const bad = {
      name: 'typo',
      domains: ['typo.sim'],
      replies: { deferred: { code: 451, enhanced: null, text: 'from {adress}' } },
    };

    expect(() => validatePersonalities([bad])).toThrow(
      /"typo": replies\.deferred\.text: unknown placeholder \{adress\}/,
    );
  });

  it('falls back to the list position when the name itself is unusable', () => {
    expect(() => validatePersonalities([GMAIL, { domains: [] }])).toThrow(
      /personality personalities\[1\]: name: /,
    );
  });

  it('refuses two personalities claiming one domain', () => {
    const clone = { ...GMAIL, name: 'gmail-2' };

    expect(() => validatePersonalities([GMAIL, clone])).toThrow(
      '"gmail-2": domains: gmail.sim is already claimed by "gmail"',
    );
  });

  it('fills placeholders and leaves unknown values empty', () => {
    const reply = renderReply(
      { code: 550, enhanced: '5.1.1', text: ['<{rcpt}> at {ip}', 'id {queueId}'] },
      { rcpt: 'a@b.sim' },
    );

    expect(reply).toEqual({ code: 550, enhanced: '5.1.1', lines: ['<a@b.sim> at ', 'id '] });
  });
});
