import { parseHeaderValue } from 'nodemailer/lib/mime-funcs';

export interface MimePart {
  /** Lower-cased media type without parameters. */
  type: string;
  params: Record<string, string>;
  headers: string;
  body: string;
}

function splitHead(raw: string): { headers: string; body: string } {
  const end = raw.search(/\r?\n\r?\n/);
  if (end < 0) return { headers: raw, body: '' };
  return { headers: raw.slice(0, end), body: raw.slice(end).replace(/^\r?\n\r?\n/, '') };
}

function contentType(headers: string): { type: string; params: Record<string, string> } {
  const unfolded = headers.replace(/\r?\n[ \t]+/g, ' ');
  const line = /^content-type:\s*(.*)$/im.exec(unfolded)?.[1] ?? 'text/plain';
  const parsed = parseHeaderValue(line);
  return { type: parsed.value.toLowerCase(), params: parsed.params };
}

/**
 * The top-level structure of a multipart message, split by hand. mailparser folds
 * message/delivery-status into the text body, which would hide exactly what a DSN test checks.
 */
export function mimeParts(raw: string): { type: string; params: Record<string, string>; parts: MimePart[] } {
  const { headers, body } = splitHead(raw);
  const { type, params } = contentType(headers);
  const boundary = params['boundary'];
  if (!boundary) return { type, params, parts: [] };
  const sections = body.split(`--${boundary}`).slice(1, -1); // drop the preamble and the epilogue
  const parts = sections.map((section) => {
    const part = splitHead(section.replace(/^\r?\n/, ''));
    return { ...contentType(part.headers), headers: part.headers, body: part.body.replace(/\r?\n$/, '') };
  });
  return { type, params, parts };
}
