import type { EntityManager } from 'typeorm';
import { sqlFor } from './database';

/** Rows per multi-row INSERT: well under SQLite's and PostgreSQL's bound-parameter limits. */
const INSERT_ROWS = 400;

/** Statement texts by table, columns, row count and dialect: the same few are built once. */
const insertTexts = new Map<string, string>();

/** Multi-row inserts with plain SQL: the import and the analysis write millions of rows. */
export async function insertMany(
  em: EntityManager,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
  suffix = '',
  rowsPerStatement = INSERT_ROWS,
): Promise<void> {
  const width = columns.length;
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
    await em.query(text, params);
  }
}
