import type { EntityManager } from 'typeorm';
import { sqlFor } from './database';

/** Rows per multi-row INSERT: well under SQLite's and PostgreSQL's bound-parameter limits. */
const INSERT_ROWS = 400;

/** Statement texts by table, columns, row count and dialect: the same few are built once. */
const insertTexts = new Map<string, string>();

/**
 * Multi-row inserts with plain SQL: the import and the analysis write millions of rows. With a
 * `RETURNING …` suffix, the returned rows of every statement come back, in order.
 */
export async function insertMany<Returned = never>(
  em: EntityManager,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
  suffix = '',
  rowsPerStatement = INSERT_ROWS,
): Promise<Returned[]> {
  const width = columns.length;
  const returned: Returned[] = [];
  for (let i = 0; i < rows.length; i += rowsPerStatement) {
    const count = Math.min(rowsPerStatement, rows.length - i);
    const key = `${em.connection.options.type}|${table}|${columns.join(',')}|${count}|${suffix}`;
    let text = insertTexts.get(key);
    if (text === undefined) {
      const tuple = `(${columns.map(() => '?').join(', ')})`;
      text = sqlFor(
        em,
        `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${Array(count).fill(tuple).join(', ')} ${suffix}`,
      );
      insertTexts.set(key, text);
    }
    const params = new Array<unknown>(count * width);
    for (let r = 0; r < count; r++) {
      const row = rows[i + r]!;
      for (let c = 0; c < width; c++) params[r * width + c] = row[c];
    }
    const result: unknown = await em.query(text, params);
    if (Array.isArray(result)) returned.push(...(result as Returned[]));
  }
  return returned;
}

/**
 * Runs `query` over `items` `size` at a time, with the chunk's `?, ?, …` placeholders: for
 * `IN (…)` lists that would otherwise outgrow the bound-parameter limits.
 */
export async function inChunks<T>(
  items: readonly T[],
  query: (chunk: T[], marks: string) => Promise<void>,
  size = 500,
): Promise<void> {
  for (let i = 0; i < items.length; i += size) {
    const chunk = items.slice(i, i + size);
    await query(chunk, chunk.map(() => '?').join(', '));
  }
}
