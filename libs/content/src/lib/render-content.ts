import { Liquid, type Template } from 'liquidjs';
import type { DeliveryContent } from '@postwave/contracts';
import { compileFast, type FastRenderer, type RenderedPieces } from './fast-render';

export type { RenderedPieces } from './fast-render';

export type Attributes = Readonly<Record<string, string | number | boolean | null>>;

/**
 * Variables the MTA provides to every template besides the profile attributes: the recipient's
 * one-click unsubscribe link and the message id. A profile attribute of the same name is ignored.
 */
export const RESERVED_VARIABLES = ['unsubscribeUrl', 'messageId'] as const;
export type ReservedVariables = Readonly<Record<(typeof RESERVED_VARIABLES)[number], string>>;

/** Sample values for the analysis, which renders before any message id or link exists. */
export const SAMPLE_RESERVED: ReservedVariables = {
  unsubscribeUrl: 'https://unsubscribe.invalid/sample',
  messageId: 'm000000000000000000000000',
};

export const withReserved = (attributes: Attributes, reserved: ReservedVariables): Attributes => {
  // Not `{ ...attributes, ...reserved }`: on Node 20 (V8 11.3) each property added to an object made
  // by a leading spread costs about a microsecond. A literal first, then the attributes, then the
  // reserved values again so they win (Object.assign would run the `__proto__` setter on its target).
  const merged = { unsubscribeUrl: reserved.unsubscribeUrl, messageId: reserved.messageId, ...attributes };
  merged.unsubscribeUrl = reserved.unsubscribeUrl;
  merged.messageId = reserved.messageId;
  return merged;
};

export interface RenderedContent {
  readonly subject: string;
  readonly html?: string;
  /**
   * The html as the template's own text and the values put into it, when the fast renderer made
   * it: the MTA encodes the template's text once per delivery instead of once per recipient.
   */
  readonly htmlPieces?: RenderedPieces;
  readonly text: string;
}

export type RenderResult =
  { ok: true; content: RenderedContent } | { ok: false; part: string; error: string };

/**
 * What one recipient's render may use: a template that would loop for minutes or build gigabytes
 * (`{% for i in (1..100000000) %}`) fails that recipient's personalization instead of stalling the
 * analysis or the MTA. Newsletters use a tiny fraction of both.
 */
export const RENDER_LIMITS = { renderMs: 2_000, memory: 10_000_000 } as const;

// Strict mode: a missing variable or unknown filter is an error for that recipient, never an
// empty string in someone's inbox.
const liquid = new Liquid({
  strictVariables: true,
  strictFilters: true,
  ownPropertyOnly: true,
  cache: false,
  renderLimit: RENDER_LIMITS.renderMs,
  memoryLimit: RENDER_LIMITS.memory,
});

/** Delivery content with its templates parsed once, rendered per recipient. */
export class CompiledContent {
  /**
   * The top-level variables the templates read, when every one is a plain name: then a recipient
   * whose attributes define them all renders without error (strict mode fails only on undefined
   * variables; filters are checked at parse time), and the analysis can skip rendering. Null when
   * a template reads nested or computed paths: those always render.
   */
  private readonly plainVariables: readonly string[] | null;
  /** Each part compiled to closures when it stays within the fast renderer's subset. */
  private readonly fast: {
    readonly subject: FastRenderer | null;
    readonly html: FastRenderer | null;
    readonly text: FastRenderer | null;
  };

  private constructor(
    private readonly subject: Template[],
    private readonly html: Template[] | undefined,
    private readonly text: Template[] | undefined,
  ) {
    this.fast = {
      subject: compileFast(liquid, subject),
      html: html ? compileFast(liquid, html) : null,
      text: text ? compileFast(liquid, text) : null,
    };
    const segments = [subject, html, text].flatMap((part) =>
      part ? liquid.globalVariableSegmentsSync(part) : [],
    );
    this.plainVariables = segments.every((path) => path.length === 1 && typeof path[0] === 'string')
      ? [...new Set(segments.map((path) => path[0] as string))]
      : null;
  }

  /** Fails on template syntax errors, naming the part. */
  static compile(
    content: DeliveryContent,
  ): { ok: true; compiled: CompiledContent } | { ok: false; part: string; error: string } {
    const parts: Record<string, Template[] | undefined> = {};
    for (const part of ['subject', 'html', 'text'] as const) {
      const source = content[part];
      if (source === undefined) continue;
      try {
        parts[part] = liquid.parse(source);
      } catch (error) {
        return { ok: false, part, error: (error as Error).message };
      }
    }
    return { ok: true, compiled: new CompiledContent(parts['subject'] ?? [], parts['html'], parts['text']) };
  }

  /** The attributes the templates read, when all are plain names (null: they read nested paths). */
  get variables(): readonly string[] | null {
    return this.plainVariables;
  }

  /**
   * Only the attributes the templates read, so what travels with a message stays small; all of
   * them when the templates read nested or computed paths.
   */
  readAttributes(attributes: Attributes): Attributes {
    if (!this.plainVariables) return attributes;
    const kept: Record<string, Attributes[string]> = {};
    for (const name of this.plainVariables)
      if (Object.hasOwn(attributes, name)) kept[name] = attributes[name]!;
    return kept;
  }

  /**
   * Renders every part to find personalization errors, without building the text alternative:
   * the analysis checks each recipient this way, the MTA renders for real.
   */
  check(
    attributes: Attributes,
    reserved?: ReservedVariables,
  ): { ok: true } | { ok: false; part: string; error: string } {
    const defined = (name: string) =>
      (Object.hasOwn(attributes, name) && attributes[name] !== undefined) ||
      (reserved !== undefined && Object.hasOwn(reserved, name));
    if (this.plainVariables?.every(defined)) return { ok: true };
    if (reserved) attributes = withReserved(attributes, reserved);
    let part = 'subject';
    try {
      renderPart(this.fast.subject, this.subject, attributes);
      part = 'html';
      if (this.html) renderPart(this.fast.html, this.html, attributes);
      part = 'text';
      if (this.text) renderPart(this.fast.text, this.text, attributes);
      return { ok: true };
    } catch (error) {
      return { ok: false, part, error: (error as Error).message.split('\n')[0] ?? 'render error' };
    }
  }

  render(attributes: Attributes): RenderResult {
    let part = 'subject';
    try {
      const subject = renderPart(this.fast.subject, this.subject, attributes);
      part = 'html';
      const htmlPieces = this.html ? renderPieces(this.fast.html, attributes) : undefined;
      const html = htmlPieces
        ? htmlPieces.pieces.join('')
        : this.html
          ? // No fast renderer, or it could not decide: LiquidJS's output or its error.
            renderPart(null, this.html, attributes)
          : undefined;
      part = 'text';
      const text = this.text ? renderPart(this.fast.text, this.text, attributes) : htmlToText(html ?? '');
      return {
        ok: true,
        content: {
          subject: subject.replace(/[\r\n]+/g, ' ').trim(),
          html,
          ...(htmlPieces ? { htmlPieces } : {}),
          text,
        },
      };
    } catch (error) {
      return { ok: false, part, error: (error as Error).message.split('\n')[0] ?? 'render error' };
    }
  }
}

/** The fast renderer's output when it can decide, else LiquidJS's (its output or its error). */
function renderPart(fast: FastRenderer | null, templates: Template[], attributes: Attributes): string {
  if (fast) {
    try {
      return fast(attributes);
    } catch {
      // A miss, or a filter's own error: LiquidJS renders again and reports it in its words.
    }
  }
  return liquid.renderSync(templates, attributes) as string;
}

/** The fast renderer's pieces when it can decide; undefined when LiquidJS must render. */
function renderPieces(fast: FastRenderer | null, attributes: Attributes): RenderedPieces | undefined {
  if (!fast) return undefined;
  try {
    return fast.pieces(attributes);
  } catch {
    return undefined;
  }
}

/** A plain-text alternative for HTML-only content: block elements become line breaks. */
export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, '')
    .replace(/<a\s[^>]*href="([^"]*)"[^>]*>([\s\S]*?)<\/a>/gi, '$2 ($1)')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|h[1-6]|li|tr|table)>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
