/**
 * Quoted-printable (RFC 2045 §6.7) for message bodies, over bytes with lookup tables: the MTA
 * encodes every personalized 20–100 KB body, and a per-character encoder cost more than the DKIM
 * signature. Line breaks become CRLF hard breaks, lines are cut at 76 characters with soft breaks
 * (never inside an =XX escape), and a space or tab before a line break or at the end is escaped.
 */
const HEX = Buffer.from('0123456789ABCDEF', 'latin1');
/** What each byte is to the encoder: copied, escaped, white space (escaped before a line end), LF, CR. */
const LITERAL = 0;
const ESCAPED = 1;
const WHITESPACE = 2;
const NEWLINE = 3;
const RETURN = 4;
const CLASS = new Uint8Array(256).map((_, byte) =>
  byte === 10
    ? NEWLINE
    : byte === 13
      ? RETURN
      : byte === 32 || byte === 9
        ? WHITESPACE
        : byte === 61 || byte > 126 || byte < 32
          ? ESCAPED
          : LITERAL,
);
/** Content columns per line: 76 minus the "=" of a soft break. */
const WIDTH = 75;

/** The encoded text as bytes (7-bit), for a message assembled as a Buffer. */
export function encodeQuotedPrintableBytes(text: string): Buffer {
  const input = Buffer.from(text, 'utf8');
  const length = input.length;
  // Worst case: every byte escaped (3x) plus a soft break (3 bytes) per 25 escapes.
  const out = Buffer.allocUnsafe(length * 3 + Math.ceil(length / 25) * 3 + 3);
  let o = 0;
  let column = 0;
  for (let i = 0; i < length; i++) {
    const byte = input[i]!;
    const kind = CLASS[byte]!;
    // Most bytes of a body: one branch, one copy.
    if (kind === LITERAL) {
      if (column === WIDTH) {
        out[o++] = 61;
        out[o++] = 13;
        out[o++] = 10;
        column = 0;
      }
      out[o++] = byte;
      column++;
      continue;
    }
    if (kind === NEWLINE || (kind === RETURN && input[i + 1] === 10)) {
      if (kind === RETURN) i++;
      out[o++] = 13;
      out[o++] = 10;
      column = 0;
      continue;
    }
    let escape = kind !== WHITESPACE;
    if (!escape) {
      const next = input[i + 1];
      escape = next === undefined || next === 10 || (next === 13 && input[i + 2] === 10);
    }
    const width = escape ? 3 : 1;
    if (column + width > WIDTH) {
      out[o++] = 61;
      out[o++] = 13;
      out[o++] = 10;
      column = 0;
    }
    if (escape) {
      out[o++] = 61;
      out[o++] = HEX[byte >> 4]!;
      out[o++] = HEX[byte & 15]!;
    } else out[o++] = byte;
    column += width;
  }
  return out.subarray(0, o);
}
