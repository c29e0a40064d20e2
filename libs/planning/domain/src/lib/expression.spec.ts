import { compileExpression, EXPRESSION_LIMITS, type CompiledExpression, type Scalar } from './expression';

type Vars = Record<string, Scalar | undefined>;

const compile = (source: string): CompiledExpression => {
  const result = compileExpression(source);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(source)} to compile, got: ${result.error}`);
  return result.expression;
};
const errorOf = (source: string): string => {
  const result = compileExpression(source);
  if (result.ok) throw new Error(`expected ${JSON.stringify(source)} to be rejected`);
  return result.error;
};
const evaluate = (source: string, vars: Vars = {}): boolean => compile(source).test(vars);

describe('compileExpression', () => {
  describe('given the typical target filter `country == "SE" and age >= 18`', () => {
    const filter = compile('country == "SE" and age >= 18');

    it('when compiled, then it keeps the source and lists the attributes it reads, sorted', () => {
      expect(filter.source).toBe('country == "SE" and age >= 18');
      expect(filter.variables).toEqual(['age', 'country']);
    });

    it.each<[Vars, boolean]>([
      [{ country: 'SE', age: 42 }, true],
      [{ country: 'SE', age: '42' }, true],
      [{ country: 'SE', age: 18 }, true],
      [{ country: 'SE', age: '17' }, false],
      [{ country: 'se', age: 42 }, false],
      [{ country: 'NO', age: 42 }, false],
      [{ country: 'SE' }, false],
      [{ age: 42 }, false],
      [{ country: 'SE', age: 'unknown' }, false],
      [{}, false],
    ])('when tested against %j, then it gives %s', (vars, expected) => {
      expect(filter.test(vars)).toBe(expected);
    });
  });

  describe('given attribute names', () => {
    it('when one is read several times, then it is listed once', () => {
      expect(compile('b == 1 or a == 2 or b == 3 or exists(c) or d is null').variables).toEqual([
        'a',
        'b',
        'c',
        'd',
      ]);
    });

    it('when an expression only has literals, then it reads no attribute', () => {
      expect(compile('1 == 1').variables).toEqual([]);
    });

    it('when names contain dashes, underscores and digits, then they are ordinary attributes', () => {
      const e = compile('first-name == "Ada" and _id2 == 7 and last_name-2 == "L"');
      expect(e.variables).toEqual(['_id2', 'first-name', 'last_name-2']);
      expect(e.test({ 'first-name': 'Ada', _id2: 7, 'last_name-2': 'L' })).toBe(true);
    });

    it('when the names are `address` and `domain`, then they are read from the variables like any other', () => {
      const e = compile('domain == "example.com" and address startsWith "ada@"');
      expect(e.variables).toEqual(['address', 'domain']);
      expect(e.test({ address: 'ada@example.com', domain: 'example.com' })).toBe(true);
      expect(e.test({ address: 'bob@example.com', domain: 'example.com' })).toBe(false);
    });

    it('when names match Object.prototype members, then they read as missing, not as functions', () => {
      expect(
        evaluate('toString is null and constructor is null and __proto__ is null and hasOwnProperty == null'),
      ).toBe(true);
      expect(evaluate('exists(toString)')).toBe(false);
      expect(evaluate('constructor == "x"', { constructor: 'x' } as Vars)).toBe(true);
    });

    it('when a variable holds something that is not a scalar, then it reads as null', () => {
      const vars = { tags: ['a'], profile: { x: 1 }, fn: () => 1 } as unknown as Vars;
      expect(evaluate('tags is null and profile is null and fn is null', vars)).toBe(true);
    });

    it('when `exists` is not followed by "(", then it is an attribute name', () => {
      const e = compile('exists == "yes"');
      expect(e.variables).toEqual(['exists']);
      expect(e.test({ exists: 'yes' })).toBe(true);
    });
  });

  describe('given boolean operators', () => {
    it.each<[string, Vars, boolean]>([
      ['a == 1 or b == 1 and c == 1', { a: 1 }, true],
      ['a == 1 or b == 1 and c == 1', { b: 1 }, false],
      ['(a == 1 or b == 1) and c == 1', { a: 1 }, false],
      ['(a == 1 or b == 1) and c == 1', { b: 1, c: 1 }, true],
      ['not a == 1 and b == 1', { a: 2, b: 1 }, true],
      ['not (a == 1 and b == 1)', { a: 1, b: 2 }, true],
      ['not not a == 1', { a: 1 }, true],
      ['a == 1 || b == 1 && c == 1', { b: 1, c: 1 }, true],
      ['!(a == 1) && !b', { a: 2, b: false }, true],
      ['!!a', { a: true }, true],
      ['a == 1 AND b == 2 OR c == 3', { c: 3 }, true],
      ['NOT a == 1', { a: 1 }, false],
      ['a == 1 and b == 2 and c == 3 and d == 4', { a: 1, b: 2, c: 3, d: 4 }, true],
      ['a == 1 and b == 2 and c == 3 and d == 4', { a: 1, b: 2, c: 3, d: 5 }, false],
      ['a == 1 or b == 2 or c == 3 or d == 4', { d: 4 }, true],
      ['a == 1 or b == 2 or c == 3 or d == 4', {}, false],
    ])('when `%s` is tested against %j, then it gives %s', (source, vars, expected) => {
      expect(evaluate(source, vars)).toBe(expected);
    });
  });

  describe('given comparisons of values of one type', () => {
    it.each<[string, Vars, boolean]>([
      ['x == 3', { x: 3 }, true],
      ['x != 3', { x: 3 }, false],
      ['x < 3', { x: 2.5 }, true],
      ['x <= 3', { x: 3 }, true],
      ['x > 3', { x: 3 }, false],
      ['x >= 3', { x: 3 }, true],
      ['x > -1.5', { x: -1 }, true],
      ['x < -1.5', { x: -2 }, true],
      ['x == "abc"', { x: 'abc' }, true],
      ['x == "abc"', { x: 'ABC' }, false],
      ['x < "b"', { x: 'abc' }, true],
      ['x > "B"', { x: 'a' }, true],
      ['x >= "abc"', { x: 'abc' }, true],
      ['x < "9"', { x: '10' }, true],
      ['x == y', { x: 'same', y: 'same' }, true],
      ['x < y', { x: 1, y: 2 }, true],
      ['"SE" == country', { country: 'SE' }, true],
      ['x == true', { x: true }, true],
      ['x != false', { x: true }, true],
      ['x < true', { x: false }, false],
      ['x > false', { x: true }, false],
    ])('when `%s` is tested against %j, then it gives %s', (source, vars, expected) => {
      expect(evaluate(source, vars)).toBe(expected);
    });
  });

  describe('given CSV attributes that are strings', () => {
    it.each<[string, Vars, boolean]>([
      ['age >= 18', { age: '42' }, true],
      ['age >= 18', { age: '9' }, false],
      ['age == 42', { age: '42.0' }, true],
      ['age == 42', { age: ' 42 ' }, true],
      ['age == 42', { age: '+42' }, true],
      ['score < 0.5', { score: '.25' }, true],
      ['score == 1000', { score: '1e3' }, true],
      ['age != 42', { age: '42' }, false],
      ['18 <= age', { age: '20' }, true],
      ['x == 16', { x: '0x10' }, false],
      ['x == 0', { x: '' }, false],
      ['x == 0', { x: '   ' }, false],
      ['x > 1', { x: 'Infinity' }, false],
      ['x == 1', { x: 'abc' }, false],
      ['x != 1', { x: 'abc' }, true],
      ['x > 1', { x: 'abc' }, false],
      ['x < 1', { x: 'abc' }, false],
      ['x <= "abc"', { x: 5 }, false],
      ['x == "42"', { x: '042' }, false],
      ['x < "10"', { x: '9' }, false],
      ['vip == true', { vip: 'true' }, true],
      ['vip == true', { vip: 'TRUE' }, true],
      ['vip == true', { vip: ' True ' }, true],
      ['vip == false', { vip: 'False' }, true],
      ['vip == true', { vip: 'yes' }, false],
      ['vip == true', { vip: '1' }, false],
      ['vip != true', { vip: 'false' }, true],
      ['vip == "TRUE"', { vip: true }, true],
      ['vip == 1', { vip: true }, false],
      ['vip > "false"', { vip: true }, false],
    ])('when `%s` is tested against %j, then it gives %s', (source, vars, expected) => {
      expect(evaluate(source, vars)).toBe(expected);
    });
  });

  describe('given a missing attribute, which is null', () => {
    it.each<[string, Vars, boolean]>([
      ['x == null', {}, true],
      ['x == null', { x: undefined }, true],
      ['x == null', { x: null }, true],
      ['x == null', { x: '' }, false],
      ['x == null', { x: 0 }, false],
      ['x != null', {}, false],
      ['x != null', { x: 'a' }, true],
      ['null == x', {}, true],
      ['x == y', {}, true],
      ['x == "SE"', {}, false],
      ['x != "SE"', {}, true],
      ['x < 5', {}, false],
      ['x <= 5', {}, false],
      ['x > 5', {}, false],
      ['x >= 5', {}, false],
      ['x >= null', { x: null }, false],
      ['x <= y', { x: 1 }, false],
      ['x < "a"', {}, false],
      ['x is null', {}, true],
      ['x is null', { x: 'a' }, false],
      ['x is not null', {}, false],
      ['x is not null', { x: '' }, true],
      ['x IS NOT NULL', { x: false }, true],
      ['exists(x)', {}, false],
      ['exists(x)', { x: null }, false],
      ['exists(x)', { x: 0 }, true],
      ['exists ( x )', { x: '' }, true],
      ['not exists(x)', {}, true],
    ])('when `%s` is tested against %j, then it gives %s', (source, vars, expected) => {
      expect(evaluate(source, vars)).toBe(expected);
    });
  });

  describe('given list membership', () => {
    it.each<[string, Vars, boolean]>([
      ['x in ["a", "b", 3]', { x: 'a' }, true],
      ['x in ["a", "b", 3]', { x: 'c' }, false],
      ['x in ["a", "b", 3]', { x: 3 }, true],
      ['x in ["a", "b", 3]', { x: '3' }, true],
      ['x in ["a", "b", 3]', { x: ' 3.0 ' }, true],
      ['x in ["7"]', { x: 7 }, true],
      ['x in ["7"]', { x: '07' }, false],
      ['x in [true]', { x: 'TRUE' }, true],
      ['x in ["false"]', { x: false }, true],
      ['x in [1]', { x: true }, false],
      ['x in ["a"]', {}, false],
      ['x in ["a", null]', {}, true],
      ['x in []', { x: 'a' }, false],
      ['x not in []', { x: 'a' }, true],
      ['x not in ["a", "b"]', { x: 'c' }, true],
      ['x not in ["a", "b"]', { x: 'a' }, false],
      ['x not in ["a"]', {}, true],
      ['x NOT IN ["a"]', { x: 'a' }, false],
      ['not x in ["a"]', { x: 'a' }, false],
      ['x in ["A"]', { x: 'a' }, false],
      ['x in [-1, 2.5]', { x: '-1' }, true],
      ['"a" in ["a"]', {}, true],
      ['x in [1]', { x: NaN }, false],
    ])('when `%s` is tested against %j, then it gives %s', (source, vars, expected) => {
      expect(evaluate(source, vars)).toBe(expected);
    });

    it('when compared with the same test written as `==` alternatives, then both agree on every value', () => {
      const items = ['"a"', '"3"', '4', '"4.0"', 'true', '"false"', 'null', '"TRUE"', '-2'];
      const values: (Scalar | undefined)[] = [
        'a',
        'A',
        '3',
        3,
        4,
        '4',
        '04',
        true,
        false,
        'true',
        'False',
        null,
      ];
      values.push(undefined, -2, '-2', 'x', '', 0);
      const asList = compile(`x in [${items.join(', ')}]`);
      const asOr = compile(items.map((item) => `x == ${item}`).join(' or '));
      for (const x of values) expect([x, asList.test({ x })]).toEqual([x, asOr.test({ x })]);
    });
  });

  describe('given string operators', () => {
    it.each<[string, Vars, boolean]>([
      ['email contains "@shop"', { email: 'news@shop.example' }, true],
      ['email contains "@SHOP"', { email: 'news@shop.example' }, false],
      ['email icontains "@SHOP"', { email: 'News@Shop.example' }, true],
      ['email startsWith "news"', { email: 'news@shop.example' }, true],
      ['email startsWith "News"', { email: 'news@shop.example' }, false],
      ['email endsWith ".example"', { email: 'news@shop.example' }, true],
      ['email endsWith ".EXAMPLE"', { email: 'news@shop.example' }, false],
      ['email contains ""', { email: 'x' }, true],
      ['email contains "a"', {}, false],
      ['email contains x', { email: 'abc' }, false],
      ['email contains x', { email: 'abc', x: 'b' }, true],
      ['zip startsWith "11"', { zip: 11422 }, true],
      ['flag contains "ru"', { flag: true }, true],
      ['not email contains "@"', { email: 'none' }, true],
      ['email STARTSWITH "n"', { email: 'n' }, true],
    ])('when `%s` is tested against %j, then it gives %s', (source, vars, expected) => {
      expect(evaluate(source, vars)).toBe(expected);
    });
  });

  describe('given a bare operand', () => {
    it.each<[string, Vars, boolean]>([
      ['vip', { vip: true }, true],
      ['vip', { vip: 'true' }, true],
      ['vip', { vip: 'yes' }, false],
      ['vip', { vip: 1 }, false],
      ['vip', {}, false],
      ['not vip', {}, true],
      ['(vip) and country == "SE"', { vip: true, country: 'SE' }, true],
      ['true', {}, true],
      ['false', {}, false],
      ['FALSE or true', {}, true],
    ])('when `%s` is tested against %j, then it gives %s', (source, vars, expected) => {
      expect(evaluate(source, vars)).toBe(expected);
    });
  });

  describe('given literals', () => {
    it.each<[string, Vars, boolean]>([
      ["x == 'single'", { x: 'single' }, true],
      ['x == "dou\\"ble"', { x: 'dou"ble' }, true],
      ["x == 'it\\'s'", { x: "it's" }, true],
      ['x == "it\'s"', { x: "it's" }, true],
      ['x == \'say "hi"\'', { x: 'say "hi"' }, true],
      ['x == "back\\\\slash"', { x: 'back\\slash' }, true],
      ['x == "a\\nb\\tc\\r\\/"', { x: 'a\nb\tc\r/' }, true],
      ['x == "caf\\u00e9"', { x: 'café' }, true],
      ['x == "åäö 🙂"', { x: 'åäö 🙂' }, true],
      ['x == "and or not"', { x: 'and or not' }, true],
      ['x == ""', { x: '' }, true],
      ['x == -42', { x: -42 }, true],
      ['x == 0.25', { x: 0.25 }, true],
      ['x == 007', { x: 7 }, true],
      ['x == null', { x: null }, true],
      ['x == TRUE', { x: true }, true],
      ['x==1&&y!=2', { x: 1, y: 3 }, true],
    ])('when `%s` is tested against %j, then it gives %s', (source, vars, expected) => {
      expect(evaluate(source, vars)).toBe(expected);
    });

    it('when tokens are separated by newlines and tabs, then they are whitespace like spaces', () => {
      expect(evaluate('\n\tx\n==\t1\n', { x: 1 })).toBe(true);
    });

    it('when both sides are literals, then the result is the same for every input', () => {
      const e = compile('1 < 2 and "a" in ["a"] and not null is not null');
      expect(e.variables).toEqual([]);
      expect(e.test({})).toBe(true);
      expect(e.test({ a: 'x' })).toBe(true);
    });
  });

  describe('given malformed input', () => {
    it.each<[string, string]>([
      ['', 'at 1: expected a condition (got end of input)'],
      ['   ', 'at 4: expected a condition (got end of input)'],
      ['country ==', 'at 11: expected a value after "==" (got end of input)'],
      ['country == and age > 1', 'at 12: expected a value after "==" (got "and")'],
      ['country = "SE"', 'at 9: unknown operator "=" (use "==")'],
      ['x === 1', 'at 3: unknown operator "==="'],
      ['x <> 1', 'at 3: unknown operator "<>"'],
      ['x & y', 'at 3: unknown operator "&"'],
      ['x =< 1', 'at 3: unknown operator "=<"'],
      [
        'x like "a%"',
        'at 3: expected an operator (==, !=, <, <=, >, >=, in, not in, is, contains, startsWith, endsWith) after "x" (got "like")',
      ],
      [
        'country "SE"',
        'at 9: expected an operator (==, !=, <, <=, >, >=, in, not in, is, contains, startsWith, endsWith) after "country" (got string "SE")',
      ],
      [
        '"SE"',
        'at 5: expected an operator (==, !=, <, <=, >, >=, in, not in, is, contains, startsWith, endsWith) after string "SE" (got end of input)',
      ],
      [
        '42 and x',
        'at 4: expected an operator (==, !=, <, <=, >, >=, in, not in, is, contains, startsWith, endsWith) after "42" (got "and")',
      ],
      ['x == "SE', 'at 6: unterminated string: expected a closing " (got end of input)'],
      ["x == 'SE", "at 6: unterminated string: expected a closing ' (got end of input)"],
      ['x == "SE\\', 'at 6: unterminated string: expected a closing " (got end of input)'],
      ['x == "a\\qb"', 'at 8: unknown escape "\\q" in string'],
      ['x == "\\u00g1"', 'at 7: expected 4 hex digits after "\\u" (got "00g1")'],
      ['x == 1 y == 2', 'at 8: expected "and", "or" or end of input (got "y")'],
      ['x == 1)', 'at 7: expected "and", "or" or end of input (got ")")'],
      ['(x == 1', 'at 8: expected ")" to close "(" at 1 (got end of input)'],
      ['(x == 1 or (y == 2)', 'at 20: expected ")" to close "(" at 1 (got end of input)'],
      ['()', 'at 2: expected a condition (got ")")'],
      ['x == 1 and', 'at 11: expected a condition (got end of input)'],
      ['x == 1 or or y', 'at 11: expected a condition (got "or")'],
      ['not', 'at 4: expected a condition (got end of input)'],
      ['and == 1', 'at 1: expected a condition (got "and")'],
      ['x == in', 'at 6: expected a value after "==" (got "in")'],
      ['x in 1', 'at 6: expected "[" after "in" (got "1")'],
      ['x not in "a"', 'at 10: expected "[" after "not in" (got string "a")'],
      ['x in [1,', 'at 9: expected a string, number, true, false or null in the list (got end of input)'],
      ['x in [1, ]', 'at 10: expected a string, number, true, false or null in the list (got "]")'],
      ['x in [y]', 'at 7: expected a string, number, true, false or null in the list (got "y")'],
      ['x in [1 2]', 'at 9: expected "," or "]" in the list opened at 6 (got "2")'],
      ['x in [1', 'at 8: expected "," or "]" in the list opened at 6 (got end of input)'],
      ['x not y', 'at 7: expected "in" after "not" (got "y")'],
      ['x is foo', 'at 6: expected "null" after "is" (got "foo")'],
      ['x is not 1', 'at 10: expected "null" after "is not" (got "1")'],
      ['x is', 'at 5: expected "null" after "is" (got end of input)'],
      ['exists()', 'at 8: expected an attribute name inside "exists(" (got ")")'],
      ['exists("x")', 'at 8: expected an attribute name inside "exists(" (got string "x")'],
      ['exists(x', 'at 9: expected ")" after "exists(x" (got end of input)'],
      ['x contains', 'at 11: expected a value after "contains" (got end of input)'],
      ['12abc == 1', 'at 1: malformed number "12abc"'],
      ['x == 1.2.3', 'at 6: malformed number "1.2.3"'],
      ['x == 1-2', 'at 6: malformed number "1-2"'],
      ['x == 1.', 'at 6: malformed number "1."'],
      ['x == - 1', 'at 6: unexpected character "-"'],
      ['a.b == 1', 'at 2: unexpected character "."'],
      ['x == @y', 'at 6: unexpected character "@"'],
      ['x == $1', 'at 6: unexpected character "$"'],
      ['x == `y`', 'at 6: unexpected character "`"'],
      ['process.exit()', 'at 8: unexpected character "."'],
    ])('when compiling `%s`, then the error is %j', (source, error) => {
      expect(errorOf(source)).toBe(error);
    });

    it('when the source is not a string at run time, then it is an error, not a crash', () => {
      expect(compileExpression(42 as unknown as string)).toEqual({
        ok: false,
        error: 'at 1: expected an expression string',
      });
    });

    it('when random token soup is compiled, then it compiles or is rejected, never throws', () => {
      const pieces = [
        'x',
        'y',
        '==',
        '!=',
        '<',
        '>=',
        'and',
        'or',
        'not',
        'in',
        'is',
        'null',
        '(',
        ')',
        '[',
        ']',
      ];
      pieces.push(
        ',',
        '"s',
        '"a"',
        "'b'",
        '1',
        '-2',
        '!',
        '&&',
        '||',
        'exists',
        'contains',
        '=',
        '\\',
        '.',
        ' ',
      );
      let seed = 12345;
      const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
      let compiled = 0;
      for (let run = 0; run < 2000; run++) {
        const length = 1 + Math.floor(random() * 12);
        const source = Array.from({ length }, () => pieces[Math.floor(random() * pieces.length)]).join(' ');
        const result = compileExpression(source);
        if (result.ok) {
          compiled += 1;
          expect(typeof result.expression.test({ x: 1, y: 'a' })).toBe('boolean');
        } else expect(result.error).toMatch(/^at \d+: /);
      }
      expect(compiled).toBeGreaterThan(0);
    });
  });

  describe('given pathological input', () => {
    const nested = (depth: number) => '('.repeat(depth) + 'x == 1' + ')'.repeat(depth);

    it(`when the source is ${EXPRESSION_LIMITS.maxLength} characters, then it compiles`, () => {
      const source = `x == "${'a'.repeat(EXPRESSION_LIMITS.maxLength - 7)}"`;
      expect(source).toHaveLength(EXPRESSION_LIMITS.maxLength);
      expect(evaluate(source, { x: 'a'.repeat(EXPRESSION_LIMITS.maxLength - 7) })).toBe(true);
    });

    it('when the source is one character longer, then it is rejected without being parsed', () => {
      const source = `x == "${'a'.repeat(EXPRESSION_LIMITS.maxLength - 6)}"`;
      expect(errorOf(source)).toBe('at 4001: expression is too long (4001 characters, max 4000)');
    });

    it('when parentheses nest 64 deep, then it compiles', () => {
      expect(evaluate(nested(64), { x: 1 })).toBe(true);
    });

    it('when parentheses nest 65 deep, then it is rejected at the 65th', () => {
      expect(errorOf(nested(65))).toBe('at 65: expression is nested too deeply (max depth 64)');
    });

    it('when 64 nots are stacked, then it compiles; 65 are rejected', () => {
      expect(evaluate('not '.repeat(64) + 'x == 1', { x: 1 })).toBe(true);
      expect(evaluate('!'.repeat(63) + 'x == 1', { x: 1 })).toBe(false);
      expect(errorOf('!'.repeat(65) + 'x')).toBe('at 65: expression is nested too deeply (max depth 64)');
    });

    it('when nots and parentheses mix, then together they count toward the depth', () => {
      expect(errorOf('not ('.repeat(33) + 'x' + ')'.repeat(33))).toMatch(/nested too deeply/);
      expect(compileExpression('not ('.repeat(32) + 'x' + ')'.repeat(32)).ok).toBe(true);
    });

    it('when a long flat chain of conditions is given, then it compiles without deep recursion', () => {
      const source = Array.from({ length: 300 }, (_, i) => `x == ${i}`).join(' or ');
      expect(source.length).toBeLessThanOrEqual(EXPRESSION_LIMITS.maxLength);
      const e = compile(source);
      expect(e.test({ x: 299 })).toBe(true);
      expect(e.test({ x: 300 })).toBe(false);
    });

    it('when a long list is given, then membership still answers for its last item', () => {
      const items = Array.from({ length: 500 }, (_, i) => `"v${i}"`);
      const e = compile(`x in [${items.join(',')}]`);
      expect(e.test({ x: 'v499' })).toBe(true);
      expect(e.test({ x: 'v500' })).toBe(false);
    });
  });

  describe('given a compiled expression', () => {
    it('when it is evaluated many times against different inputs, then it keeps no state between calls', () => {
      const e = compile('country == "SE" and age >= 18');
      const inputs: Vars[] = [{ country: 'SE', age: 20 }, { country: 'NO', age: 20 }, {}];
      const results = Array.from({ length: 30 }, (_, i) => e.test(inputs[i % 3] as Vars));
      expect(results).toEqual(Array.from({ length: 30 }, (_, i) => i % 3 === 0));
    });

    it('when the caller tries to change it, then it is frozen', () => {
      const e = compile('a == 1 or b == 2');
      expect(Object.isFrozen(e)).toBe(true);
      expect(Object.isFrozen(e.variables)).toBe(true);
    });
  });
});
