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
  await em.createQueryBuilder().insert().into('ProcessedEvent').values({ groupId: group, eventId }).execute();
  return true;
}

export async function forgetGroup(em: EntityManager, group: string): Promise<void> {
  await em
    .createQueryBuilder()
    .delete()
    .from('ProcessedEvent')
    .where('groupId = :group', { group })
    .execute();
}
