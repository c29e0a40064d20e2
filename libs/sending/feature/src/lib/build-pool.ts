import { existsSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { DeliveryContent } from '@postwave/contracts';
import type { Logger } from '@postwave/platform/observability';
import type { BuildBatch, BuiltBatch, BuildWorkerData } from './build-worker';
import type { SigningKey } from './dkim-keyring';
import {
  MessageBuilder,
  senderDomainOf,
  type BuilderSettings,
  type OutgoingMessage,
  type PreparedResult,
  type SigningKeys,
} from './message-builder';

/** Requests gathered into one message to a thread, at most. */
const BATCH = 32;
/** Delivery contents a thread keeps; the oldest is dropped beyond this. */
const CONTENTS_PER_THREAD = 64;
/** How long a thread that died is not replaced, so a thread that cannot start does not spin. */
const RESTART_AFTER_MS = 5000;

/** The libraries the build thread imports through workspace aliases. */
const ALIASES = ['@postwave/content', '@postwave/contracts', '@postwave/sending/domain'];

interface Request {
  readonly content: DeliveryContent;
  readonly message: OutgoingMessage;
  readonly resolve: (result: PreparedResult) => void;
  /** The attempt failed, not the message (the keyring could not be read): it stays in the spool. */
  readonly reject: (error: Error) => void;
}

interface Thread {
  readonly worker: Worker;
  /** Content keys the thread holds, oldest first. */
  readonly contents: Map<string, true>;
  /** The keys the thread was last given per sender domain (the keyring's list, by identity). */
  readonly keys: Map<string, readonly SigningKey[]>;
  readonly inFlight: Map<number, readonly Request[]>;
  outstanding: number;
}

/**
 * Builds messages on worker threads so the MTA's event loop keeps only the SMTP sessions, the
 * spool and the events: personalization, MIME assembly and DKIM signing take about half of a
 * message's CPU time, and on a 2-core host they then run beside the loop instead of inside it.
 *
 * Requests made in the same turn of the event loop travel together. Each thread receives a
 * delivery's content once (it keeps the compiled templates) and a sender domain's keys when they
 * change (the keyring, with its rotation and generation, stays in this thread). The built message
 * comes back ready for DATA (stuffed), copied into this thread's memory. Whatever a thread cannot
 * do (it died, it lost a content) is built in-process instead, so the threads only ever make
 * building faster, never less reliable.
 */
export class BuildPool {
  private readonly local: MessageBuilder;
  private readonly threads: Array<Thread | null>;
  private readonly diedAt: number[];
  private queue: Request[] = [];
  private scheduled = false;
  private nextId = 1;
  private closed = false;
  /** Messages built on a thread and in-process (no thread, or a thread that could not). */
  private readonly counts = { threaded: 0, inProcess: 0 };
  /**
   * A short key per distinct content (delivery id and text), so a batch names each message's
   * content in a few bytes: content objects are parsed per claim, so the key is found once per object.
   */
  private readonly contentKeys = new WeakMap<DeliveryContent, string>();
  private readonly keysByStamp = new Map<string, string>();
  private nextContentKey = 1;

  constructor(
    private readonly settings: BuilderSettings,
    private readonly keyring: SigningKeys,
    size: number,
    private readonly logger: Logger,
  ) {
    this.local = new MessageBuilder(settings, keyring);
    this.threads = Array.from({ length: size }, () => null);
    this.diedAt = Array.from({ length: size }, () => 0);
  }

  /** Starts the threads now rather than at the first message, so the first messages do not wait. */
  start(): void {
    if (!this.closed) this.pickThread();
  }

  /** How many messages were built where, since the start. */
  stats(): { readonly threads: number; readonly threaded: number; readonly inProcess: number } {
    return { threads: this.threads.filter(Boolean).length, ...this.counts };
  }

  build(content: DeliveryContent, message: OutgoingMessage): Promise<PreparedResult> {
    if (this.closed || this.threads.length === 0) return this.buildHere(content, message);
    return new Promise((resolve, reject) => {
      this.queue.push({ content, message, resolve, reject });
      if (this.queue.length >= BATCH) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.flush();
    await Promise.all(
      this.threads.map(async (thread, i) => {
        if (!thread) return;
        this.threads[i] = null;
        await thread.worker.terminate();
        this.fallBack(thread);
      }),
    );
  }

  private flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, BATCH);
      const thread = this.closed ? null : this.pickThread();
      if (!thread) {
        for (const request of batch) this.answerHere(request);
        continue;
      }
      try {
        this.send(thread, batch);
      } catch (error) {
        // Out of a setImmediate an exception would stop the process: the batch's attempts fail.
        this.logger.error({ err: error }, 'could not hand messages to a build thread; their attempts fail');
        for (const request of batch) request.reject(error as Error);
      }
    }
  }

  private send(thread: Thread, batch: readonly Request[]): void {
    const id = this.nextId++;
    const contents: Array<[string, DeliveryContent]> = [];
    const keys: Array<[string, readonly SigningKey[]]> = [];
    const drop: string[] = [];
    // The keys first, once per sender domain: the keyring may throw, and the thread's state must
    // not change then. The keyring hands out the same list until a rescan changes it.
    const current = new Map<string, readonly SigningKey[]>();
    for (const { content } of batch) {
      const domain = senderDomainOf(content);
      if (!current.has(domain)) current.set(domain, this.keyring.keysFor(domain));
    }
    for (const [domain, list] of current) {
      const given = thread.keys.get(domain);
      if (given !== list && !(given?.length === 0 && list.length === 0)) {
        thread.keys.set(domain, list);
        keys.push([domain, list]);
      }
    }
    const items = batch.map(({ content, message }) => {
      const key = this.keyOf(message.deliveryId, content);
      if (!thread.contents.has(key)) {
        thread.contents.set(key, true);
        contents.push([key, content]);
        if (thread.contents.size > CONTENTS_PER_THREAD) {
          const oldest = thread.contents.keys().next().value as string;
          thread.contents.delete(oldest);
          drop.push(oldest);
        }
      }
      return { content: key, message };
    });
    thread.inFlight.set(id, batch);
    thread.outstanding += batch.length;
    const message: BuildBatch = { id, drop, contents, keys, items };
    thread.worker.postMessage(message);
  }

  private receive(thread: Thread, reply: BuiltBatch): void {
    const batch = thread.inFlight.get(reply.id);
    if (!batch) return;
    thread.inFlight.delete(reply.id);
    thread.outstanding -= batch.length;
    batch.forEach((request, i) => {
      const result = reply.results[i];
      if (!result || (!result.ok && result.internal)) {
        if (result && !result.ok)
          this.logger.warn({ err: result.error }, 'build thread failed a message; building it here');
        this.answerHere(request);
      } else if (result.ok) {
        this.counts.threaded++;
        const data = Buffer.from(result.data.buffer, result.data.byteOffset, result.data.byteLength);
        const smtp = { data, size: result.size, eightBit: result.eightBit };
        request.resolve({ ok: true, message: { mailFrom: result.mailFrom, smtp } });
      } else {
        this.counts.threaded++;
        request.resolve({ ok: false, error: result.error });
      }
    });
  }

  /** The live thread with the least work, started if needed; null when none can run now. */
  private pickThread(): Thread | null {
    let best: Thread | null = null;
    for (let i = 0; i < this.threads.length; i++) {
      let thread = this.threads[i] ?? null;
      if (!thread && Date.now() - this.diedAt[i]! > RESTART_AFTER_MS) thread = this.startThread(i);
      if (thread && (!best || thread.outstanding < best.outstanding)) best = thread;
    }
    return best;
  }

  private startThread(index: number): Thread | null {
    try {
      const worker = new Worker(BOOTSTRAP, {
        eval: true,
        workerData: { ...threadEntry(), settings: this.settings } satisfies BootstrapData & BuildWorkerData,
      });
      const thread: Thread = {
        worker,
        contents: new Map(),
        keys: new Map(),
        inFlight: new Map(),
        outstanding: 0,
      };
      worker.unref();
      worker.on('message', (reply: BuiltBatch) => this.receive(thread, reply));
      const died = (why: string) => {
        if (this.threads[index] !== thread) return;
        this.threads[index] = null;
        this.diedAt[index] = Date.now();
        if (!this.closed)
          this.logger.error(
            { reason: why },
            'a message build thread stopped; building in-process until it is replaced',
          );
        this.fallBack(thread);
      };
      worker.on('error', (error) => died(error.message));
      worker.on('exit', (code) => died(`exit code ${code}`));
      this.threads[index] = thread;
      return thread;
    } catch (error) {
      this.diedAt[index] = Date.now();
      this.logger.error({ err: error }, 'could not start a message build thread');
      return null;
    }
  }

  /** A thread's unanswered requests, built in-process. */
  private fallBack(thread: Thread): void {
    for (const batch of thread.inFlight.values()) for (const request of batch) this.answerHere(request);
    thread.inFlight.clear();
    thread.outstanding = 0;
  }

  /** A request a thread could not answer, built in-process instead. */
  private answerHere(request: Request): void {
    this.buildHere(request.content, request.message).then(request.resolve, request.reject);
  }

  private async buildHere(content: DeliveryContent, message: OutgoingMessage): Promise<PreparedResult> {
    this.counts.inProcess++;
    return this.local.prepare(content, message);
  }

  private keyOf(deliveryId: string, content: DeliveryContent): string {
    let key = this.contentKeys.get(content);
    if (key === undefined) {
      const stamp = `${deliveryId}\n${JSON.stringify(content)}`;
      key = this.keysByStamp.get(stamp);
      if (key === undefined) {
        key = `c${this.nextContentKey++}`;
        // A new key for a content seen long ago only costs sending it to a thread again.
        if (this.keysByStamp.size >= 1000) this.keysByStamp.delete(this.keysByStamp.keys().next().value!);
        this.keysByStamp.set(stamp, key);
      }
      this.contentKeys.set(content, key);
    }
    return key;
  }
}

interface BootstrapData {
  readonly entry: string;
  readonly aliases: Readonly<Record<string, string>>;
  /** Set when the sources run as TypeScript: the thread registers the same compiler. */
  readonly tsconfig: string | null;
}

/**
 * How the thread finds its code whichever way the MTA runs: compiled (the aliases resolve to the
 * built libraries, as tools/runtime/start.js maps them), from TypeScript sources (through
 * @swc-node/register) or under Jest. The aliases are resolved here, by this thread's own rules.
 */
function threadEntry(): BootstrapData {
  const typescript = extname(__filename) === '.ts';
  // Compiled, and under Jest, require.resolve knows the aliases; from TypeScript sources it may
  // not, and there @swc-node/register rewrites them in the thread as it does here.
  const aliases: Record<string, string> = {};
  for (const alias of ALIASES) {
    try {
      aliases[alias] = require.resolve(alias);
    } catch {
      if (!typescript) throw new Error(`the build thread cannot find ${alias}`);
    }
  }
  let tsconfig: string | null = null;
  if (typescript) {
    for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
      if (existsSync(join(dir, 'tsconfig.base.json'))) {
        tsconfig = join(dir, 'tsconfig.base.json');
        break;
      }
    }
  }
  return { entry: join(__dirname, `build-worker${extname(__filename)}`), aliases, tsconfig };
}

const BOOTSTRAP = `
const Module = require('node:module');
const { entry, aliases, tsconfig } = require('node:worker_threads').workerData;
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolve.call(this, aliases[request] ?? request, ...rest);
};
if (tsconfig) {
  process.env.SWC_NODE_PROJECT = tsconfig;
  require('@swc-node/register');
}
require(entry);
`;
