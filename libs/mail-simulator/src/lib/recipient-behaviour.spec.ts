import { MAX_SLOW_DELAY_MS, parseRecipientBehaviour } from './recipient-behaviour';

describe('parseRecipientBehaviour', () => {
  it.each([
    ['anything@example.sim', { kind: 'accept' }],
    ['bounce-hard@example.sim', { kind: 'bounce-hard' }],
    ['Bounce-Hard+Campaign42@example.sim', { kind: 'bounce-hard' }],
    ['mailbox-full.7@example.sim', { kind: 'mailbox-full' }],
    ['defer@example.sim', { kind: 'defer', attempts: 1 }],
    ['defer-3@example.sim', { kind: 'defer', attempts: 3 }],
    ['defer-3-alice@example.sim', { kind: 'defer', attempts: 3 }],
    ['greylist@example.sim', { kind: 'greylist', minDelaySeconds: 0 }],
    ['greylist-300@example.sim', { kind: 'greylist', minDelaySeconds: 300 }],
    ['slow-2000@example.sim', { kind: 'slow', delayMs: 2000 }],
    ['reject-data_x@example.sim', { kind: 'reject-data' }],
    ['dsn-hard@example.sim', { kind: 'dsn-hard' }],
    ['dsn-hard-5000@example.sim', { kind: 'dsn-hard', delayMs: 5000 }],
    ['complaint@example.sim', { kind: 'complaint' }],
    ['autoreply+1@example.sim', { kind: 'autoreply' }],
  ])('reads %s', (address, expected) => {
    expect(parseRecipientBehaviour(address)).toEqual(expected);
  });

  it('treats a keyword glued to other letters as an ordinary mailbox', () => {
    expect(parseRecipientBehaviour('slowpoke@example.sim')).toEqual({ kind: 'accept' });
    expect(parseRecipientBehaviour('deferred@example.sim')).toEqual({ kind: 'accept' });
  });

  it('caps the delay of a slow mailbox', () => {
    expect(parseRecipientBehaviour('slow-999999999@example.sim')).toEqual({
      kind: 'slow',
      delayMs: MAX_SLOW_DELAY_MS,
    });
  });

  it('ignores a number that is part of a longer tag', () => {
    expect(parseRecipientBehaviour('defer-3x@example.sim')).toEqual({ kind: 'defer', attempts: 1 });
  });

  it('reads a number after + as a free tag, not a parameter', () => {
    expect(parseRecipientBehaviour('defer+3@example.sim')).toEqual({ kind: 'defer', attempts: 1 });
  });
});
