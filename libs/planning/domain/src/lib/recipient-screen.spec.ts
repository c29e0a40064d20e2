import type { DeliveryContent, FailureReason } from '@postwave/contracts';
import { compileExpression, type CompiledExpression } from './expression';
import {
  RecipientScreen,
  type AddressFacts,
  type RawRecipient,
  type ScreenSettings,
} from './recipient-screen';

const expression = (source: string): CompiledExpression => {
  const result = compileExpression(source);
  if (!result.ok) throw new Error(`expected ${source} to compile, got: ${result.error}`);
  return result.expression;
};

const CONTENT: DeliveryContent = {
  sender: { address: 'news@shop.example' },
  subject: 'Hello {{ firstName }}',
  text: 'Hi {{ firstName }}. Unsubscribe: {{ unsubscribeUrl }}',
};

const screen = (overrides: Partial<ScreenSettings> = {}) =>
  new RecipientScreen({
    content: CONTENT,
    filter: expression('country == "SE"'),
    filteringRules: [{ name: 'No competitors', expression: expression('domain == "rival.example"') }],
    pressure: { name: 'Three a week', maxMessages: 3 },
    ...overrides,
  });

/** Address facts from plain tables, keyed by normalized address. */
const facts = (
  blocked: Record<string, FailureReason> = {},
  recent: Record<string, number> = {},
): AddressFacts => ({
  blockedReason: (address) => blocked[address] ?? null,
  recentMessages: (address) => recent[address] ?? 0,
});

const swede = (address: string | null, attributes: RawRecipient['attributes'] = {}): RawRecipient => ({
  address,
  attributes: { country: 'SE', firstName: 'Ada', ...attributes },
});

describe('RecipientScreen', () => {
  it('given a qualified Swedish recipient, then they are a target with a normalized address and domain', () => {
    expect(screen().screen(swede(' ada@Example.COM '), facts(), new Set())).toEqual({
      kind: 'target',
      address: 'ada@example.com',
      domain: 'example.com',
    });
  });

  describe('in Campaign order, the first exclusion that applies wins', () => {
    it('given a recipient outside the target filter, then they are outside, even with no address', () => {
      const norwegian = { address: null, attributes: { country: 'NO' } };
      expect(screen().screen(norwegian, facts(), new Set())).toEqual({ kind: 'outside' });
    });

    it('given the filter reads the domain, then it sees the normalized one', () => {
      const byDomain = screen({ filter: expression('domain == "example.com"') });
      expect(byDomain.screen(swede('ada@EXAMPLE.com'), facts(), new Set())).toMatchObject({ kind: 'target' });
      expect(byDomain.screen(swede('ada@other.example'), facts(), new Set())).toEqual({ kind: 'outside' });
    });

    it.each([
      ['no address', null],
      ['an empty address', ''],
      ['a blank address', '   '],
    ])('given %s, then AddressNotSpecified with the address as given', (_what, address) => {
      expect(screen().screen(swede(address), facts(), new Set())).toEqual({
        kind: 'excluded',
        address: address ?? '',
        reason: 'AddressNotSpecified',
      });
    });

    it.each(['not-an-address', 'ada@', '@example.com', 'ada@localhost'])(
      'given the address %j, then InvalidSyntax with the address as given',
      (address) => {
        expect(screen().screen(swede(address), facts(), new Set())).toEqual({
          kind: 'excluded',
          address,
          reason: 'InvalidSyntax',
        });
      },
    );

    it('given an address seen before in another case, then Double, before any other check', () => {
      const seen = new Set<string>();
      const shared = facts({ 'ada@example.com': 'Denylisted', 'Ada@example.com': 'Denylisted' });
      expect(screen().screen(swede('ada@example.com'), shared, seen)).toMatchObject({ reason: 'Denylisted' });
      expect(screen().screen(swede('Ada@Example.com'), shared, seen)).toEqual({
        kind: 'excluded',
        address: 'Ada@Example.com',
        reason: 'Double',
      });
    });

    it('given an invalid address, then it is not remembered for deduplication', () => {
      const seen = new Set<string>();
      screen().screen(swede('not-an-address'), facts(), seen);
      expect(seen.size).toBe(0);
    });

    it.each<FailureReason>(['Quarantined', 'Denylisted', 'Unsubscribed'])(
      'given an address blocked as %s, then it is excluded with that reason, before the filtering rules',
      (reason) => {
        expect(
          screen().screen(swede('x@rival.example'), facts({ 'x@rival.example': reason }), new Set()),
        ).toEqual({ kind: 'excluded', address: 'x@rival.example', reason });
      },
    );

    it('given an excluded address, then the exclusion keeps the address as the source gave it', () => {
      expect(
        screen().screen(swede(' X@Rival.EXAMPLE'), facts({ 'X@rival.example': 'Quarantined' }), new Set()),
      ).toEqual({ kind: 'excluded', address: ' X@Rival.EXAMPLE', reason: 'Quarantined' });
    });

    it('given a blocked address, then it is looked up by its normalized form', () => {
      const lookedUp: string[] = [];
      const spy: AddressFacts = {
        blockedReason: (address) => {
          lookedUp.push(address);
          return null;
        },
        recentMessages: () => 0,
      };
      screen().screen(swede(' Ada@EXAMPLE.com'), spy, new Set());
      expect(lookedUp).toEqual(['Ada@example.com']);
    });

    it('given a filtering rule that matches, then ExcludedByRule names the rule, before pressure', () => {
      expect(
        screen().screen(swede('x@rival.example'), facts({}, { 'x@rival.example': 99 }), new Set()),
      ).toEqual({
        kind: 'excluded',
        address: 'x@rival.example',
        reason: 'ExcludedByRule',
        rule: 'No competitors',
      });
    });

    it('given several filtering rules, then the first that matches is named', () => {
      const two = screen({
        filteringRules: [
          { name: 'Minors', expression: expression('age < 18') },
          { name: 'Staff', expression: expression('domain endsWith "shop.example"') },
        ],
      });
      expect(two.screen(swede('me@shop.example', { age: 16 }), facts(), new Set())).toMatchObject({
        rule: 'Minors',
      });
      expect(two.screen(swede('me@shop.example', { age: 40 }), facts(), new Set())).toMatchObject({
        rule: 'Staff',
      });
    });

    it('given a recipient at the pressure limit, then ExcludedAfterArbitration names the rule, before personalization', () => {
      const noName = { address: 'ada@example.com', attributes: { country: 'SE' } };
      expect(screen().screen(noName, facts({}, { 'ada@example.com': 3 }), new Set())).toEqual({
        kind: 'excluded',
        address: 'ada@example.com',
        reason: 'ExcludedAfterArbitration',
        rule: 'Three a week',
      });
    });

    it('given a recipient below the pressure limit, then they are a target', () => {
      expect(
        screen().screen(swede('ada@example.com'), facts({}, { 'ada@example.com': 2 }), new Set()),
      ).toMatchObject({
        kind: 'target',
      });
    });

    it('given a recipient lacking a template variable, then PersonalizationError with the part and the error', () => {
      const noName = { address: 'ada@example.com', attributes: { country: 'SE' } };
      const result = screen().screen(noName, facts(), new Set());
      expect(result).toMatchObject({
        kind: 'excluded',
        address: 'ada@example.com',
        reason: 'PersonalizationError',
      });
      expect(result.kind === 'excluded' && result.detail).toMatch(/^subject: .*firstName/);
    });

    it('given no filter, no rules and no pressure, then only address and personalization checks apply', () => {
      const plain = screen({ filter: null, filteringRules: [], pressure: null });
      expect(
        plain.screen(
          { address: 'x@rival.example', attributes: { firstName: 'X' } },
          facts({}, { 'x@rival.example': 99 }),
          new Set(),
        ),
      ).toMatchObject({
        kind: 'target',
      });
    });
  });

  describe('templates', () => {
    it('given content using the reserved unsubscribeUrl, then it renders without a profile attribute of that name', () => {
      const linkOnly = screen({
        content: { ...CONTENT, subject: 'News', text: '{{ unsubscribeUrl }} {{ messageId }}' },
      });
      expect(linkOnly.templateError).toBeNull();
      expect(
        linkOnly.screen({ address: 'ada@example.com', attributes: { country: 'SE' } }, facts(), new Set()),
      ).toMatchObject({
        kind: 'target',
      });
    });

    it('given an html part lacking a variable, then the detail names the html part', () => {
      const html = screen({
        content: { ...CONTENT, subject: 'News', text: undefined, html: '<p>{{ city }}</p>' },
      });
      const result = html.screen(swede('ada@example.com'), facts(), new Set());
      expect(result.kind === 'excluded' && result.detail).toMatch(/^html: .*city/);
    });

    // The analysis reports a template that does not compile once, not once per recipient.
    it('given a template that does not compile, then templateError names the part and recipients are not excluded for it', () => {
      const broken = screen({ content: { ...CONTENT, text: 'Hi {% if %}' } });
      expect(broken.templateError).toMatch(/^text: /);
      expect(broken.screen(swede('ada@example.com'), facts(), new Set())).toMatchObject({ kind: 'target' });
    });
  });
});
