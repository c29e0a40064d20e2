import type { Liquid, Template } from 'liquidjs';

/**
 * A parsed Liquid template compiled to plain closures, for the subset every bulk template is made
 * of: text, outputs of variables (the recipient's attributes, a loop's item, `forloop.*`) through a
 * few string filters, and `for` loops over integer ranges. LiquidJS renders through generators,
 * about 3 µs per output tag; this renders the same template in string concatenations, which is
 * what lets one MTA process personalize thousands of 20 KB messages a second.
 *
 * The contract is one-sided: when `compileFast` returns a renderer and the renderer returns a
 * string, LiquidJS (strict variables, own properties only) would have rendered the same string.
 * Anything outside the subset compiles to null, and a renderer throws `FastRenderMiss` whenever a
 * value is not what the subset covers (a missing variable, a non-integer range end), so the caller
 * renders with LiquidJS instead and gets its exact output or its exact error.
 */
export interface FastRenderer {
  (attributes: Readonly<Record<string, unknown>>): string;
  /** The same render as pieces: the template's own text and the values put into it, in order. */
  pieces(attributes: Readonly<Record<string, unknown>>): RenderedPieces;
}

/**
 * A render in the order it was written: the template's own text (`fixed`, the same string objects
 * from one render to the next, so whatever is derived from them can be kept) and the values
 * between. Their concatenation is the rendered text; empty pieces are left out.
 */
export interface RenderedPieces {
  readonly pieces: readonly string[];
  readonly fixed: readonly boolean[];
}

/** The fast path cannot decide this render; LiquidJS must. */
export class FastRenderMiss extends Error {
  constructor() {
    super('outside the fast renderer subset');
  }
}

const MISS = new FastRenderMiss();

interface LoopFrame {
  readonly variable: string;
  item: unknown;
  index: number;
  readonly length: number;
  readonly parent: LoopFrame | null;
}

type Env = {
  readonly attributes: Readonly<Record<string, unknown>>;
  loop: LoopFrame | null;
  /** Loop iterations left before the render is handed to LiquidJS and its limits. */
  budget: number;
};

/**
 * Loop iterations one render may take here: far above any newsletter, and a template above it
 * goes to LiquidJS, whose render and memory limits end a runaway loop with an error.
 */
const MAX_ITERATIONS = 100_000;
/** Where a render writes: text of the template (fixed) or a value. */
interface Sink {
  put(text: string, fixed: boolean): void;
}
type Node = (env: Env, out: Sink) => void;
type Getter = (env: Env) => unknown;

/**
 * Filters with no state, arguments or context beyond a memory budget (unlimited here, as in the
 * Liquid instance): called through LiquidJS's own implementation, so their output is its output.
 */
const PURE_FILTERS = new Set([
  'upcase',
  'downcase',
  'capitalize',
  'strip',
  'lstrip',
  'rstrip',
  'escape',
  'escape_once',
  'url_encode',
  'append',
  'prepend',
  'remove',
  'replace',
]);

/** Names LiquidJS resolves specially on a scope object (`size`, `first`, `last`). */
const SPECIAL_NAMES = new Set(['size', 'first', 'last']);

const FORLOOP: Record<string, (frame: LoopFrame) => unknown> = {
  index: (f) => f.index + 1,
  index0: (f) => f.index,
  rindex: (f) => f.length - f.index,
  rindex0: (f) => f.length - f.index - 1,
  first: (f) => f.index === 0,
  last: (f) => f.index === f.length - 1,
  length: (f) => f.length,
};

/** Compiles `templates` (from `liquid.parse`) or returns null when they leave the subset. */
export function compileFast(liquid: Liquid, templates: readonly Template[]): FastRenderer | null {
  const filterThis = {
    liquid,
    context: { memoryLimit: { use: () => undefined }, opts: liquid.options },
  };
  const nodes = compileList(templates, [], liquid, filterThis);
  if (!nodes) return null;
  const render = (attributes: Readonly<Record<string, unknown>>, out: Sink) => {
    const env: Env = { attributes, loop: null, budget: MAX_ITERATIONS };
    for (const node of nodes) node(env, out);
  };
  return Object.assign(
    (attributes: Readonly<Record<string, unknown>>) => {
      const out = new TextSink();
      render(attributes, out);
      return out.text;
    },
    {
      pieces: (attributes: Readonly<Record<string, unknown>>): RenderedPieces => {
        const out = new PiecesSink();
        render(attributes, out);
        return out;
      },
    },
  );
}

class TextSink implements Sink {
  text = '';
  put(text: string): void {
    this.text += text;
  }
}

class PiecesSink implements Sink, RenderedPieces {
  readonly pieces: string[] = [];
  readonly fixed: boolean[] = [];
  put(text: string, fixed: boolean): void {
    if (text.length === 0) return;
    this.pieces.push(text);
    this.fixed.push(fixed);
  }
}

function compileList(
  templates: readonly Template[],
  loops: readonly string[],
  liquid: Liquid,
  filterThis: object,
): Node[] | null {
  const nodes: Node[] = [];
  for (const template of templates) {
    const node = compileNode(template, loops, liquid, filterThis);
    if (!node) return null;
    nodes.push(node);
  }
  return nodes;
}

function compileNode(
  template: Template,
  loops: readonly string[],
  liquid: Liquid,
  filterThis: object,
): Node | null {
  const kind = template.constructor.name;
  const t = template as unknown as Record<string, unknown>;
  if (kind === 'HTML' && typeof t['str'] === 'string') {
    const text = t['str'];
    return (_env, out) => out.put(text, true);
  }
  if (kind === 'Output') return compileOutput(t['value'], loops, liquid, filterThis);
  if (kind === 'ForTag') return compileFor(t, loops, liquid, filterThis);
  return null;
}

function compileOutput(value: unknown, loops: readonly string[], liquid: Liquid, filterThis: object) {
  const v = value as { initial?: { postfix?: unknown[] }; filters?: unknown[] } | undefined;
  const postfix = v?.initial?.postfix;
  if (!postfix || postfix.length !== 1) return null;
  const get = compileGetter(postfix[0], loops);
  if (!get) return null;
  const filters: Array<(value: unknown, env: Env) => unknown> = [];
  for (const filter of v.filters ?? []) {
    const f = filter as { name?: string; raw?: boolean; handler?: unknown; args?: unknown[] };
    if (!f.name || !PURE_FILTERS.has(f.name) || f.raw || typeof f.handler !== 'function') return null;
    const handler = f.handler as (...args: unknown[]) => unknown;
    const self = { ...filterThis, token: (filter as { token?: unknown }).token };
    const args: Getter[] = [];
    for (const arg of f.args ?? []) {
      const getArg = Array.isArray(arg) ? null : compileGetter(arg, loops);
      if (!getArg) return null; // key: value arguments and expressions stay with LiquidJS
      args.push(getArg);
    }
    filters.push((input, env) => handler.apply(self, [input, ...args.map((arg) => arg(env))]));
  }
  return (env: Env, out: Sink) => {
    let result = get(env);
    for (const filter of filters) result = filter(result, env);
    out.put(stringify(result), false);
  };
}

/** A literal, an attribute, a loop's item or a `forloop` property. */
function compileGetter(token: unknown, loops: readonly string[]): Getter | null {
  const kind = (token as object | null)?.constructor?.name;
  const t = token as Record<string, unknown>;
  if (kind === 'QuotedToken' || kind === 'NumberToken') {
    const content = t['content'];
    return () => content;
  }
  if (kind !== 'PropertyAccessToken' || t['variable'] !== undefined) return null;
  const props = t['props'] as Array<{ constructor: { name: string }; content?: unknown }>;
  if (!props.every((p) => p.constructor.name === 'IdentifierToken' && typeof p.content === 'string'))
    return null;
  const names = props.map((p) => p.content as string);
  const [head, second] = names;
  if (head === undefined) return null;
  const innermost = loops.lastIndexOf(head);
  if (head === 'forloop' && loops.length > 0) {
    const read = second === undefined ? undefined : FORLOOP[second];
    if (names.length !== 2 || !read) return null;
    return (env) => read(env.loop!);
  }
  if (innermost !== -1) {
    if (names.length !== 1) return null;
    // How many loops out the variable was bound, counted from the innermost.
    const depth = loops.length - 1 - innermost;
    return (env) => {
      let frame = env.loop!;
      for (let i = 0; i < depth; i++) frame = frame.parent!;
      return frame.item;
    };
  }
  if (names.length !== 1 || SPECIAL_NAMES.has(head) || head === 'forloop') return null;
  return (env) => {
    const { attributes } = env;
    if (!Object.hasOwn(attributes, head)) throw MISS;
    const found = attributes[head];
    if (found === undefined || (found !== null && typeof found === 'object') || typeof found === 'function')
      throw MISS;
    return found;
  };
}

function compileFor(
  tag: Record<string, unknown>,
  loops: readonly string[],
  liquid: Liquid,
  filterThis: object,
): Node | null {
  const variable = tag['variable'];
  const collection = tag['collection'] as Record<string, unknown> | undefined;
  const hash = (tag['hash'] as { hash?: object } | undefined)?.hash;
  if (typeof variable !== 'string' || variable === 'forloop') return null;
  if (!collection || collection.constructor.name !== 'RangeToken') return null;
  if (!hash || Object.keys(hash).length > 0) return null; // limit, offset, reversed
  const low = compileGetter(collection['lhs'], loops);
  const high = compileGetter(collection['rhs'], loops);
  if (!low || !high) return null;
  const inner = [...loops, variable];
  const body = compileList(tag['templates'] as Template[], inner, liquid, filterThis);
  const otherwise = compileList((tag['elseTemplates'] as Template[]) ?? [], loops, liquid, filterThis);
  if (!body || !otherwise) return null;
  return (env, out) => {
    const from = integer(low(env));
    const to = integer(high(env));
    if (to < from) {
      for (const node of otherwise) node(env, out);
      return;
    }
    env.budget -= to - from + 1;
    if (env.budget < 0) throw MISS;
    const frame: LoopFrame = { variable, item: from, index: 0, length: to - from + 1, parent: env.loop };
    env.loop = frame;
    try {
      for (let i = from; i <= to; i++) {
        frame.item = i;
        frame.index = i - from;
        for (const node of body) node(env, out);
      }
    } finally {
      env.loop = frame.parent;
    }
  };
}

/** A range end LiquidJS would treat the same way: a whole number, as a number or numeric text. */
function integer(value: unknown): number {
  const n =
    typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? +value : NaN;
  if (!Number.isSafeInteger(n)) throw MISS;
  return n;
}

/** LiquidJS's output conversion for the primitive values this subset produces. */
function stringify(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw MISS;
}
