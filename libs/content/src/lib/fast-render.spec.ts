import { Liquid } from 'liquidjs';
import { seededRandom } from '@postwave/fixtures/random';
import { compileFast, FastRenderMiss } from './fast-render';
import { CompiledContent } from './render-content';

// The same options as the product's Liquid instance.
const liquid = new Liquid({
  strictVariables: true,
  strictFilters: true,
  ownPropertyOnly: true,
  cache: false,
});
const fast = (source: string) => compileFast(liquid, liquid.parse(source));
const slow = (source: string, attributes: Record<string, unknown>) =>
  liquid.parseAndRenderSync(source, attributes) as string;

/** The fast renderer must compile `source` and render exactly what LiquidJS renders. */
function expectSame(source: string, attributes: Record<string, unknown>) {
  const renderer = fast(source);
  expect(renderer).not.toBeNull();
  expect(renderer!(attributes)).toBe(slow(source, attributes));
  // Rendered as pieces, the same text in the same order.
  const { pieces, fixed } = renderer!.pieces(attributes);
  expect(pieces.join('')).toBe(slow(source, attributes));
  expect(fixed).toHaveLength(pieces.length);
  expect(pieces.every((piece) => piece.length > 0)).toBe(true);
}

describe('fast Liquid renderer', () => {
  const attributes = { firstName: 'Ada', code: 'C42', n: 3, vip: true, nothing: null, city: ' Malmö ' };

  it.each([
    ['plain text', 'Hello world, no tags at all'],
    ['variables', 'Hello {{ firstName }}, your code is {{code}} ({{ n }}, {{ vip }}, [{{ nothing }}])'],
    [
      'whitespace control',
      'a {{- firstName -}} b\n  {%- for i in (1..2) -%}\n x{{ i }} \n{%- endfor -%}\n c',
    ],
    [
      'range loop with forloop',
      '{% for i in (1..4) %}[{{ forloop.index }}/{{ forloop.index0 }}/{{ forloop.rindex }}/{{ forloop.rindex0 }}/{{ forloop.first }}/{{ forloop.last }}/{{ forloop.length }}:{{ i }}]{% endfor %}',
    ],
    [
      'nested loops and shadowing',
      '{% for i in (1..2) %}{% for j in (0..i) %}{{ i }}.{{ j }}:{{ forloop.index }} {% endfor %}{% for i in (5..6) %}<{{ i }}>{% endfor %}{{ i }}|{% endfor %}',
    ],
    ['range ends from attributes', '{% for i in (1..n) %}{{ i }}{% endfor %}'],
    [
      'empty range takes the else branch',
      '{% for i in (3..1) %}{{ i }}{% else %}none for {{ firstName }}{% endfor %}',
    ],
    [
      'string filters',
      '{{ firstName | upcase }} {{ code | downcase | prepend: "#" }} {{ city | strip | capitalize }} {{ "<b>" | escape }} {{ firstName | append: code }} {{ code | replace: "4", "x" | remove: "C" }} {{ city | url_encode }}',
    ],
    [
      'the bench newsletter block',
      '{% for i in (1..3) %}<a href="https://shop.example/p/{{ forloop.index }}">Item {{ forloop.index }}: picked for {{ firstName }}</a> Ref. {{ code }}-{{ forloop.index }}\n{% endfor %}',
    ],
  ])('renders %s exactly as LiquidJS does', (_name, source) => expectSame(source, attributes));

  it('takes the loop variable over an attribute of the same name, and the attribute back after the loop', () => {
    expectSame('{{ i }}{% for i in (1..2) %}{{ i }}{% endfor %}{{ i }}', { i: 'attr' });
  });

  it.each([
    ['an if tag', '{% if vip %}VIP{% endif %}'],
    ['a filter outside the pure list', '{{ n | plus: 1 }}'],
    ['a nested property', '{{ customer.name }}'],
    ['a bracketed property', '{{ a["b"] }}'],
    ['a loop over a variable', '{% for x in items %}{{ x }}{% endfor %}'],
    ['a loop with limit', '{% for i in (1..5) limit: 2 %}{{ i }}{% endfor %}'],
    ['forloop itself', '{% for i in (1..2) %}{{ forloop }}{% endfor %}'],
    ['a name LiquidJS resolves specially', '{{ size }}'],
    ['an assignment', '{% assign x = 1 %}{{ x }}'],
  ])('leaves %s to LiquidJS', (_name, source) => expect(fast(source)).toBeNull());

  it.each([
    ['a missing variable', '{{ missing }}', {}],
    ['an object value', '{{ thing }}', { thing: { a: 1 } }],
    ['a range end that is not a whole number', '{% for i in (1..x) %}{{ i }}{% endfor %}', { x: 'two' }],
  ])('misses on %s, so LiquidJS decides', (_name, source, scope) => {
    const renderer = fast(source);
    expect(renderer).not.toBeNull();
    expect(() => renderer!(scope)).toThrow(FastRenderMiss);
  });

  it('keeps LiquidJS error messages for the content a recipient cannot render', () => {
    const compiled = CompiledContent.compile({
      sender: { address: 'news@shop.example' },
      subject: 'Hi {{ firstName }}',
      html: '<p>{% for i in (1..2) %}{{ code }}{% endfor %}</p>',
    });
    if (!compiled.ok) throw new Error(compiled.error);
    const result = compiled.compiled.render({ firstName: 'Ada' });
    expect(result).toEqual({
      ok: false,
      part: 'html',
      error: expect.stringMatching(/undefined variable: code/),
    });
  });

  it('agrees with LiquidJS on random templates of the subset', () => {
    // A seeded generator, so a failure names a template that can be replayed.
    const next = seededRandom(20261127);
    const names = ['firstName', 'code', 'n', 'vip', 'nothing', 'city', 'missing'];
    const filters = [
      'upcase',
      'downcase',
      'strip',
      'escape',
      'append: "!"',
      'prepend: code',
      'replace: "a", "b"',
    ];
    const piece = (depth: number, loops: string[]): string => {
      const roll = next(10);
      if (roll < 3) return ['text ', ' <b>', '\n', '  ', 'é&<>"'][next(5)]!;
      if (roll < 7) {
        const pool = [...names, ...loops, ...(loops.length ? ['forloop.index', 'forloop.last'] : [])];
        const filter = next(3) === 0 ? ` | ${filters[next(filters.length)]}` : '';
        const trim = next(4) === 0 ? '-' : '';
        return `{{${trim} ${pool[next(pool.length)]}${filter} ${trim}}}`;
      }
      if (depth >= 2) return 'leaf';
      const variable = ['i', 'j', 'firstName'][next(3)]!;
      const body = Array.from({ length: 1 + next(4) }, () => piece(depth + 1, [...loops, variable])).join('');
      const high = ['3', 'n', '0'][next(3)];
      return `{% for ${variable} in (1..${high}) %}${body}{% endfor %}`;
    };
    let rendered = 0;
    for (let t = 0; t < 400; t++) {
      const source = Array.from({ length: 1 + next(6) }, () => piece(0, [])).join('');
      const renderer = fast(source);
      expect({ source, compiled: renderer !== null }).toEqual({ source, compiled: true });
      let expected: string | Error;
      try {
        expected = slow(source, attributes);
      } catch (error) {
        expected = error as Error;
      }
      try {
        const actual = renderer!(attributes);
        rendered++;
        expect({ source, actual }).toEqual({ source, actual: expected });
      } catch (error) {
        if (!(error instanceof FastRenderMiss)) throw error;
        // A miss is only right where LiquidJS fails too (here: the missing variable).
        expect({ source, liquidFailed: expected instanceof Error }).toEqual({ source, liquidFailed: true });
      }
    }
    expect(rendered).toBeGreaterThan(100);
  });
});
