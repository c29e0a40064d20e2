import { Inject, Injectable } from '@nestjs/common';
import { ContractViolation } from '@postwave/contracts';
import { DATABASE, LOGGER } from '@postwave/platform/eventing';
import type { Logger } from '@postwave/platform/observability';
import { insertMany, sqlFor, type Database } from '@postwave/platform/persistence';
import {
  AudienceParser,
  FingerprintSet,
  type AudienceFormat,
  type AudienceLineError,
  type AudienceRow,
} from '@postwave/planning/domain';
import { randomUUID } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import type { EntityManager } from 'typeorm';

export interface ImportOptions {
  readonly format: AudienceFormat;
  /** `skip`: import the good lines and report the bad ones; `reject`: any bad line rejects the file. */
  readonly onError: 'skip' | 'reject';
  /** `merge`: add and update members; `replace`: the file becomes the whole audience. */
  readonly mode: 'merge' | 'replace';
  readonly addressField?: string;
  readonly delimiter?: string;
}

export interface ImportReport {
  readonly audience: string;
  readonly importId: string;
  readonly status: 'imported' | 'rejected';
  /** Lines read (records, not counting the CSV header or blank lines). */
  readonly lines: number;
  /** Members written by this import. */
  readonly imported: number;
  /** Later lines repeating an address already in the file: the first one is kept. */
  readonly duplicates: number;
  readonly badLines: number;
  /** The first bad lines, with their line number and why. */
  readonly errors: readonly AudienceLineError[];
  readonly fatal?: string;
  /** Members of the audience after the import. */
  readonly members: number;
  readonly columns: readonly string[];
  readonly durationSeconds: number;
}

/** Bad lines listed in a report; the count covers them all. */
const MAX_REPORTED_ERRORS = 1000;
/** Rows per write transaction: SQLite is shared with the other services in the embedded mode. */
const WRITE_BATCH = 5000;

interface AudienceRecord {
  readonly name: string;
  readonly storageKey: string;
  readonly members: number;
  readonly columns: string;
  readonly nextSeq: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/**
 * Streams an audience file into the database in bounded memory (one batch of rows plus the set
 * of addresses seen, for duplicates). Rows go to a fresh storage key; only when the whole file is
 * read and accepted does the audience switch to it (replace) or merge it in (merge) — in one
 * transaction, so an audience is never half-imported and a rejected file leaves no trace.
 */
@Injectable()
export class Audiences {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async import(
    audience: string,
    input: AsyncIterable<Buffer | string>,
    options: ImportOptions,
    progress?: (lines: number) => void,
  ): Promise<ImportReport> {
    const started = Date.now();
    const importId = randomUUID();
    // Audience names cannot contain "#" (see Id), so staging keys never collide with a name.
    const stagingKey = `${audience}#${importId}`;
    let parser: AudienceParser;
    try {
      parser = new AudienceParser({
        format: options.format,
        ...(options.addressField ? { addressField: options.addressField } : {}),
        ...(options.delimiter ? { delimiter: options.delimiter } : {}),
      });
    } catch (error) {
      const [field, ...rest] = (error as Error).message.split(': ');
      throw new ContractViolation(field ?? 'options', options, rest.join(': '));
    }
    const decoder = new StringDecoder('utf8');
    const seen = new FingerprintSet(64 * 1024);
    const errors: AudienceLineError[] = [];
    let badLines = 0;
    let lines = 0;
    let duplicates = 0;
    let staged = 0;
    let pending: unknown[][] = [];
    const stageRows = options.onError === 'skip';

    const take = (batch: { rows: AudienceRow[]; errors: AudienceLineError[] }) => {
      for (const error of batch.errors) {
        badLines++;
        if (errors.length < MAX_REPORTED_ERRORS) errors.push(error);
      }
      lines += batch.rows.length + batch.errors.length;
      for (const row of batch.rows) {
        if (!seen.add(row.address.toLowerCase())) {
          duplicates++;
          continue;
        }
        pending.push([stagingKey, row.address, row.domain, JSON.stringify(row.attributes), row.line]);
      }
    };
    const flush = async () => {
      if (pending.length === 0) return;
      const rows = pending;
      pending = [];
      // In reject mode rows are staged too, and dropped if a bad line turns up.
      await this.db.transaction((em) => insertMany(em, 'planner_audience_member', MEMBER_COLUMNS, rows));
      staged += rows.length;
    };

    try {
      for await (const chunk of input) {
        take(parser.push(typeof chunk === 'string' ? chunk : decoder.write(chunk)));
        if (parser.fatal) break;
        if (!stageRows && badLines > 0) pending = [];
        if (pending.length >= WRITE_BATCH) {
          await flush();
          progress?.(lines);
        }
      }
      if (!parser.fatal) {
        take(parser.push(decoder.end()));
        take(parser.end());
      }
      const rejected = parser.fatal !== undefined || (options.onError === 'reject' && badLines > 0);
      if (rejected) {
        await this.discard(stagingKey);
        const members = await this.memberCount(audience);
        return {
          audience,
          importId,
          status: 'rejected',
          lines,
          imported: 0,
          duplicates,
          badLines,
          errors,
          ...(parser.fatal ? { fatal: parser.fatal } : {}),
          members,
          columns: parser.columns ?? [],
          durationSeconds: (Date.now() - started) / 1000,
        };
      }
      await flush();
      const columns = parser.columns ?? [];
      const members = await this.db.transaction((em) =>
        this.commit(em, audience, stagingKey, columns, options.mode),
      );
      progress?.(lines);
      const report: ImportReport = {
        audience,
        importId,
        status: 'imported',
        lines,
        imported: staged,
        duplicates,
        badLines,
        errors,
        members,
        columns,
        durationSeconds: (Date.now() - started) / 1000,
      };
      this.logger.info(
        { audience, import_id: importId, lines, imported: staged, bad_lines: badLines, members },
        'audience imported',
      );
      return report;
    } catch (error) {
      await this.discard(stagingKey).catch(() => undefined);
      throw error;
    }
  }

  async list(): Promise<AudienceSummary[]> {
    const rows = await this.db.read((em) =>
      em.query(`SELECT ${AUDIENCE_COLUMNS} FROM planner_audience ORDER BY name`),
    );
    return (rows as AudienceRecord[]).map(summary);
  }

  async get(name: string): Promise<AudienceSummary | null> {
    const record = await this.db.read((em) => findAudience(em, name));
    return record ? summary(record) : null;
  }

  /** A page of members, in import order. */
  async members(name: string, offset: number, limit: number) {
    return this.db.read(async (em) => {
      const record = await findAudience(em, name);
      if (!record) return null;
      const rows = (await em.query(
        sqlFor(
          em,
          'SELECT address, attributes FROM planner_audience_member WHERE audience = ? ORDER BY seq LIMIT ? OFFSET ?',
        ),
        [record.storageKey, limit, offset],
      )) as { address: string; attributes: string }[];
      return rows.map((row) => ({ address: row.address, attributes: JSON.parse(row.attributes) as unknown }));
    });
  }

  async remove(name: string): Promise<boolean> {
    return this.db.transaction(async (em) => {
      const record = await findAudience(em, name);
      if (!record) return false;
      await em.query(sqlFor(em, 'DELETE FROM planner_audience_member WHERE audience = ?'), [
        record.storageKey,
      ]);
      await em.query(sqlFor(em, 'DELETE FROM planner_audience WHERE name = ?'), [name]);
      return true;
    });
  }

  private async commit(
    em: EntityManager,
    audience: string,
    stagingKey: string,
    columns: readonly string[],
    mode: ImportOptions['mode'],
  ): Promise<number> {
    const now = new Date().toISOString();
    const current = await findAudience(em, audience);
    if (!current || mode === 'replace') {
      // The staged rows become the audience: one row changes, whatever the size of the file.
      if (current)
        await em.query(sqlFor(em, 'DELETE FROM planner_audience_member WHERE audience = ?'), [
          current.storageKey,
        ]);
      const members = await this.countKey(em, stagingKey);
      await em.query(
        sqlFor(
          em,
          `INSERT INTO planner_audience (name, storage_key, members, columns, next_seq, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET storage_key = excluded.storage_key, members = excluded.members,
             columns = excluded.columns, next_seq = excluded.next_seq, updated_at = excluded.updated_at`,
        ),
        [
          audience,
          stagingKey,
          members,
          JSON.stringify(columns),
          await this.maxSeq(em, stagingKey),
          current?.createdAt ?? now,
          now,
        ],
      );
      return members;
    }
    // Merge: new addresses are appended after the existing members, known ones get the new attributes.
    await em.query(
      sqlFor(
        em,
        `INSERT INTO planner_audience_member (audience, address, domain, attributes, seq)
         SELECT ?, address, domain, attributes, seq + ? FROM planner_audience_member WHERE audience = ?
         ON CONFLICT (audience, address) DO UPDATE SET domain = excluded.domain, attributes = excluded.attributes`,
      ),
      [current.storageKey, current.nextSeq, stagingKey],
    );
    const nextSeq = current.nextSeq + (await this.maxSeq(em, stagingKey));
    await em.query(sqlFor(em, 'DELETE FROM planner_audience_member WHERE audience = ?'), [stagingKey]);
    const members = await this.countKey(em, current.storageKey);
    const known = JSON.parse(current.columns) as string[];
    await em.query(
      sqlFor(
        em,
        'UPDATE planner_audience SET members = ?, columns = ?, next_seq = ?, updated_at = ? WHERE name = ?',
      ),
      [members, JSON.stringify([...new Set([...known, ...columns])]), nextSeq, now, audience],
    );
    return members;
  }

  private async discard(stagingKey: string): Promise<void> {
    await this.db.transaction((em) =>
      em.query(sqlFor(em, 'DELETE FROM planner_audience_member WHERE audience = ?'), [stagingKey]),
    );
  }

  private async memberCount(audience: string): Promise<number> {
    return (await this.get(audience))?.members ?? 0;
  }

  private async countKey(em: EntityManager, key: string): Promise<number> {
    const [row] = (await em.query(
      sqlFor(em, 'SELECT COUNT(*) AS n FROM planner_audience_member WHERE audience = ?'),
      [key],
    )) as { n: number | string }[];
    return Number(row?.n ?? 0);
  }

  private async maxSeq(em: EntityManager, key: string): Promise<number> {
    const [row] = (await em.query(
      sqlFor(em, 'SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM planner_audience_member WHERE audience = ?'),
      [key],
    )) as { n: number | string }[];
    return Number(row?.n ?? 1);
  }
}

const MEMBER_COLUMNS = ['audience', 'address', 'domain', 'attributes', 'seq'] as const;
const AUDIENCE_COLUMNS = `name, storage_key AS "storageKey", members, columns, next_seq AS "nextSeq",
  created_at AS "createdAt", updated_at AS "updatedAt"`;

export interface AudienceSummary {
  readonly name: string;
  readonly members: number;
  readonly columns: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

const summary = (record: AudienceRecord): AudienceSummary => ({
  name: record.name,
  members: Number(record.members),
  columns: JSON.parse(record.columns) as string[],
  createdAt: record.createdAt,
  updatedAt: record.updatedAt,
});

export async function findAudience(em: EntityManager, name: string): Promise<AudienceRecord | null> {
  const [row] = (await em.query(
    sqlFor(em, `SELECT ${AUDIENCE_COLUMNS} FROM planner_audience WHERE name = ?`),
    [name],
  )) as AudienceRecord[];
  return row ? { ...row, nextSeq: Number(row.nextSeq), members: Number(row.members) } : null;
}
