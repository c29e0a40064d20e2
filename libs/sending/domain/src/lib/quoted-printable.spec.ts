import { seededRandom } from '@postwave/fixtures/random';
import {
  encodeQuotedPrintableBytes,
  encodeQuotedPrintablePieces,
  QuotedPrintablePieces,
} from './quoted-printable';

const encodeQuotedPrintable = (text: string) => encodeQuotedPrintableBytes(text).toString('latin1');

/** RFC 2045 decoding: soft breaks vanish, =XX are bytes, CRLF are line breaks. */
function decode(qp: string): string {
  const bytes: number[] = [];
  const text = qp.replace(/=\r\n/g, '');
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '=') {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(text.charCodeAt(i));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** RFC 2045 §6.7 the plain way, a byte at a time: what the encoder must write, byte for byte. */
function reference(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  let out = '';
  let column = 0;
  const softBreak = () => {
    out += '=\r\n';
    column = 0;
  };
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte === 10 || (byte === 13 && bytes[i + 1] === 10)) {
      if (byte === 13) i++;
      out += '\r\n';
      column = 0;
      continue;
    }
    const atLineEnd =
      i + 1 === bytes.length || bytes[i + 1] === 10 || (bytes[i + 1] === 13 && bytes[i + 2] === 10);
    const literal = (byte >= 33 && byte <= 126 && byte !== 61) || ((byte === 32 || byte === 9) && !atLineEnd);
    const piece = literal
      ? String.fromCharCode(byte)
      : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    if (column + piece.length > 75) softBreak();
    out += piece;
    column += piece.length;
  }
  return out;
}

describe('quoted-printable', () => {
  const samples = [
    'plain ascii line',
    'Hej Åsa, välkommen! 😀 = price €10',
    `<p style="color:#333">${'x'.repeat(300)}</p>\n<a href="https://shop.example/?a=1&b=2">länk</a>`,
    'trailing space \nand tab\t\r\nend ',
    `${'=é'.repeat(100)}`,
    '',
    '\r lone carriage return \x00 nul',
  ];

  it('decodes back to the text, with CRLF line breaks', () => {
    for (const sample of samples)
      expect(decode(encodeQuotedPrintable(sample))).toBe(sample.replace(/\r?\n/g, '\r\n'));
  });

  it('keeps every line within 76 characters, 7-bit, with no escape split by a soft break', () => {
    for (const sample of samples) {
      const encoded = encodeQuotedPrintable(sample);
      for (const line of encoded.split('\r\n')) {
        expect(line.length).toBeLessThanOrEqual(76);
        expect(line).toMatch(/^[\x20-\x7e\t]*$/);
        // An escape is never cut: no line ends with "=" and a single hex digit.
        expect(line).not.toMatch(/=[0-9A-F]$/);
      }
    }
  });

  it('escapes "=", non-ASCII bytes and whitespace that ends a line, nothing else', () => {
    expect(encodeQuotedPrintable('a=b é \nx\t')).toBe('a=3Db =C3=A9=20\r\nx=09');
  });

  it('writes what the plain byte-at-a-time encoding writes, on random texts', () => {
    const next = seededRandom(2045);
    const alphabet = ['a', 'b', '=', ' ', '\t', '\r', '\n', '\r\n', 'é', '€', '\x00', '.', 'x'.repeat(70)];
    for (let round = 0; round < 2000; round++) {
      const text = Array.from({ length: next(120) }, () => alphabet[next(alphabet.length)]!).join('');
      expect({ text, encoded: encodeQuotedPrintable(text) }).toEqual({ text, encoded: reference(text) });
    }
  });

  it('writes the head first, as it is, then the encoded text', () => {
    const head = 'Content-Type: text/plain; charset=utf-8\r\n\r\n';
    expect(encodeQuotedPrintableBytes('a=b é', head).toString('latin1')).toBe(`${head}a=3Db =C3=A9`);
  });

  it('encodes a text the same whatever longer text was encoded before it', () => {
    // The bytes after a short text's end are left over from the longer one before: a lone CR or a
    // space at the end must still be seen as ending the text.
    encodeQuotedPrintable('a\r\n');
    expect(encodeQuotedPrintable('b\r')).toBe('b=0D');
    encodeQuotedPrintable('xyz');
    expect(encodeQuotedPrintable('a ')).toBe('a=20');
    encodeQuotedPrintable('a \r\nb');
    expect(encodeQuotedPrintable('a \r')).toBe('a =0D');
    const first = samples.map(encodeQuotedPrintable);
    const order = [...samples.keys()].reverse().concat([...samples.keys()]);
    for (const i of order) expect(encodeQuotedPrintable(samples[i]!)).toBe(first[i]);
  });

  it('encodes a text larger than the kept buffers as any other, and keeps working on small ones', () => {
    // 450,000 UTF-16 units may take 1.35 MB as UTF-8: more than the kept buffers hold.
    const large = `${'é='.repeat(100_000)} \n${'x'.repeat(250_000)}\t`;
    expect(encodeQuotedPrintable(large)).toBe(reference(large));
    expect(encodeQuotedPrintable('short ')).toBe('short=20');
  });

  describe('of a text in pieces', () => {
    const lines = (encoded: string) => encoded.split('\r\n');

    /** Every rule of the encoding, and the joined pieces back when decoded. */
    function expectValid(pieces: readonly string[], encoded: string) {
      expect(decode(encoded)).toBe(pieces.join('').replace(/\r?\n/g, '\r\n'));
      const broken = lines(encoded).filter(
        (line) =>
          line.length > 76 ||
          !/^[\x20-\x7e\t]*$/.test(line) ||
          // White space ending a line would be taken away on the way.
          /[ \t]$/.test(line) ||
          // "=" is a soft break at a line's end, or an escape of two hex digits.
          line
            .replace(/=[0-9A-F]{2}/g, '')
            .replace(/=$/, '')
            .includes('='),
      );
      expect({ pieces, broken }).toEqual({ pieces, broken: [] });
    }

    it('is the encoding of the joined text when nothing is fixed, or all of it is one piece', () => {
      const cache = new QuotedPrintablePieces();
      for (const sample of samples) {
        const whole = encodeQuotedPrintable(sample);
        expect(encodeQuotedPrintablePieces([sample], [false], cache).toString('latin1')).toBe(whole);
        expect(encodeQuotedPrintablePieces([sample], [true], cache).toString('latin1')).toBe(whole);
      }
    });

    it('copies a fixed piece where it fits and starts a new line for it where it does not', () => {
      const cache = new QuotedPrintablePieces();
      const encode = (pieces: string[], fixed: boolean[]) =>
        encodeQuotedPrintablePieces(pieces, fixed, cache).toString('latin1');

      expect(encode(['Hello ', 'Ada', ', welcome'], [true, false, true])).toBe('Hello=20Ada, welcome');
      const long = 'y'.repeat(70);
      expect(encode(['Hi ', 'Ada', long], [true, false, true])).toBe(`Hi=20Ada=\r\n${long}`);
      // The four fixed texts, each encoded once.
      expect(cache.size).toBe(4);
    });

    it('writes the head first, then the pieces', () => {
      const head = 'Content-Type: text/html; charset=utf-8\r\n\r\n';
      const encoded = encodeQuotedPrintablePieces(
        ['<p>', 'é', '</p>'],
        [true, false, true],
        new QuotedPrintablePieces(),
        head,
      );
      expect(encoded.toString('latin1')).toBe(`${head}<p>=C3=A9</p>`);
    });

    it('keeps a CR that ends one piece and an LF that starts the next one line break', () => {
      const cache = new QuotedPrintablePieces();
      const pieces = ['line one\r', '', '\nline two'];
      const encoded = encodeQuotedPrintablePieces(pieces, [true, false, true], cache).toString('latin1');
      expect(encoded).toBe('line one\r\nline two');
    });

    it('decodes to the joined pieces and keeps every rule, on random pieces, fixed or not', () => {
      const next = seededRandom(8058);
      const alphabet = ['a', 'b', '=', ' ', '\t', '\r', '\n', '\r\n', 'é', '€', '\x00', '.', 'x'.repeat(70)];
      const word = () => Array.from({ length: next(16) }, () => alphabet[next(alphabet.length)]!).join('');
      // The same fixed texts come back, as a template's text does from recipient to recipient.
      const fixedTexts = Array.from({ length: 12 }, word);
      const cache = new QuotedPrintablePieces();
      for (let round = 0; round < 2000; round++) {
        const count = next(12);
        const fixed = Array.from({ length: count }, () => next(2) === 0);
        const pieces = fixed.map((isFixed) => (isFixed ? fixedTexts[next(fixedTexts.length)]! : word()));
        const encoded = encodeQuotedPrintablePieces(pieces, fixed, cache).toString('latin1');
        expectValid(pieces, encoded);
        // The same pieces again, every fixed one from the cache now: the same bytes.
        expect(encodeQuotedPrintablePieces(pieces, fixed, cache).toString('latin1')).toBe(encoded);
      }
    });

    it('starts over when the cache is full, and encodes the same', () => {
      const cache = new QuotedPrintablePieces(2);
      const pieces = ['one ', 'two ', 'three'];
      const first = encodeQuotedPrintablePieces(pieces, [true, true, true], cache).toString('latin1');
      expect(cache.size).toBeLessThanOrEqual(2);
      expect(encodeQuotedPrintablePieces(pieces, [true, true, true], cache).toString('latin1')).toBe(first);
      expectValid(pieces, first);
    });
  });
});
