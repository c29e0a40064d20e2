/**
 * Quoted-printable (RFC 2045 §6.7) for message bodies, over bytes with lookup tables: the MTA
 * encodes every personalized 20–100 KB body, and a per-character encoder cost more than the DKIM
 * signature. Line breaks become CRLF hard breaks, lines are cut at 76 characters with soft breaks
 * (never inside an =XX escape), and a space or tab before a line break or at the end is escaped.
 */
const HEX = new TextEncoder().encode('0123456789ABCDEF');
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

/**
 * The text's UTF-8 bytes and the encoding are worked out in two arrays kept from call to call, up
 * to this size; only the result is allocated, at its size. A fresh input copy and a worst-case
 * output (three times the body) per message made a build thread's garbage collection, at 100 KB,
 * cost as much as the encoding itself. Plain Uint8Arrays, not Buffers: V8 runs this loop over
 * them twice as fast.
 */
const SCRATCH_MAX = 1024 * 1024;
const utf8 = new TextEncoder();

/** A working array kept from call to call: grown when too small, never kept beyond SCRATCH_MAX. */
class Scratch {
  private kept = new Uint8Array(0);

  atLeast(bytes: number): Uint8Array {
    if (this.kept.length >= bytes) return this.kept;
    if (bytes > SCRATCH_MAX) return new Uint8Array(bytes);
    this.kept = new Uint8Array(Math.min(SCRATCH_MAX, Math.max(bytes, 64 * 1024) * 2));
    return this.kept;
  }
}
const inputScratch = new Scratch();
const outputScratch = new Scratch();

/**
 * The encoded text as bytes (7-bit), after `head` when given: a body part's header lines and its
 * encoded body come out as one buffer of their own. `head` is ASCII and ends with a line break
 * (the encoded text starts at a line's first column); it is written as it is.
 */
export function encodeQuotedPrintableBytes(text: string, head = ''): Buffer {
  // UTF-8 takes at most three bytes per UTF-16 unit.
  const input = inputScratch.atLeast(text.length * 3);
  const length = utf8.encodeInto(text, input).written;
  // Worst case: every byte escaped (3x) plus a soft break (3 bytes) per 25 escapes.
  const out = outputScratch.atLeast(head.length * 3 + length * 3 + Math.ceil(length / 25) * 3 + 3);
  let o = utf8.encodeInto(head, out).written;
  let column = 0;
  let i = 0;
  while (i < length) {
    // Most bytes of a body: a run of literal bytes up to the line's last column, one test each
    // (a per-byte column check made this loop half as fast again). A space or tab stays in the run
    // unless a line end or the text's end follows it: leaving the run for every space of prose
    // cost a quarter of the encoding.
    const limit = Math.min(length, i + WIDTH - column);
    const start = i;
    while (i < limit) {
      const byte = input[i]!;
      const kind = CLASS[byte];
      if (kind !== LITERAL) {
        if (kind !== WHITESPACE || i + 1 === length) break;
        const next = input[i + 1];
        if (next === 10 || next === 13) break;
      }
      out[o++] = byte;
      i++;
    }
    column += i - start;
    if (i === length) break;
    const byte = input[i]!;
    const kind = CLASS[byte]!;
    if (kind === LITERAL) {
      // The line is full: a soft break, and the run goes on.
      out[o++] = 61;
      out[o++] = 13;
      out[o++] = 10;
      column = 0;
      continue;
    }
    if (kind === NEWLINE || (kind === RETURN && i + 1 < length && input[i + 1] === 10)) {
      i += kind === RETURN ? 2 : 1;
      out[o++] = 13;
      out[o++] = 10;
      column = 0;
      continue;
    }
    let escape = kind !== WHITESPACE;
    if (!escape) {
      // The scratch holds older bytes past the text's end: the end is found by its length.
      escape =
        i + 1 === length ||
        input[i + 1] === 10 ||
        (input[i + 1] === 13 && i + 2 < length && input[i + 2] === 10);
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
    i++;
  }
  return Buffer.from(out.subarray(0, o));
}
