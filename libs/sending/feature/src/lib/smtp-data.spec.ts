import DataStream from 'nodemailer/lib/smtp-connection/data-stream';
import { stuffChunk, stuffingTransform } from './smtp-data';

/** What a DataStream writes for these chunks, with its own transform or with ours. */
function through(chunks: readonly Buffer[], fast: boolean): Promise<Buffer> {
  const stream = new DataStream();
  if (fast) (stream as unknown as { _transform: unknown })._transform = stuffingTransform;
  const out: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => out.push(chunk));
  return new Promise((resolve, reject) => {
    stream.on('end', () =>
      resolve(
        Object.assign(Buffer.concat(out), {
          counts: [
            (stream as unknown as { inByteCount: number }).inByteCount,
            (stream as unknown as { outByteCount: number }).outByteCount,
          ],
        }),
      ),
    );
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
    const [ours, theirs] = await Promise.all([through([input], true), through([input], false)]);
    expect(ours.toString('latin1')).toBe(theirs.toString('latin1'));
  });

  it('keeps a clean chunk as it is, without copying', () => {
    const chunk = Buffer.from('Hello\r\nworld\r\n');
    expect(stuffChunk(chunk, 0x0a)).toBe(chunk);
  });

  it('agrees with nodemailer on random bytes split into random chunks, counts included', async () => {
    // mulberry32: every bit is usable, unlike the low bits of a power-of-two LCG.
    let seed = 5321;
    const next = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    const alphabet = [0x0d, 0x0a, 0x2e, 0x41, 0x20, 0x0d, 0x0a, 0x2e];
    for (let round = 0; round < 300; round++) {
      const bytes = Buffer.from(Array.from({ length: 1 + next(60) }, () => alphabet[next(alphabet.length)]!));
      const chunks: Buffer[] = [];
      for (let from = 0; from < bytes.length;) {
        const size = 1 + next(8);
        chunks.push(bytes.subarray(from, from + size));
        from += size;
      }
      const [ours, theirs] = await Promise.all([through(chunks, true), through(chunks, false)]);
      expect({
        input: bytes.toString('hex'),
        out: ours.toString('hex'),
        counts: (ours as unknown as { counts: number[] }).counts,
      }).toEqual({
        input: bytes.toString('hex'),
        out: theirs.toString('hex'),
        counts: (theirs as unknown as { counts: number[] }).counts,
      });
    }
  });
});
