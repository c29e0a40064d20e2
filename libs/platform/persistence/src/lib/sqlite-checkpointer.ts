import { Worker } from 'node:worker_threads';

export interface CheckpointerOptions {
  /** The SQLite database file (in WAL mode). */
  readonly file: string;
  /** Checkpoint once the write-ahead log holds at least this much not yet in the database file. */
  readonly thresholdBytes: number;
  /** How often the log's size is looked at. */
  readonly intervalMs: number;
}

/** One checkpoint the thread ran: what the log held that the database file did not, and SQLite's own counts. */
export interface CheckpointRun {
  readonly walBytes: number;
  /** Frames in the log, and how many of them are now in the database file. */
  readonly logFrames: number;
  readonly checkpointedFrames: number;
  readonly ms: number;
}

/**
 * The thread's code, plain CommonJS run with `eval` so that it needs no file of its own next to
 * the compiled libs; the driver is required by the path the main thread resolved.
 */
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const { closeSync, openSync, readSync } = require('node:fs');
const Sqlite = require(workerData.driver);
const db = new Sqlite(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
const header = Buffer.alloc(100);
let shm = null;
// The log's pages not yet in the database file, from the wal-index (the -shm file, native byte
// order; https://www.sqlite.org/walformat.html): mxFrame at byte 16 of its header, page size at
// 14, and nBackfill at 96. The log file's own size says nothing once SQLite reuses it from its start.
function pendingBytes() {
  try {
    shm ??= openSync(workerData.file + '-shm', 'r');
    if (readSync(shm, header, 0, 100, 0) < 100) return 0;
  } catch {
    return 0;
  }
  const pageSize = header.readUInt16LE(14) === 1 ? 65536 : header.readUInt16LE(14);
  return Math.max(0, header.readUInt32LE(16) - header.readUInt32LE(96)) * pageSize;
}
const timer = setInterval(() => {
  const walBytes = pendingBytes();
  if (walBytes < workerData.thresholdBytes) return;
  const started = Date.now();
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ walBytes, logFrames: result.log, checkpointedFrames: result.checkpointed, ms: Date.now() - started });
  } catch (error) {
    parentPort.postMessage({ error: String((error && error.message) || error) });
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  if (shm !== null) closeSync(shm);
  db.close();
  parentPort.close();
});
`;

/**
 * Checkpoints an SQLite write-ahead log on a thread of its own, with a connection of its own.
 * SQLite's automatic checkpoint runs inside the commit that crosses its threshold, on the event
 * loop (better-sqlite3 is synchronous): copying 64 MB of log into the database file and syncing
 * it stopped the embedded platform for 100–400 ms in bench:mta, every connection and request
 * waiting. A PASSIVE checkpoint from another connection does the same work without blocking the
 * writer; the writer's own automatic checkpoint stays, at a higher threshold, as the safety net.
 */
export class SqliteCheckpointer {
  /** Checkpoints run since the start (the last few kept), for tests and diagnostics. */
  readonly runs: CheckpointRun[] = [];
  private stopped: Promise<void> | null = null;
  private exited = false;

  private constructor(
    private readonly worker: Worker,
    onError: (message: string) => void,
  ) {
    worker.on('message', (message: CheckpointRun | { error: string }) => {
      if ('error' in message) return onError(message.error);
      this.runs.push(message);
      if (this.runs.length > 100) this.runs.shift();
    });
    worker.on('error', (error) => onError(error.message));
    worker.on('exit', () => (this.exited = true));
    // It never keeps the process alive by itself.
    worker.unref();
  }

  static start(options: CheckpointerOptions, onError: (message: string) => void): SqliteCheckpointer {
    const worker = new Worker(THREAD, {
      eval: true,
      workerData: { ...options, driver: require.resolve('better-sqlite3') },
    });
    return new SqliteCheckpointer(worker, onError);
  }

  stop(): Promise<void> {
    this.stopped ??= new Promise<void>((resolve) => {
      if (this.exited) return resolve();
      // Waited for: an unreferenced thread would let the process end in the middle of a close.
      this.worker.ref();
      // A thread stuck in a checkpoint is not waited for longer than a second.
      const timer = setTimeout(() => void this.worker.terminate(), 1000);
      this.worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.worker.postMessage('stop');
    });
    return this.stopped;
  }
}
