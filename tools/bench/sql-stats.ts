/**
 * Counts and times every SQLite statement the process runs (better-sqlite3's run/all/get are
 * synchronous, so the time is the statement's own), grouped by normalized SQL. A diagnostic for the
 * MTA benchmark (`--sql-stats`): it shows how many statements and transactions one message costs.
 */
import { createRequire } from 'node:module';

export interface SqlStat {
  readonly sql: string;
  readonly count: number;
  readonly ms: number;
}

type Method = (...args: unknown[]) => unknown;

/** The statements and, apart, the transactions by their first statement (who opens them). */
export interface SqlStats {
  readonly statements: SqlStat[];
  readonly transactions: SqlStat[];
}

const stats = new Map<string, { count: number; nanos: bigint }>();
const openers = new Map<string, number>();
let enabled = false;
let afterBegin = false;

function normalize(sql: string): string {
  return sql
    .replace(/\s+/g, ' ')
    .replace(/'[^']*'/g, "'…'")
    .replace(/\b\d+\b/g, 'N')
    .replace(/\((\s*(\?|NULL|N)\s*,)*\s*(\?|NULL|N)\s*\)/g, '(?…)')
    .replace(/(\(\?…\)\s*,\s*)+\(\?…\)/g, '(?…), …')
    .replace(/^SELECT (?!N\b).*? FROM /, 'SELECT … FROM ')
    .trim()
    .slice(0, 140);
}

/** Patches better-sqlite3's Statement prototype once; counting starts at `resetSqlStats()`. */
export function installSqlStats(): void {
  const require = createRequire(__filename);
  const BetterSqlite3 = require('better-sqlite3') as new (file: string) => {
    prepare(sql: string): object;
    close(): void;
  };
  const probe = new BetterSqlite3(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, Method>;
  probe.close();
  for (const name of ['run', 'all', 'get']) {
    const original = proto[name]!;
    proto[name] = function (this: { source: string }, ...args: unknown[]) {
      if (!enabled) return original.apply(this, args);
      const started = process.hrtime.bigint();
      // A transaction is named after its first statement: that counts who opens them.
      if (afterBegin) {
        afterBegin = false;
        const key = normalize(this.source);
        openers.set(key, (openers.get(key) ?? 0) + 1);
      }
      if (/^BEGIN/i.test(this.source)) afterBegin = true;
      try {
        return original.apply(this, args);
      } finally {
        const key = normalize(this.source);
        const entry = stats.get(key) ?? { count: 0, nanos: 0n };
        entry.count++;
        entry.nanos += process.hrtime.bigint() - started;
        stats.set(key, entry);
      }
    };
  }
}

export function resetSqlStats(): void {
  stats.clear();
  openers.clear();
  enabled = true;
}

/** Statements by time spent, most first; transactions by how many each first statement opened. */
export function sqlStats(): SqlStats {
  enabled = false;
  return {
    statements: [...stats]
      .map(([sql, { count, nanos }]) => ({ sql, count, ms: Number(nanos) / 1e6 }))
      .sort((a, b) => b.ms - a.ms),
    transactions: [...openers]
      .map(([sql, count]) => ({ sql, count, ms: 0 }))
      .sort((a, b) => b.count - a.count),
  };
}
