import DataStream from 'nodemailer/lib/smtp-connection/data-stream';
import { seededRandom } from '@postwave/fixtures/random';
import { smtpData, stuffChunk } from './smtp-data';

/** What `smtpData` writes for a message given as these pieces. */
const ours = (chunks: readonly Buffer[]): Buffer => smtpData(chunks).data;

/** What nodemailer's DataStream writes for these chunks. */
function theirs(chunks: readonly Buffer[]): Promise<Buffer> {
  const stream = new DataStream();
  const out: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => out.push(chunk));
  return new Promise((resolve, reject) => {
    stream.on('end', () => resolve(Buffer.concat(out)));
    stream.on('error', reject);
    for (const chunk of chunks) stream.write(chunk);
    stream.end();
  });
}

describe('SMTP data transparency', () => {
  it.each([
    ['a clean message', 'Subject: x\r\n\r\nHello\r\nworld\r\n'],
    ['dots at line starts', '.\r\n..\r\n.x\r\nx.\r\n.'],
    ['a dot first in the message', '.leading'],
    ['bare LF and bare CR', 'a\nb\rc\r\rd\n\ne\r'],
    ['a dot after a bare CR and after a bare LF', 'a\r.b\n.c'],
    ['the smuggling sequence', 'x\r\n.\r\nMAIL FROM:<a@b>\n.\n'],
  ])('writes %s as nodemailer does', async (_name, text) => {
    const input = Buffer.from(text, 'latin1');
    expect(smtpData(input).data.toString('latin1')).toBe((await theirs([input])).toString('latin1'));
  });

  it('declares the size of the message itself, and whether it has 8-bit bytes', () => {
    expect(smtpData(Buffer.from('.a\nb'))).toMatchObject({ size: 4, eightBit: false });
    expect(smtpData(Buffer.from('Grüße\r\n'))).toMatchObject({ size: 9, eightBit: true });
    expect(smtpData([Buffer.from('.a'), Buffer.alloc(0), Buffer.from('\nb')])).toMatchObject({
      size: 4,
      eightBit: false,
    });
    expect(smtpData([Buffer.from('a\r\n'), Buffer.from('Grüße')])).toMatchObject({
      size: 10,
      eightBit: true,
    });
  });

  it('writes a message given in pieces as the same message given whole, empty pieces included', () => {
    const whole = Buffer.from('DKIM-Signature: a\r\n.Subject: x\r\n\r\n.\r\nend\r');
    // 17|18 cuts a CRLF in two, 19|20 puts a line-starting dot first in a piece.
    const expected = smtpData(whole).data.toString('latin1');
    expect(expected).toBe('DKIM-Signature: a\r\n..Subject: x\r\n\r\n..\r\nend\r\n.\r\n');
    for (const cut of [0, 1, 17, 18, 19, 20, 21, whole.length - 1, whole.length])
      expect(
        smtpData([Buffer.alloc(0), whole.subarray(0, cut), whole.subarray(cut)]).data.toString('latin1'),
      ).toBe(expected);
    expect(smtpData([]).data.toString('latin1')).toBe('\r\n.\r\n');
  });

  it('keeps a clean chunk as it is, without copying', () => {
    const chunk = Buffer.from('Hello\r\nworld\r\n');
    expect(stuffChunk(chunk, 0x0a)).toBe(chunk);
  });

  it('agrees with nodemailer on random bytes split into random chunks', async () => {
    const next = seededRandom(5321);
    const alphabet = [0x0d, 0x0a, 0x2e, 0x41, 0x20, 0x0d, 0x0a, 0x2e];
    for (let round = 0; round < 300; round++) {
      const bytes = Buffer.from(Array.from({ length: 1 + next(60) }, () => alphabet[next(alphabet.length)]!));
      const chunks: Buffer[] = [];
      for (let from = 0; from < bytes.length;) {
        const size = 1 + next(8);
        chunks.push(bytes.subarray(from, from + size));
        from += size;
      }
      expect({ input: bytes.toString('hex'), out: ours(chunks).toString('hex') }).toEqual({
        input: bytes.toString('hex'),
        out: (await theirs(chunks)).toString('hex'),
      });
    }
  });

  it('stuffs a message of CRLF line breaks only as the full transparency does, when told it is one', () => {
    const next = seededRandom(2920);
    const tokens = ['\r\n', '.', '.', 'A', ' ', '\r\n.'];
    for (let round = 0; round < 300; round++) {
      const text = Array.from({ length: 1 + next(40) }, () => tokens[next(tokens.length)]!).join('');
      const bytes = Buffer.from(text, 'latin1');
      const chunks: Buffer[] = [];
      for (let from = 0; from < bytes.length;) {
        const size = 1 + next(12);
        chunks.push(bytes.subarray(from, from + size));
        from += size;
      }
      expect({ text, out: smtpData(chunks, { crlfOnly: true }).data.toString('latin1') }).toEqual({
        text,
        out: ours(chunks).toString('latin1'),
      });
    }
  });

  it('keeps a CRLF-only chunk without a dot at a line start as it is', () => {
    const chunk = Buffer.from('Subject: x\r\n\r\nHello\r\nworld.\r\n');
    const written = smtpData([chunk], { crlfOnly: true });
    expect(written.data.toString()).toBe('Subject: x\r\n\r\nHello\r\nworld.\r\n.\r\n');
  });
});
