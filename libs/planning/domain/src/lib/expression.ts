/**
 * A small, safe condition language for target filters and typology rules, e.g.
 * `country == "SE" and age >= 18 and email not in ["a@x.example"]`.
 *
 * It is parsed by hand and compiled to a tree of closures: no eval, no `new Function`, and no
 * way to reach anything but the attribute values the caller passes in. Positions in error
 * messages are 1-based character positions in the source.
 *
 * Semantics, chosen for audience attributes that mostly arrive from CSV as strings:
 * - a missing attribute (or one that is not a string, number, boolean or null) is null;
 * - `==`/`!=` treat null as a value equal only to null; `<`, `<=`, `>`, `>=` with a null side are false;
 * - a number and a string that reads as a finite number compare numerically (`"42" >= 18`);
 *   a number and any other string are unequal and unordered;
 * - two strings compare by UTF-16 code units (so `"10" < "9"`: write `age >= 10`, not `age >= "10"`);
 * - a boolean equals the strings "true"/"false" in any case; booleans are unordered;
 * - `contains`, `startsWith`, `endsWith` are case-sensitive, `icontains` is not; they are false when
 *   either side is null, and numbers or booleans are matched by their text;
 * - a bare attribute (`vip`, `not vip`) means `vip == true`;
 * - `exists(x)` is `x is not null`.
 */

export type Scalar = string | number | boolean | null;

export interface CompiledExpression {
  readonly source: string;
  /** attribute names the expression reads, sorted, unique */
  readonly variables: readonly string[];
  test(vars: Readonly<Record<string, Scalar | undefined>>): boolean;
}

export type ExpressionResult =
  | { readonly ok: true; readonly expression: CompiledExpression }
  | { readonly ok: false; readonly error: string };

export const EXPRESSION_LIMITS = { maxLength: 4000, maxDepth: 64 } as const;

type Vars = Readonly<Record<string, Scalar | undefined>>;
type Predicate = (vars: Vars) => boolean;
type Getter = (vars: Vars) => Scalar;

export function compileExpression(source: string): ExpressionResult {
  if (typeof source !== 'string') return { ok: false, error: 'at 1: expected an expression string' };
  if (source.length > EXPRESSION_LIMITS.maxLength)
    return {
      ok: false,
      error: `at ${EXPRESSION_LIMITS.maxLength + 1}: expression is too long (${source.length} characters, max ${EXPRESSION_LIMITS.maxLength})`,
    };
  try {
    const parser = new Parser(tokenize(source));
    const test = parser.parse();
    const variables = [...parser.variables].sort();
    return { ok: true, expression: Object.freeze({ source, variables: Object.freeze(variables), test }) };
  } catch (error) {
    if (error instanceof ExpressionError) return { ok: false, error: error.message };
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Values

const NUMERIC = /^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

/** The number a CSV-ish string stands for, if it reads as a finite number. */
function numeric(text: string): number | undefined {
  if (!NUMERIC.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

function booleanText(text: string): boolean | undefined {
  const t = text.trim().toLowerCase();
  return t === 'true' ? true : t === 'false' ? false : undefined;
}

function equals(a: Scalar, b: Scalar): boolean {
  if (a === b) return true;
  if (a === null || b === null) return false;
  switch (typeof a) {
    case 'number':
      return typeof b === 'string' && numeric(b) === a;
    case 'string':
      if (typeof b === 'number') return numeric(a) === b;
      return typeof b === 'boolean' && booleanText(a) === b;
    default:
      return typeof b === 'string' && booleanText(b) === a;
  }
}

const sign = (a: number, b: number): number => (a < b ? -1 : a > b ? 1 : a === b ? 0 : NaN);

/** Negative, zero or positive; NaN when the two values have no order (every comparison is then false). */
function order(a: Scalar, b: Scalar): number {
  if (typeof a === 'number') {
    if (typeof b === 'number') return sign(a, b);
    if (typeof b === 'string') {
      const n = numeric(b);
      return n === undefined ? NaN : sign(a, n);
    }
    return NaN;
  }
  if (typeof a === 'string') {
    if (typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
    if (typeof b === 'number') {
      const n = numeric(a);
      return n === undefined ? NaN : sign(n, b);
    }
  }
  return NaN;
}

/**
 * Anything that is not a scalar reads as null. This also keeps `Object.prototype` out of reach:
 * `toString`, `constructor` or `__proto__` on a plain object are functions or objects, hence null.
 */
function read(vars: Vars, name: string): Scalar {
  const value = vars[name];
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return value;
    default:
      return null;
  }
}

const text = (v: Scalar): string | undefined => (v === null ? undefined : String(v));

type Comparison = '==' | '!=' | '<' | '<=' | '>' | '>=';
const COMPARISONS: Record<Comparison, (a: Scalar, b: Scalar) => boolean> = {
  '==': equals,
  '!=': (a, b) => !equals(a, b),
  '<': (a, b) => order(a, b) < 0,
  '<=': (a, b) => order(a, b) <= 0,
  '>': (a, b) => order(a, b) > 0,
  '>=': (a, b) => order(a, b) >= 0,
};

const STRING_OPERATORS = new Map<string, (a: Scalar, b: Scalar) => boolean>([
  [
    'contains',
    (a, b) => {
      const x = text(a);
      const y = text(b);
      return x !== undefined && y !== undefined && x.includes(y);
    },
  ],
  [
    'icontains',
    (a, b) => {
      const x = text(a);
      const y = text(b);
      return x !== undefined && y !== undefined && x.toLowerCase().includes(y.toLowerCase());
    },
  ],
  [
    'startswith',
    (a, b) => {
      const x = text(a);
      const y = text(b);
      return x !== undefined && y !== undefined && x.startsWith(y);
    },
  ],
  [
    'endswith',
    (a, b) => {
      const x = text(a);
      const y = text(b);
      return x !== undefined && y !== undefined && x.endsWith(y);
    },
  ],
]);

/** `x in [...]` as hash lookups per type, giving the same answers as `x == a or x == b ...`. */
function membership(items: readonly Scalar[]): (value: Scalar) => boolean {
  const strings = new Set<string>();
  const numbers = new Set<number>();
  const booleans = new Set<boolean>();
  const numbersOfStrings = new Set<number>();
  const booleansOfStrings = new Set<boolean>();
  let hasNull = false;
  for (const item of items) {
    if (item === null) hasNull = true;
    else if (typeof item === 'string') {
      strings.add(item);
      const n = numeric(item);
      if (n !== undefined) numbersOfStrings.add(n);
      const b = booleanText(item);
      if (b !== undefined) booleansOfStrings.add(b);
    } else if (typeof item === 'number') numbers.add(item);
    else booleans.add(item);
  }
  return (value) => {
    switch (typeof value) {
      case 'string': {
        if (strings.has(value)) return true;
        if (numbers.size > 0) {
          const n = numeric(value);
          if (n !== undefined && numbers.has(n)) return true;
        }
        if (booleans.size > 0) {
          const b = booleanText(value);
          if (b !== undefined && booleans.has(b)) return true;
        }
        return false;
      }
      case 'number':
        // NaN is in no list: Set.has(NaN) would say otherwise, but no literal is NaN.
        return numbers.has(value) || numbersOfStrings.has(value);
      case 'boolean':
        return booleans.has(value) || booleansOfStrings.has(value);
      default:
        return hasNull;
    }
  };
}

// ---------------------------------------------------------------------------------------------
// Tokens

class ExpressionError extends Error {
  constructor(offset: number, message: string) {
    super(`at ${offset + 1}: ${message}`);
  }
}

type Token =
  | { readonly kind: 'ident'; readonly text: string; readonly at: number }
  | { readonly kind: 'string'; readonly text: string; readonly value: string; readonly at: number }
  | { readonly kind: 'number'; readonly text: string; readonly value: number; readonly at: number }
  | { readonly kind: 'punct'; readonly text: string; readonly at: number }
  | { readonly kind: 'end'; readonly text: ''; readonly at: number };

const OPERATORS = new Set(['==', '!=', '<', '<=', '>', '>=', '&&', '||', '!']);
const OPERATOR_CHARS = /[=!<>&|]+/y;
const IDENT = /[A-Za-z_][A-Za-z0-9_-]*/y;
const NUMBER = /-?\d+(?:\.\d+)?/y;
const NUMBER_TAIL = /[A-Za-z0-9_.-]+/y;
const SPACE = /\s+/y;
const ESCAPES: Record<string, string> = {
  '"': '"',
  "'": "'",
  '\\': '\\',
  '/': '/',
  n: '\n',
  r: '\r',
  t: '\t',
  b: '\b',
  f: '\f',
};

function match(re: RegExp, source: string, at: number): string | undefined {
  re.lastIndex = at;
  return re.exec(source)?.[0];
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < source.length) {
    const space = match(SPACE, source, at);
    if (space) {
      at += space.length;
      continue;
    }
    const c = source.charAt(at);
    if ('()[],'.includes(c)) {
      tokens.push({ kind: 'punct', text: c, at });
      at += 1;
    } else if (c === '"' || c === "'") {
      const token = readString(source, at);
      tokens.push(token);
      at += token.text.length;
    } else if (/[0-9-]/.test(c)) {
      const number = match(NUMBER, source, at);
      if (!number) throw new ExpressionError(at, `unexpected character "${c}"`);
      if (match(NUMBER_TAIL, source, at + number.length))
        throw new ExpressionError(
          at,
          `malformed number "${number}${match(NUMBER_TAIL, source, at + number.length)}"`,
        );
      tokens.push({ kind: 'number', text: number, value: Number(number), at });
      at += number.length;
    } else if (/[A-Za-z_]/.test(c)) {
      const ident = match(IDENT, source, at) ?? c;
      tokens.push({ kind: 'ident', text: ident, at });
      at += ident.length;
    } else {
      const run = match(OPERATOR_CHARS, source, at);
      if (!run) throw new ExpressionError(at, `unexpected character ${JSON.stringify(c)}`);
      if (OPERATORS.has(run)) tokens.push({ kind: 'punct', text: run, at });
      else if (/^!+$/.test(run))
        for (let i = 0; i < run.length; i++) tokens.push({ kind: 'punct', text: '!', at: at + i });
      else throw new ExpressionError(at, `unknown operator "${run}"${run === '=' ? ' (use "==")' : ''}`);
      at += run.length;
    }
  }
  tokens.push({ kind: 'end', text: '', at: source.length });
  return tokens;
}

function readString(source: string, start: number): Token {
  const quote = source.charAt(start);
  let value = '';
  let at = start + 1;
  while (at < source.length) {
    const c = source.charAt(at);
    if (c === quote) return { kind: 'string', text: source.slice(start, at + 1), value, at: start };
    if (c !== '\\') {
      value += c;
      at += 1;
      continue;
    }
    const e = source.charAt(at + 1);
    if (e === 'u') {
      const hex = source.slice(at + 2, at + 6);
      if (!/^[0-9A-Fa-f]{4}$/.test(hex))
        throw new ExpressionError(at, `expected 4 hex digits after "\\u" (got "${hex}")`);
      value += String.fromCharCode(parseInt(hex, 16));
      at += 6;
    } else if (e !== '' && e in ESCAPES) {
      value += ESCAPES[e];
      at += 2;
    } else if (e === '') break;
    else throw new ExpressionError(at, `unknown escape "\\${e}" in string`);
  }
  throw new ExpressionError(start, `unterminated string: expected a closing ${quote} (got end of input)`);
}

// ---------------------------------------------------------------------------------------------
// Parser: each rule returns closures; constants are folded at compile time.

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'is', 'null', 'true', 'false']);
const LITERALS: Record<string, Scalar> = { null: null, true: true, false: false };

interface Operand {
  readonly get: Getter;
  /** set when the operand is a literal, so comparisons of two literals fold to a constant */
  readonly constant?: { readonly value: Scalar };
  readonly isAttribute: boolean;
}

const describe = (token: Token): string =>
  token.kind === 'end'
    ? 'end of input'
    : token.kind === 'string'
      ? `string ${token.text}`
      : `"${token.text}"`;

const keyword = (token: Token): string | undefined =>
  token.kind === 'ident' && KEYWORDS.has(token.text.toLowerCase()) ? token.text.toLowerCase() : undefined;

const always = (value: boolean): Predicate => (value ? () => true : () => false);

function anyOf(predicates: Predicate[]): Predicate {
  const [a, b] = predicates;
  if (predicates.length === 1 && a) return a;
  if (predicates.length === 2 && a && b) return (v) => a(v) || b(v);
  return (v) => {
    for (const p of predicates) if (p(v)) return true;
    return false;
  };
}

function allOf(predicates: Predicate[]): Predicate {
  const [a, b] = predicates;
  if (predicates.length === 1 && a) return a;
  if (predicates.length === 2 && a && b) return (v) => a(v) && b(v);
  return (v) => {
    for (const p of predicates) if (!p(v)) return false;
    return true;
  };
}

function binary(left: Operand, right: Operand, op: (a: Scalar, b: Scalar) => boolean): Predicate {
  if (left.constant && right.constant) return always(op(left.constant.value, right.constant.value));
  const l = left.get;
  if (right.constant) {
    const c = right.constant.value;
    return (v) => op(l(v), c);
  }
  const r = right.get;
  return (v) => op(l(v), r(v));
}

class Parser {
  readonly variables = new Set<string>();
  private index = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  parse(): Predicate {
    const predicate = this.parseOr(0);
    const next = this.peek();
    if (next.kind !== 'end')
      throw new ExpressionError(next.at, `expected "and", "or" or end of input (got ${describe(next)})`);
    return predicate;
  }

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.index + ahead, this.tokens.length - 1)] as Token;
  }

  private next(): Token {
    const token = this.peek();
    if (this.index < this.tokens.length - 1) this.index += 1;
    return token;
  }

  private isOr(token: Token): boolean {
    return token.text === '||' || keyword(token) === 'or';
  }

  private isAnd(token: Token): boolean {
    return token.text === '&&' || keyword(token) === 'and';
  }

  private parseOr(depth: number): Predicate {
    const terms = [this.parseAnd(depth)];
    while (this.isOr(this.peek())) {
      this.next();
      terms.push(this.parseAnd(depth));
    }
    return anyOf(terms);
  }

  private parseAnd(depth: number): Predicate {
    const terms = [this.parseNot(depth)];
    while (this.isAnd(this.peek())) {
      this.next();
      terms.push(this.parseNot(depth));
    }
    return allOf(terms);
  }

  private parseNot(depth: number): Predicate {
    const token = this.peek();
    if (token.text !== '!' && keyword(token) !== 'not') return this.parseCondition(depth);
    this.next();
    this.enter(token, depth + 1);
    const inner = this.parseNot(depth + 1);
    return (v) => !inner(v);
  }

  private enter(token: Token, depth: number): void {
    if (depth > EXPRESSION_LIMITS.maxDepth)
      throw new ExpressionError(
        token.at,
        `expression is nested too deeply (max depth ${EXPRESSION_LIMITS.maxDepth})`,
      );
  }

  private expect(text: string, context: string): Token {
    const token = this.next();
    if (token.text !== text && keyword(token) !== text)
      throw new ExpressionError(token.at, `expected "${text}" ${context} (got ${describe(token)})`);
    return token;
  }

  private parseCondition(depth: number): Predicate {
    const token = this.peek();
    if (token.text === '(' && token.kind === 'punct') {
      this.next();
      this.enter(token, depth + 1);
      const inner = this.parseOr(depth + 1);
      this.expect(')', `to close "(" at ${token.at + 1}`);
      return inner;
    }
    if (token.kind === 'ident' && token.text.toLowerCase() === 'exists' && this.peek(1).text === '(') {
      this.next();
      this.next();
      const name = this.next();
      if (name.kind !== 'ident' || keyword(name))
        throw new ExpressionError(
          name.at,
          `expected an attribute name inside "exists(" (got ${describe(name)})`,
        );
      this.expect(')', `after "exists(${name.text}"`);
      this.variables.add(name.text);
      const attribute = name.text;
      return (v) => read(v, attribute) !== null;
    }
    const left = this.parseOperand('a condition', undefined);
    const operator = this.peek();
    const op = keyword(operator);

    if (operator.kind === 'punct' && operator.text in COMPARISONS) {
      this.next();
      const right = this.parseOperand('a value', operator);
      return binary(left, right, COMPARISONS[operator.text as Comparison]);
    }
    const stringOperator =
      operator.kind === 'ident' ? STRING_OPERATORS.get(operator.text.toLowerCase()) : undefined;
    if (stringOperator) {
      this.next();
      return binary(left, this.parseOperand('a value', operator), stringOperator);
    }
    if (op === 'in' || (op === 'not' && keyword(this.peek(1)) === 'in')) {
      this.next();
      if (op === 'not') this.next();
      const isMember = membership(this.parseList(op === 'in' ? '"in"' : '"not in"'));
      const get = left.get;
      const positive: Predicate = (v) => isMember(get(v));
      const predicate: Predicate = op === 'in' ? positive : (v) => !positive(v);
      return left.constant ? always(predicate({})) : predicate;
    }
    if (op === 'not') {
      const after = this.peek(1);
      throw new ExpressionError(after.at, `expected "in" after "not" (got ${describe(after)})`);
    }
    if (op === 'is') {
      this.next();
      const negated = keyword(this.peek()) === 'not';
      if (negated) this.next();
      const nullToken = this.next();
      if (keyword(nullToken) !== 'null')
        throw new ExpressionError(
          nullToken.at,
          `expected "null" after "${negated ? 'is not' : 'is'}" (got ${describe(nullToken)})`,
        );
      const get = left.get;
      const predicate: Predicate = negated ? (v) => get(v) !== null : (v) => get(v) === null;
      return left.constant ? always(predicate({})) : predicate;
    }
    // No operator: a bare attribute or boolean literal stands for itself being true.
    const endsCondition =
      operator.kind === 'end' || operator.text === ')' || this.isAnd(operator) || this.isOr(operator);
    const bareAllowed = left.isAttribute || typeof left.constant?.value === 'boolean';
    if (!endsCondition || !bareAllowed)
      throw new ExpressionError(
        operator.at,
        `expected an operator (==, !=, <, <=, >, >=, in, not in, is, contains, startsWith, endsWith) after ${describe(token)} (got ${describe(operator)})`,
      );
    return binary(left, { get: () => true, constant: { value: true }, isAttribute: false }, equals);
  }

  private parseOperand(what: string, after: Token | undefined): Operand {
    const token = this.next();
    const context = after ? ` after "${after.text}"` : '';
    if (token.kind === 'string' || token.kind === 'number') {
      const value = token.value;
      return { get: () => value, constant: { value }, isAttribute: false };
    }
    if (token.kind === 'ident') {
      const word = keyword(token);
      if (word !== undefined && word in LITERALS) {
        const value = LITERALS[word] as Scalar;
        return { get: () => value, constant: { value }, isAttribute: false };
      }
      if (word === undefined) {
        const name = token.text;
        this.variables.add(name);
        return { get: (v) => read(v, name), isAttribute: true };
      }
    }
    throw new ExpressionError(token.at, `expected ${what}${context} (got ${describe(token)})`);
  }

  private parseList(operator: string): Scalar[] {
    const open = this.next();
    if (open.text !== '[' || open.kind !== 'punct')
      throw new ExpressionError(open.at, `expected "[" after ${operator} (got ${describe(open)})`);
    const items: Scalar[] = [];
    if (this.peek().text === ']' && this.peek().kind === 'punct') {
      this.next();
      return items;
    }
    for (;;) {
      const item = this.next();
      const word = keyword(item);
      if (item.kind === 'string' || item.kind === 'number') items.push(item.value);
      else if (word !== undefined && word in LITERALS) items.push(LITERALS[word] as Scalar);
      else
        throw new ExpressionError(
          item.at,
          `expected a string, number, true, false or null in the list (got ${describe(item)})`,
        );
      const separator = this.next();
      if (separator.kind === 'punct' && separator.text === ']') return items;
      if (separator.kind !== 'punct' || separator.text !== ',')
        throw new ExpressionError(
          separator.at,
          `expected "," or "]" in the list opened at ${open.at + 1} (got ${describe(separator)})`,
        );
    }
  }
}
