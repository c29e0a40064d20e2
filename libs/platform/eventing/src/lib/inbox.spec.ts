import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '@postwave/platform/persistence';
import { eventingEntities } from './entities';
import { firstDelivery, pruneInbox } from './inbox';

describe('consumer inbox', () => {
  let dir: string;
  let db: Database;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pw-inbox-'));
    db = await Database.open({
      kind: 'sqlite',
      location: join(dir, 'inbox.sqlite'),
      entities: eventingEntities('sqlite'),
    });
  });
  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('drops redeliveries, and forgets entries older than the retention in batches', async () => {
    for (const id of ['e1', 'e2', 'e3', 'e4', 'e5'])
      expect(await db.transaction((em) => firstDelivery(em, 'g', id))).toBe(true);
    expect(await db.transaction((em) => firstDelivery(em, 'g', 'e1'))).toBe(false);
    await db.transaction((em) =>
      em.query(
        `UPDATE processed_event SET processed_at = '2020-01-01T00:00:00.000Z' WHERE event_id IN ('e1', 'e2')`,
      ),
    );
    // Entries written before the column existed have no time: they count as old.
    await db.transaction((em) =>
      em.query(`UPDATE processed_event SET processed_at = NULL WHERE event_id = 'e3'`),
    );

    expect(await pruneInbox(db, new Date(Date.now() - 3_600_000), 2)).toBe(3);

    expect(await db.transaction((em) => firstDelivery(em, 'g', 'e4'))).toBe(false);
    // A forgotten event would be applied again if it ever came back: hence a retention far beyond redeliveries.
    expect(await db.transaction((em) => firstDelivery(em, 'g', 'e1'))).toBe(true);
  });
});
