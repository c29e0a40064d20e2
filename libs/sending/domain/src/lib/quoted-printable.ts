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

/** Where an encoding stands: the next output index and the column of the line being written. */
interface Position {
  o: number;
  column: number;
}

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
  const out = outputScratch.atLeast(head.length * 3 + worstCase(length));
  const at: Position = { o: utf8.encodeInto(head, out).written, column: 0 };
  encodeRun(input, length, out, at);
  return Buffer.from(out.subarray(0, at.o));
}

/** The most bytes `length` input bytes can take encoded: all escaped, with a soft break per 25. */
const worstCase = (length: number) => length * 3 + Math.ceil(length / 25) * 3 + 3;

/**
 * Encodes `length` bytes of `input` into `out` from `at`, going on with the line `at` is in; the
 * input's end counts as the text's end (a space or tab there is escaped).
 */
function encodeRun(input: Uint8Array, length: number, out: Uint8Array, at: Position): void {
  let o = at.o;
  let column = at.column;
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
  at.o = o;
  at.column = column;
}

/** A piece of fixed text encoded once, as if it started a line, with what joining it needs. */
export interface EncodedPiece {
  readonly bytes: Uint8Array;
  /** Content columns of its first line (before a line break, or in all when it has none). */
  readonly firstLine: number;
  /** Whether it holds a line break (hard or soft). */
  readonly broken: boolean;
  /** Content columns of its last line. */
  readonly lastLine: number;
}

/**
 * The fixed text of one delivery's templates, encoded: bounded, and emptied when full (a template
 * has a few hundred pieces of text; only a runaway would reach the bound).
 */
export class QuotedPrintablePieces {
  private readonly encoded = new Map<string, EncodedPiece>();

  constructor(private readonly max = 10_000) {}

  get size(): number {
    return this.encoded.size;
  }

  /** The piece's encoding, made on first use. */
  piece(text: string): EncodedPiece {
    const found = this.encoded.get(text);
    if (found) return found;
    if (this.encoded.size >= this.max) this.encoded.clear();
    const bytes = encodeQuotedPrintableBytes(text);
    let first = -1;
    let last = -1;
    for (let i = 1; i < bytes.length; i++) {
      if (bytes[i] !== 10 || bytes[i - 1] !== 13) continue;
      if (first < 0) first = i - 1;
      last = i;
    }
    // "=" right before a line break is a soft break: content escapes end in hex digits.
    const piece: EncodedPiece =
      first < 0
        ? { bytes, firstLine: bytes.length, broken: false, lastLine: bytes.length }
        : {
            bytes,
            firstLine: first - (first > 0 && bytes[first - 1] === 61 ? 1 : 0),
            broken: true,
            lastLine: bytes.length - last - 1,
          };
    this.encoded.set(text, piece);
    return piece;
  }
}

/**
 * `encodeQuotedPrintableBytes` of a text given as pieces (`RenderedPieces` of a template): the
 * fixed pieces are encoded once into `cache` and copied from there, the others encoded in place.
 * A fixed piece starts a new line (after a soft break) unless its first line fits where the text
 * stands. The bytes may differ from encoding the joined text (more soft breaks, a space escaped
 * at a piece's end) but decode to the same text and keep every rule of the encoding.
 */
export function encodeQuotedPrintablePieces(
  pieces: readonly string[],
  fixed: readonly boolean[],
  cache: QuotedPrintablePieces,
  head = '',
): Buffer {
  // Fixed pieces found or encoded first (encoding one uses the scratch arrays), and the room.
  const encoded: Array<EncodedPiece | null> = [];
  let room = head.length * 3 + 3;
  let endsInReturn = false;
  for (let i = 0; i < pieces.length; i++) {
    const text = pieces[i]!;
    // A CR ending one piece and an LF starting the next are one line break only read together.
    if (endsInReturn && text.charCodeAt(0) === 10) return encodeQuotedPrintableBytes(pieces.join(''), head);
    if (text.length > 0) endsInReturn = text.charCodeAt(text.length - 1) === 13;
    const piece = fixed[i] ? cache.piece(text) : null;
    encoded.push(piece);
    room += piece ? piece.bytes.length + 3 : worstCase(text.length * 3) + 3;
  }
  const out = outputScratch.atLeast(room);
  const at: Position = { o: utf8.encodeInto(head, out).written, column: 0 };
  for (let i = 0; i < pieces.length; i++) {
    const piece = encoded[i];
    if (!piece) {
      const text = pieces[i]!;
      if (!writeLiteral(text, out, at)) {
        const input = inputScratch.atLeast(text.length * 3);
        encodeRun(input, utf8.encodeInto(text, input).written, out, at);
      }
      continue;
    }
    if (at.column > 0 && at.column + piece.firstLine > WIDTH) {
      out[at.o++] = 61;
      out[at.o++] = 13;
      out[at.o++] = 10;
      at.column = 0;
    }
    out.set(piece.bytes, at.o);
    at.o += piece.bytes.length;
    at.column = piece.broken ? piece.lastLine : at.column + piece.bytes.length;
  }
  return Buffer.from(out.subarray(0, at.o));
}

/**
 * A short value that needs no escape and fits on the line (a name, a number, a code: most of what
 * personalizes a message) written as it is, without a pass through UTF-8; false when it is not one.
 */
function writeLiteral(text: string, out: Uint8Array, at: Position): boolean {
  const length = text.length;
  if (length > 32 || at.column + length > WIDTH) return false;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code > 126 || CLASS[code] !== LITERAL) {
      // A space or tab inside the value is literal; at its end it is escaped by the slow path.
      if (code > 126 || CLASS[code] !== WHITESPACE || i === length - 1) return false;
    }
  }
  let o = at.o;
  for (let i = 0; i < length; i++) out[o++] = text.charCodeAt(i);
  at.o = o;
  at.column += length;
  return true;
}
