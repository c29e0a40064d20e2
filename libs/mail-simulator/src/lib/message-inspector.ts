import { Transform, type TransformCallback } from 'node:stream';

/** Headers beyond this are not kept (the message is still counted and stored in full). */
export const MAX_HEADER_BYTES = 64 * 1024;

/**
 * A pass-through that counts the bytes of a message and keeps its header block, so that the
 * body is never held in memory: it flows on to the .eml file or is dropped.
 */
export class MessageInspector extends Transform {
  size = 0;
  private head: Buffer[] = [];
  private headBytes = 0;
  private headDone = false;
  private headerBlock = '';

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    if (!this.headDone) this.collect(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (!this.headDone) this.finishHead(Buffer.concat(this.head).toString('utf8'));
    done();
  }

  /** The raw header block, without the blank line that ends it. */
  get headers(): string {
    return this.headerBlock;
  }

  private collect(chunk: Buffer): void {
    this.head.push(chunk);
    this.headBytes += chunk.length;
    const text = Buffer.concat(this.head).toString('utf8');
    const end = /\r?\n\r?\n/.exec(text);
    if (end) this.finishHead(text.slice(0, end.index));
    else if (this.headBytes > MAX_HEADER_BYTES) this.finishHead(text.slice(0, MAX_HEADER_BYTES));
  }

  private finishHead(block: string): void {
    this.headerBlock = block.replace(/\r?\n$/, '');
    this.headDone = true;
    this.head = [];
  }
}
