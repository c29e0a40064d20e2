/**
 * Just enough RFC 5322 header parsing to report what a tester looks for. A full parser
 * (mailparser) would buffer whole bodies; the simulator sees thousands of messages a second.
 */
export interface HeaderField {
  name: string;
  value: string;
}

export interface DkimSignatureSummary {
  /** d= tag */
  domain: string;
  /** s= tag */
  selector: string;
}

export interface HeaderSummary {
  messageId?: string;
  subject?: string;
  from?: string;
  autoSubmitted?: string;
  dkimSignatures: DkimSignatureSummary[];
}

/** Splits a header block (up to the blank line) into unfolded fields, in order. */
export function parseHeaderBlock(block: string): HeaderField[] {
  const fields: HeaderField[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (line === '') break;
    const last = fields[fields.length - 1];
    if (/^[ \t]/.test(line)) {
      if (last) last.value += ' ' + line.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon > 0) fields.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() });
  }
  return fields;
}

function decodeWord(charset: string, encoding: string, text: string): string {
  const bytes =
    encoding.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64')
      : Buffer.from(
          text
            .replace(/_/g, ' ')
            .replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
          'latin1',
        );
  try {
    return new TextDecoder(charset.split('*')[0]).decode(bytes);
  } catch {
    return bytes.toString('latin1'); // unknown charset: show something rather than fail
  }
}

/** Decodes RFC 2047 encoded-words; whitespace between adjacent encoded-words is dropped. */
export function decodeMimeWords(value: string): string {
  return value
    .replace(/(=\?[^?]+\?[BbQq]\?[^?]*\?=)\s+(?==\?[^?]+\?[BbQq]\?[^?]*\?=)/g, '$1')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_m, cs: string, enc: string, text: string) =>
      decodeWord(cs, enc, text),
    );
}

function tag(signature: string, name: string): string {
  const match = new RegExp(`(?:^|;)\\s*${name}\\s*=\\s*([^;]*)`).exec(signature);
  return (match?.[1] ?? '').replace(/\s+/g, '');
}

export function summarizeHeaders(fields: readonly HeaderField[]): HeaderSummary {
  const first = (name: string) => fields.find((f) => f.name.toLowerCase() === name)?.value;
  const subject = first('subject');
  return {
    messageId: first('message-id'),
    subject: subject === undefined ? undefined : decodeMimeWords(subject),
    from: first('from'),
    autoSubmitted: first('auto-submitted'),
    dkimSignatures: fields
      .filter((f) => f.name.toLowerCase() === 'dkim-signature')
      .map((f) => ({ domain: tag(f.value, 'd'), selector: tag(f.value, 's') })),
  };
}
