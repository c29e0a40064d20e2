/**
 * Quoted-printable (RFC 2045 §6.7) for message bodies, over bytes with lookup tables: the MTA
 * encodes every personalized 20–100 KB body, and a per-character encoder cost more than the DKIM
 * signature. Line breaks become CRLF hard breaks, lines are cut at 76 characters with soft breaks
 * (never inside an =XX escape), and a space or tab before a line break or at the end is escaped.
 */
const HEX = '0123456789ABCDEF';
/** 0: literal, 1: escape. Space and tab are literal unless they end a line (handled below). */
const ESCAPE = new Uint8Array(256).map((_, byte) =>
  byte === 61 || byte > 126 || (byte < 32 && byte !== 9) ? 1 : 0,
);
const MAX_LINE = 76;

export function encodeQuotedPrintable(text: string): string {
  const input = Buffer.from(text, 'utf8');
  // Worst case: every byte escaped (3x) plus a soft break every 25 escapes.
  const out = Buffer.allocUnsafe(input.length * 3 + Math.ceil((input.length * 3) / 73) * 3 + 3);
  let o = 0;
  let column = 0;
  const put = (byte: number) => {
    out[o++] = byte;
    column++;
  };
  const softBreak = () => {
    out[o++] = 61; // =
    out[o++] = 13;
    out[o++] = 10;
    column = 0;
  };
  const escape = (byte: number) => {
    if (column + 3 > MAX_LINE - 1) softBreak();
    out[o++] = 61;
    out[o++] = HEX.charCodeAt(byte >> 4);
    out[o++] = HEX.charCodeAt(byte & 15);
    column += 3;
  };
  for (let i = 0; i < input.length; i++) {
    const byte = input[i]!;
    if (byte === 10 || (byte === 13 && input[i + 1] === 10)) {
      if (byte === 13) i++;
      out[o++] = 13;
      out[o++] = 10;
      column = 0;
      continue;
    }
    if (byte === 32 || byte === 9) {
      const next = input[i + 1];
      const endsLine = next === undefined || next === 10 || (next === 13 && input[i + 2] === 10);
      if (endsLine) {
        escape(byte);
        continue;
      }
    }
    if (ESCAPE[byte]) {
      escape(byte);
      continue;
    }
    if (column + 1 > MAX_LINE - 1) softBreak();
    put(byte);
  }
  return out.toString('latin1', 0, o);
}
