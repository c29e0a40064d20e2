import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EntitySchema, type EntityManager } from 'typeorm';
import { Database } from './database';

interface CounterRow {
  name: string;
  value: number;
}

const counterEntity = new EntitySchema<CounterRow>({
  name: 'Counter',
  tableName: 'counter',
  columns: { name: { type: 'text', primary: true }, value: { type: 'integer' } },
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const readCounter = async (em: EntityManager) =>
  (await em.findOne<CounterRow>('Counter', { where: { name: 'c' } }))?.value ?? 0;

describe('Database on SQLite', () => {
  let dir: string;
  let db: Database;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pw-db-'));
    db = await Database.open({
      kind: 'sqlite',
      location: join(dir, 'nested', 'db.sqlite'),
      entities: [counterEntity],
    });
  });

  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs concurrent transactions one after the other, so no increment is lost', async () => {
    const increment = () =>
      db.transaction(async (em) => {
        const value = await readCounter(em);
        await pause(5);
        await em.save('Counter', { name: 'c', value: value + 1 });
        return value + 1;
      });

    const results = await Promise.all(Array.from({ length: 8 }, increment));

    expect(results).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(await db.read(readCounter)).toBe(8);
  });

  it('lets a read wait for the running transaction instead of seeing its uncommitted state', async () => {
    await db.transaction((em) => em.save('Counter', { name: 'c', value: 1 }));
    const writing = db.transaction(async (em) => {
      await em.save('Counter', { name: 'c', value: 2 });
      await pause(20);
      await em.save('Counter', { name: 'c', value: 3 });
    });

    const seen = await db.read(readCounter);

    await writing;
    expect(seen).toBe(3);
  });

  it('rolls a failed transaction back and still runs the next one', async () => {
    await db.transaction((em) => em.save('Counter', { name: 'c', value: 1 }));

    const failing = db.transaction(async (em) => {
      await em.save('Counter', { name: 'c', value: 100 });
      throw new Error('constraint of the business kind');
    });
    const next = db.transaction(async (em) => {
      const value = await readCounter(em);
      await em.save('Counter', { name: 'c', value: value + 1 });
      return value + 1;
    });

    await expect(failing).rejects.toThrow('constraint of the business kind');
    expect(await next).toBe(2);
    expect(await db.read(readCounter)).toBe(2);
  });

  it('keeps serving after a failed read', async () => {
    await expect(db.read(() => Promise.reject(new Error('bad query')))).rejects.toThrow('bad query');

    expect(
      await db.transaction(async (em) => (await em.save('Counter', { name: 'c', value: 7 })).value),
    ).toBe(7);
    expect(await db.read(readCounter)).toBe(7);
  });

  it('keeps committed data across a reopen of the same file', async () => {
    await db.transaction((em) => em.save('Counter', { name: 'c', value: 5 }));
    await db.close();

    db = await Database.open({
      kind: 'sqlite',
      location: join(dir, 'nested', 'db.sqlite'),
      entities: [counterEntity],
    });

    expect(await db.read(readCounter)).toBe(5);
  });

  it('works in memory without touching the file system', async () => {
    const memory = await Database.open({ kind: 'sqlite', location: ':memory:', entities: [counterEntity] });
    try {
      await memory.transaction((em) => em.save('Counter', { name: 'c', value: 1 }));
      expect(await memory.read(readCounter)).toBe(1);
    } finally {
      await memory.close();
    }
  });
});

describe('SQLite write-ahead log checkpoints', () => {
  let dir: string;
  const opened: Database[] = [];

  const open = async (checkpoint: Parameters<typeof Database.open>[0]['checkpoint']) => {
    const db = await Database.open({
      kind: 'sqlite',
      location: join(dir, 'db.sqlite'),
      entities: [counterEntity],
      checkpoint,
    });
    opened.push(db);
    return db;
  };

  /** Enough rows, each in its own commit, to grow the log past 256 KB. */
  const write = (db: Database, rows: number) =>
    Promise.all(
      Array.from({ length: rows }, (_, i) =>
        db.transaction((em) => em.save('Counter', { name: `row-${i}-${'x'.repeat(2000)}`, value: i })),
      ),
    );

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pw-wal-'));
  });

  afterEach(async () => {
    for (const db of opened.splice(0)) await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('checkpoints the log on its own thread once it passes the threshold, and everything stays readable', async () => {
    const db = await open({ thresholdBytes: 256 * 1024, intervalMs: 20 });

    await write(db, 300);
    for (let waited = 0; db.checkpointer!.runs.length === 0 && waited < 3000; waited += 20) await pause(20);

    const [run] = db.checkpointer!.runs;
    expect(run?.walBytes).toBeGreaterThanOrEqual(256 * 1024);
    expect(run?.checkpointedFrames).toBeGreaterThan(0);
    expect(run?.checkpointedFrames).toBeLessThanOrEqual(run!.logFrames);
    expect(await db.read((em) => em.count('Counter'))).toBe(300);
  });

  it('leaves the log alone below the threshold, and runs no thread when turned off', async () => {
    const below = await open({ thresholdBytes: 64 * 1024 * 1024, intervalMs: 20 });
    await write(below, 50);
    await pause(150);
    expect(below.checkpointer!.runs).toEqual([]);
    await below.close();

    const off = await open(false);
    expect(off.checkpointer).toBeNull();
    expect(await off.read((em) => em.count('Counter'))).toBe(50);
  });

  it('runs no checkpoint thread for an in-memory database', async () => {
    const db = await Database.open({ kind: 'sqlite', location: ':memory:', entities: [counterEntity] });
    opened.push(db);
    expect(db.checkpointer).toBeNull();
  });
});
