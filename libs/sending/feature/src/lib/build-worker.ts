/**
 * A build thread (started by BuildPool): personalizes, assembles and DKIM-signs the messages it is
 * given, with the same MessageBuilder the MTA uses in-process, makes them ready for DATA and hands
 * each back as a copied buffer. Delivery content and keys arrive once and are kept until the
 * pool drops them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { DeliveryContent } from '@postwave/contracts';
import type { SigningKey } from './dkim-keyring';
import { MessageBuilder, type BuilderSettings, type OutgoingMessage } from './message-builder';

export interface BuildBatch {
  readonly id: number;
  /** Content keys the pool no longer tracks for this thread. */
  readonly drop: readonly string[];
  readonly contents: ReadonlyArray<readonly [string, DeliveryContent]>;
  /** Sender domains whose keys are new or changed. */
  readonly keys: ReadonlyArray<readonly [string, readonly SigningKey[]]>;
  readonly items: ReadonlyArray<{ readonly content: string; readonly message: OutgoingMessage }>;
}

export type BuiltItem =
  | {
      readonly ok: true;
      readonly mailFrom: string;
      /** The message ready for DATA (`smtpData`), stuffed and terminated. */
      readonly data: Uint8Array;
      readonly size: number;
      readonly eightBit: boolean;
    }
  | { readonly ok: false; readonly error: string; readonly internal?: true };

export interface BuiltBatch {
  readonly id: number;
  readonly results: readonly BuiltItem[];
}

export interface BuildWorkerData {
  readonly settings: BuilderSettings;
}

if (parentPort) {
  const port = parentPort;
  const contents = new Map<string, DeliveryContent>();
  const keys = new Map<string, readonly SigningKey[]>();
  const builder = new MessageBuilder((workerData as BuildWorkerData).settings, {
    keysFor: (domain) => keys.get(domain) ?? [],
  });
  port.on('message', (batch: BuildBatch) => {
    for (const key of batch.drop) contents.delete(key);
    for (const [key, content] of batch.contents) contents.set(key, content);
    for (const [domain, domainKeys] of batch.keys) keys.set(domain, domainKeys);
    void Promise.all(
      batch.items.map(async ({ content, message }): Promise<BuiltItem> => {
        const found = contents.get(content);
        if (!found) return { ok: false, error: `build thread: no content ${content}`, internal: true };
        try {
          const built = await builder.prepare(found, message);
          if (!built.ok) return { ok: false, error: built.error };
          const { mailFrom, smtp } = built.message;
          return { ok: true, mailFrom, data: owned(smtp.data), size: smtp.size, eightBit: smtp.eightBit };
        } catch (error) {
          return { ok: false, error: (error as Error).message, internal: true };
        }
      }),
    ).then((results) => {
      // Copied, not transferred: a transferred buffer is freed by the event loop's collector, so
      // this thread wrote every message into memory it had never touched. Copying cost less:
      // building 43,000 messages through the pool took 0.12–0.14 instead of 0.16–0.21 ms of CPU
      // each (4 interleaved runs of each), and bench:mta's CPU per message went down about 1%.
      const reply: BuiltBatch = { id: batch.id, results };
      port.postMessage(reply);
    });
  });
}

/** The bytes in an array buffer of their own: a view is cloned with the whole buffer under it. */
function owned(bytes: Buffer): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) return bytes;
  return new Uint8Array(bytes);
}
