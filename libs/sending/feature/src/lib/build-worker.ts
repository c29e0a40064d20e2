/**
 * A build thread (started by BuildPool): personalizes, assembles and DKIM-signs the messages it is
 * given, with the same MessageBuilder the MTA uses in-process, makes them ready for DATA and hands
 * each back as a transferred buffer. Delivery content and keys arrive once and are kept until the
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
      const reply: BuiltBatch = { id: batch.id, results };
      port.postMessage(
        reply,
        results.flatMap((result) => (result.ok ? [result.data.buffer as ArrayBuffer] : [])),
      );
    });
  });
}

/** The bytes in an array buffer of their own, which can be transferred without copying. */
function owned(bytes: Buffer): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) return bytes;
  return new Uint8Array(bytes);
}
