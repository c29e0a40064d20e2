import { CompiledContent, htmlToText, withReserved } from './render-content';

const compile = (content: Parameters<typeof CompiledContent.compile>[0]) => {
  const result = CompiledContent.compile(content);
  if (!result.ok) throw new Error(result.error);
  return result.compiled;
};

describe('content personalization', () => {
  const content = {
    sender: { address: 'news@shop.example' },
    subject: 'Hello {{ firstName }}',
    html: '<p>Dear {{ firstName | upcase }},</p><p>Your code is <b>{{ code }}</b>.</p>',
  };

  it('renders subject and html per recipient and derives the text part from the html', () => {
    const result = compile(content).render({ firstName: 'Ada', code: 'X1' });
    expect(result).toEqual({
      ok: true,
      content: {
        subject: 'Hello Ada',
        html: '<p>Dear ADA,</p><p>Your code is <b>X1</b>.</p>',
        htmlPieces: {
          pieces: ['<p>Dear ', 'ADA', ',</p><p>Your code is <b>', 'X1', '</b>.</p>'],
          fixed: [true, false, true, false, true],
        },
        text: 'Dear ADA,\nYour code is X1.',
      },
    });
  });

  it("gives the template's own text as the same strings for every recipient", () => {
    const compiled = compile(content);
    const pieces = (firstName: string) => {
      const result = compiled.render({ firstName, code: 'X1' });
      if (!result.ok || !result.content.htmlPieces) throw new Error('no pieces');
      return result.content.htmlPieces.pieces;
    };
    const [ada, bob] = [pieces('Ada'), pieces('Bob')];

    expect(bob[0]).toBe(ada[0]);
    expect(bob[2]).toBe(ada[2]);
    expect(bob[1]).toBe('BOB');
  });

  it('gives no pieces when LiquidJS renders the html', () => {
    // `assign` is outside the fast renderer's subset.
    const result = CompiledContent.compile({
      ...content,
      html: '{% assign n = firstName | upcase %}<p>{{ n }}</p>',
    });
    if (!result.ok) throw new Error(result.error);
    const rendered = result.compiled.render({ firstName: 'Ada', code: 'X1' });

    expect(rendered).toMatchObject({ ok: true, content: { html: '<p>ADA</p>' } });
    expect(rendered.ok && rendered.content.htmlPieces).toBeUndefined();
  });

  it('reports a missing variable as a personalization error naming the part', () => {
    const result = compile(content).render({ firstName: 'Ada' });
    expect(result).toMatchObject({ ok: false, part: 'html' });
    expect(!result.ok && result.error).toMatch(/code/);
  });

  it('refuses a template with a syntax error at compile time', () => {
    expect(CompiledContent.compile({ ...content, subject: 'Hi {{ name ' })).toMatchObject({
      ok: false,
      part: 'subject',
    });
  });

  it('keeps link targets when turning html into text', () => {
    expect(htmlToText('<a href="https://x.example/u">Unsubscribe</a>')).toBe(
      'Unsubscribe (https://x.example/u)',
    );
  });
});

describe('reserved variables', () => {
  it('win over profile attributes of the same name and leave the others as they are', () => {
    const attributes = JSON.parse('{"firstName":"Ada","messageId":"forged","__proto__":{"polluted":true}}');
    const merged = withReserved(attributes, { unsubscribeUrl: 'https://u.example/1', messageId: 'm1' });
    expect(merged).toEqual({
      unsubscribeUrl: 'https://u.example/1',
      messageId: 'm1',
      firstName: 'Ada',
      ['__proto__']: { polluted: true },
    });
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(
      compile({ sender: { address: 'n@shop.example' }, subject: '{{ messageId }}', text: 'x' }).render(
        merged,
      ),
    ).toMatchObject({ ok: true, content: { subject: 'm1' } });
  });
});

describe('checking a recipient without rendering', () => {
  const content = {
    sender: { address: 'news@shop.example' },
    subject: 'Hello {{ firstName }}',
    html: '<p>{% if vip %}Dear {{ firstName | upcase }}{% endif %} {{ code }}</p>',
  };
  const compiled = () => {
    const result = CompiledContent.compile(content);
    if (!result.ok) throw new Error(result.error);
    return result.compiled;
  };

  it('accepts a recipient whose attributes define every variable, null included', () => {
    expect(compiled().check({ firstName: 'Ada', vip: null, code: 'X' })).toEqual({ ok: true });
  });

  it('names the part and the variable when one is missing, as rendering would', () => {
    const result = compiled().check({ firstName: 'Ada', vip: true });
    expect(result).toMatchObject({ ok: false, part: 'html' });
    expect(!result.ok && result.error).toMatch(/code/);
  });

  it('renders nested paths to find out, since a plain attribute check cannot tell', () => {
    const nested = CompiledContent.compile({
      ...content,
      subject: 'Hi {{ name.first }}',
      html: undefined,
      text: 'x',
    });
    if (!nested.ok) throw new Error(nested.error);
    expect(nested.compiled.check({ name: 'Ada' })).toMatchObject({ ok: false, part: 'subject' });
  });
});

describe('render limits', () => {
  const compiled = (html: string) => {
    const result = CompiledContent.compile({ sender: { address: 'news@shop.example' }, subject: 'Hi', html });
    if (!result.ok) throw new Error(result.error);
    return result.compiled;
  };

  it.each([
    ['a huge range', '{% for i in (1..100000000) %}x{% endfor %}'],
    ['nested loops', '{% for i in (1..5000) %}{% for j in (1..5000) %}{{ j }}{% endfor %}{% endfor %}'],
  ])('fails the personalization of %s instead of rendering it for minutes', (_name, html) => {
    const result = compiled(html).render({});

    expect(result).toEqual({ ok: false, part: 'html', error: expect.stringMatching(/limit exceeded/) });
  });

  it('still renders a long loop in full once it leaves the fast renderer', () => {
    const result = compiled('{% for i in (1..150000) %}x{% endfor %}').render({});

    expect(result.ok && result.content.html?.length).toBe(150_000);
  });
});

describe('the attributes a message carries', () => {
  const compiled = (subject: string) => {
    const result = CompiledContent.compile({ sender: { address: 'news@shop.example' }, subject, text: 'Hi' });
    if (!result.ok) throw new Error(result.error);
    return result.compiled;
  };

  it('keeps only the attributes the templates read', () => {
    expect(
      compiled('Hi {{ firstName }}').readAttributes({ firstName: 'Ada', city: 'Lund', age: 36 }),
    ).toEqual({
      firstName: 'Ada',
    });
  });

  it('keeps them all when a template reads nested paths', () => {
    const all = { firstName: 'Ada', city: 'Lund' };
    expect(compiled('Hi {{ profile.name }}').readAttributes(all)).toBe(all);
  });
});
