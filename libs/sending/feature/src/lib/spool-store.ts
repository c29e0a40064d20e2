import type { DeliveryContent } from '@postwave/contracts';
import { inChunks, insertMany, sqlFor, type Database } from '@postwave/platform/persistence';
import { In, type EntityManager } from 'typeorm';
import type { SpoolRow } from './sending.entities';

const COLUMNS = `message_id AS "messageId", delivery_id AS "deliveryId", address, domain, attributes,
  valid_until AS "validUntil", state, attempts, next_attempt_at AS "nextAttemptAt", lease_owner AS "leaseOwner",
  lease_until AS "leaseUntil", last_reply AS "lastReply", correlation_id AS "correlationId", traceparent,
  announced, subject_prefix AS "subjectPrefix"`;

const SPOOL_COLUMNS = [
  'message_id',
  'delivery_id',
  'address',
  'domain',
  'attributes',
  'valid_until',
  'state',
  'attempts',
  'next_attempt_at',
  'correlation_id',
  'traceparent',
  'announced',
  'subject_prefix',
];

/** Spool persistence: claims with leases (SKIP LOCKED on PostgreSQL), settles outcomes. */
export class SpoolStore {
  constructor(private readonly db: Database) {}

  async claim(owner: string, limit: number, leaseMs: number): Promise<SpoolRow[]> {
    const now = new Date().toISOString();
    const leaseUntil = new Date(Date.now() + leaseMs).toISOString();
    if (this.db.kind === 'postgres') {
      // TypeORM answers an UPDATE … RETURNING on PostgreSQL with [rows, affected].
      const [rows] = await this.db.transaction((em): Promise<[SpoolRow[], number]> =>
        em.query(
          `UPDATE mta_spool SET lease_owner = $1, lease_until = $2 WHERE message_id IN (
             SELECT message_id FROM mta_spool
             WHERE state = 'queued' AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until < $3)
               AND delivery_id NOT IN (SELECT delivery_id FROM mta_delivery_control)
             ORDER BY next_attempt_at LIMIT $4 FOR UPDATE SKIP LOCKED)
           RETURNING ${COLUMNS}`,
          [owner, leaseUntil, now, limit],
        ),
      );
      return rows;
    }
    return this.db.transaction((em) =>
      em.query(
        `UPDATE mta_spool SET lease_owner = ?, lease_until = ? WHERE message_id IN (
           SELECT message_id FROM mta_spool
           WHERE state = 'queued' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?)
             AND delivery_id NOT IN (SELECT delivery_id FROM mta_delivery_control)
           ORDER BY next_attempt_at LIMIT ?)
         RETURNING ${COLUMNS}`,
        [owner, leaseUntil, now, now, limit],
      ),
    );
  }

  async contents(deliveryIds: readonly string[]): Promise<Map<string, DeliveryContent>> {
    const rows = await this.db.read((em) =>
      em.find<{ deliveryId: string; content: string }>('DeliveryContentEntry', {
        where: { deliveryId: In([...deliveryIds]) },
      }),
    );
    // Edits before confirmation replace the content; proofs may already have been built from it.
    return new Map(rows.map((row) => [row.deliveryId, JSON.parse(row.content) as DeliveryContent]));
  }

  /**
   * Records attempts, each done or queued again for its `retryAt`, with the lease dropped either
   * way: one statement per 500 (an UPDATE from a VALUES list, on SQLite and
   * PostgreSQL alike); a message settled twice in the list keeps its last record.
   */
  async settleMany(
    em: EntityManager,
    records: ReadonlyArray<{ readonly row: SpoolRow; readonly retryAt: Date | null }>,
  ): Promise<void> {
    const last = new Map(records.map((record) => [record.row.messageId, record]));
    await inChunks([...last.values()], async (chunk) => {
      await em.query(
        sqlFor(
          em,
          `UPDATE mta_spool SET state = v.column2, attempts = CAST(v.column3 AS INTEGER), last_reply = v.column4,
             next_attempt_at = v.column5, lease_owner = NULL, lease_until = NULL
           FROM (VALUES ${chunk.map(() => '(?, ?, ?, ?, ?)').join(', ')}) AS v
           WHERE mta_spool.message_id = v.column1`,
        ),
        chunk.flatMap(({ row, retryAt }) => [
          row.messageId,
          retryAt ? 'queued' : 'done',
          row.attempts,
          row.lastReply,
          (retryAt ?? new Date()).toISOString(),
        ]),
      );
    });
  }

  /**
   * Spools planned messages unless they are already there (a replayed command plans the same ids);
   * returns the ids this call added.
   */
  async addMany(
    em: EntityManager,
    rows: ReadonlyArray<Omit<SpoolRow, 'leaseOwner' | 'leaseUntil' | 'lastReply'>>,
  ): Promise<Set<string>> {
    const inserted = await insertMany<{ messageId: string }>(
      em,
      'mta_spool',
      SPOOL_COLUMNS,
      rows.map((row) => [
        row.messageId,
        row.deliveryId,
        row.address,
        row.domain,
        row.attributes,
        row.validUntil,
        row.state,
        row.attempts,
        row.nextAttemptAt,
        row.correlationId,
        row.traceparent,
        row.announced,
        row.subjectPrefix,
      ]),
      'ON CONFLICT (message_id) DO NOTHING RETURNING message_id AS "messageId"',
    );
    return new Set(inserted.map((row) => row.messageId));
  }

  /** Marks messages whose wave has come as announced ("taken into account"). */
  async announce(em: EntityManager, messageIds: readonly string[]): Promise<void> {
    await inChunks(messageIds, async (chunk, marks) => {
      await em.query(sqlFor(em, `UPDATE mta_spool SET announced = 1 WHERE message_id IN (${marks})`), chunk);
    });
  }

  /** Puts messages back in the queue for later without counting an attempt. */
  postpone(messageIds: readonly string[], until: Date): Promise<void> {
    if (messageIds.length === 0) return Promise.resolve();
    return this.db.transaction(async (em) => {
      await em.update(
        'SpoolEntry',
        { messageId: In([...messageIds]), state: 'queued' },
        { nextAttemptAt: until.toISOString(), leaseOwner: null, leaseUntil: null },
      );
    });
  }

  /**
   * Cancels a stopped delivery's queued messages that no worker holds right now (messages being
   * sent finish their attempt); returns the canceled rows.
   */
  async cancelQueued(em: EntityManager, deliveryId: string, now: Date): Promise<SpoolRow[]> {
    const rows = await em
      .createQueryBuilder()
      .select([
        's.messageId AS "messageId"',
        's.deliveryId AS "deliveryId"',
        's.correlationId AS "correlationId"',
        's.traceparent AS traceparent',
      ])
      .from('SpoolEntry', 's')
      .where(
        "s.deliveryId = :deliveryId AND s.state = 'queued' AND (s.leaseUntil IS NULL OR s.leaseUntil < :now)",
        {
          deliveryId,
          now: now.toISOString(),
        },
      )
      .getRawMany<SpoolRow>();
    for (let i = 0; i < rows.length; i += 500) {
      await em.update(
        'SpoolEntry',
        { messageId: In(rows.slice(i, i + 500).map((row) => row.messageId)) },
        { state: 'canceled' },
      );
    }
    return rows;
  }

  /** Gives claimed messages back without counting an attempt (only rows still leased are touched). */
  release(messageIds: readonly string[]): Promise<void> {
    return this.db.transaction(async (em) => {
      await em
        .createQueryBuilder()
        .update('SpoolEntry')
        .set({ leaseOwner: null, leaseUntil: null })
        .where({ messageId: In([...messageIds]), state: 'queued' })
        .andWhere('lease_owner IS NOT NULL')
        .execute();
    });
  }
}
