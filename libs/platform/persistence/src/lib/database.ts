import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSource, type EntityManager, type EntitySchema, type MixedList } from 'typeorm';
import { SqliteCheckpointer } from './sqlite-checkpointer';

export type DatabaseKind = 'sqlite' | 'postgres';

export interface DatabaseOptions {
  readonly kind: DatabaseKind;
  /** A file path (or `:memory:`) for SQLite, a postgres:// URL for PostgreSQL. */
  readonly location: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  readonly entities: MixedList<Function | string | EntitySchema>;
  readonly poolSize?: number;
  /**
   * SQLite file databases: checkpoint the write-ahead log on a thread of its own once it reaches
   * `thresholdBytes` (64 MB by default, looked at every `intervalMs`, 250 by default); false leaves
   * it to SQLite's automatic checkpoint inside commits.
   */
  readonly checkpoint?: false | { readonly thresholdBytes?: number; readonly intervalMs?: number };
}

/** The log is checkpointed at 64 MB (16,384 pages of SQLite's default 4 KiB). */
const CHECKPOINT_BYTES = 64 * 1024 * 1024;
const CHECKPOINT_PAGES = CHECKPOINT_BYTES / 4096;

/**
 * One database handle per process. SQLite (better-sqlite3) has a single connection, so
 * transactions are serialized here: TypeORM would otherwise interleave two async transactions on
 * it. PostgreSQL transactions run concurrently from the pool.
 */
export class Database {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly kind: DatabaseKind,
    readonly dataSource: DataSource,
    /** The SQLite log's background checkpoints, when they run. */
    readonly checkpointer: SqliteCheckpointer | null,
  ) {}

  static async open(options: DatabaseOptions): Promise<Database> {
    const background =
      options.kind === 'sqlite' && options.location !== ':memory:' && options.checkpoint !== false;
    const dataSource =
      options.kind === 'sqlite'
        ? new DataSource({
            type: 'better-sqlite3',
            database: prepareSqliteFile(options.location),
            entities: options.entities,
            synchronize: true,
            enableWAL: true,
            prepareDatabase: (db: { pragma(statement: string): unknown }) => {
              db.pragma('synchronous = NORMAL');
              db.pragma('busy_timeout = 5000');
              // Write-heavy (every event, spool row and read-model row lands here): checkpoint the
              // WAL every 64 MB instead of every 4 MB, so pages rewritten in between (index tails,
              // hot rows) are copied once; about a fifth less I/O when a delivery is planned or
              // sent. The WAL file is truncated back to that size after each checkpoint.
              // With the background checkpointer the commit's own checkpoint is only a safety net, at
              // twice the size.
              db.pragma(`wal_autocheckpoint = ${background ? 2 * CHECKPOINT_PAGES : CHECKPOINT_PAGES}`);
              db.pragma(`journal_size_limit = ${CHECKPOINT_BYTES}`);
            },
          })
        : new DataSource({
            type: 'postgres',
            url: options.location,
            entities: options.entities,
            synchronize: false,
            extra: { max: options.poolSize ?? 10 },
          });
    await dataSource.initialize();
    const settings = options.checkpoint || {};
    const checkpointer = background
      ? SqliteCheckpointer.start(
          {
            file: options.location,
            thresholdBytes: settings.thresholdBytes ?? CHECKPOINT_BYTES,
            intervalMs: settings.intervalMs ?? 250,
          },
          (message) =>
            process.emitWarning(`SQLite background checkpoint failed: ${message}`, 'PostwaveWarning'),
        )
      : null;
    const database = new Database(options.kind, dataSource, checkpointer);
    if (options.kind === 'postgres') await database.synchronizePostgres();
    return database;
  }

  /** Runs `work` in one transaction; SQLite transactions wait their turn. */
  transaction<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    if (this.kind === 'postgres') return this.dataSource.transaction(work);
    const run = this.queue.then(() => this.dataSource.transaction(work));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** A read outside any transaction (SQLite reads still queue behind running writes). */
  read<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    if (this.kind === 'postgres') return work(this.dataSource.manager);
    const run = this.queue.then(() => work(this.dataSource.manager));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    await this.checkpointer?.stop();
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  /**
   * Several replicas may start at once against one PostgreSQL: schema synchronization runs under
   * an advisory lock so they do not race each other creating the same tables.
   */
  private async synchronizePostgres(): Promise<void> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('SELECT pg_advisory_lock(727001)');
      await this.dataSource.synchronize();
    } finally {
      await runner.query('SELECT pg_advisory_unlock(727001)').catch(() => undefined);
      await runner.release();
    }
  }
}

function prepareSqliteFile(location: string): string {
  if (location !== ':memory:') mkdirSync(dirname(location), { recursive: true });
  return location;
}

/**
 * Raw SQL for hot paths, written once with `?` placeholders: PostgreSQL gets `$1, $2, …`.
 * (TypeORM's query builder costs more than the statement itself on SQLite.)
 */
export function sqlFor(em: EntityManager, text: string): string {
  if (em.connection.options.type !== 'postgres') return text;
  let index = 0;
  return text.replace(/\?/g, () => `$${++index}`);
}
