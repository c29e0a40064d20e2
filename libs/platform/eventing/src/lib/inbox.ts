import { sqlFor, type Database } from '@postwave/platform/persistence';
import type { EntityManager } from 'typeorm';

/** Records that `group` handled `eventId`; false when it already had (a redelivery). */
export async function firstDelivery(em: EntityManager, group: string, eventId: string): Promise<boolean> {
  const seen = await em
    .createQueryBuilder()
    .select('1', 'one')
    .from('ProcessedEvent', 'p')
    .where('p.groupId = :group AND p.eventId = :eventId', { group, eventId })
    .getRawOne();
  if (seen) return false;
  await em
    .createQueryBuilder()
    .insert()
    .into('ProcessedEvent')
    .values({ groupId: group, eventId, processedAt: new Date().toISOString() })
    .execute();
  return true;
}

/**
 * Drops inbox entries older than the retention, a batch at a time; returns how many went. The
 * inbox only has to outlive redeliveries (a consumer that crashed before committing its offset),
 * which come within minutes; kept forever it grows by one row per event and group.
 */
export async function pruneInbox(db: Database, olderThan: Date, batch = 10_000): Promise<number> {
  let pruned = 0;
  for (;;) {
    const removed = await db.transaction(async (em) => {
      const rows = (await em.query(
        sqlFor(
          em,
          `SELECT group_id AS "groupId", event_id AS "eventId" FROM processed_event
           WHERE processed_at IS NULL OR processed_at < ? LIMIT ?`,
        ),
        [olderThan.toISOString(), batch],
      )) as { groupId: string; eventId: string }[];
      for (let i = 0; i < rows.length; i += 400) {
        const chunk = rows.slice(i, i + 400);
        await em.query(
          sqlFor(
            em,
            `DELETE FROM processed_event WHERE (group_id, event_id) IN (VALUES ${chunk.map(() => '(?, ?)').join(', ')})`,
          ),
          chunk.flatMap((row) => [row.groupId, row.eventId]),
        );
      }
      return rows.length;
    });
    pruned += removed;
    if (removed < batch) return pruned;
  }
}

export async function forgetGroup(em: EntityManager, group: string): Promise<void> {
  await em
    .createQueryBuilder()
    .delete()
    .from('ProcessedEvent')
    .where('groupId = :group', { group })
    .execute();
}
