import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Keeps accepted messages as `<id>.eml`. A message is streamed to `<id>.eml.tmp` in the same
 * directory and renamed once complete, so a reader polling for `*.eml` never sees half a file
 * (rename is atomic within one file system).
 */
export class EmlInbox {
  constructor(readonly dir: string) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  /** Opens the temporary file and writes `prefix` (trace headers) before the message. */
  open(id: string, prefix: string): EmlDraft {
    return new EmlDraft(join(this.dir, `${id}.eml`), prefix);
  }
}

export class EmlDraft {
  readonly stream: WriteStream;
  private readonly tmpPath: string;

  constructor(
    readonly path: string,
    prefix: string,
  ) {
    this.tmpPath = `${path}.tmp`;
    this.stream = createWriteStream(this.tmpPath);
    this.stream.write(prefix);
  }

  /** Call after the stream has finished; moves the file into place. */
  async commit(): Promise<string> {
    await rename(this.tmpPath, this.path);
    return this.path;
  }

  async discard(): Promise<void> {
    // Wait for the close: a stream destroyed before its open completes still creates the file.
    await new Promise<void>((resolve) => {
      if (this.stream.closed) return resolve();
      this.stream.once('close', () => resolve());
      this.stream.destroy();
    });
    await rm(this.tmpPath, { force: true });
  }
}
