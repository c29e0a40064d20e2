import { DEFAULT_TYPOLOGY, parseOrThrow, Typology, type FailureReason } from '@postwave/contracts';
import type { Attributes } from '@postwave/content';
import { inChunks, sqlFor } from '@postwave/platform/persistence';
import {
  addStatuses,
  compileTypology,
  nextDueAt,
  type AddressStatusRow,
  type CompiledTypology,
  type Delivery,
} from '@postwave/planning/domain';
import type { EntityManager } from 'typeorm';

export async function loadDelivery(em: EntityManager, deliveryId: string): Promise<Delivery | null> {
  const [row] = (await em.query(sqlFor(em, 'SELECT state FROM planner_delivery WHERE delivery_id = ?'), [
    deliveryId,
  ])) as { state: string }[];
  return row ? (JSON.parse(row.state) as Delivery) : null;
}

export async function saveDelivery(em: EntityManager, delivery: Delivery): Promise<void> {
  await em.query(
    sqlFor(
      em,
      `INSERT INTO planner_delivery (delivery_id, status, state, due_at, typology, start_at, message_count, emit_cursor, emitted)
       VALUES (?, ?, ?, ?, ?, ?, ?, -1, 0)
       ON CONFLICT (delivery_id) DO UPDATE SET status = excluded.status, state = excluded.state, due_at = excluded.due_at,
         typology = excluded.typology, start_at = excluded.start_at, message_count = excluded.message_count`,
    ),
    [
      delivery.deliveryId,
      delivery.status,
      JSON.stringify(delivery),
      nextDueAt(delivery),
      delivery.settings.typology,
      delivery.startAt ?? null,
      delivery.messageCount ?? null,
    ],
  );
}

export interface SourceRecipient {
  readonly seq: number;
  readonly address: string | null;
  readonly attributes: Attributes;
  /** The attributes as stored, written on as they are (no second serialization). */
  readonly rawAttributes: string;
}

/** The next page of a delivery's source, in seq order: an audience's members or its inline list. */
export async function sourcePage(
  em: EntityManager,
  source: { audience: string } | { deliveryId: string },
  afterSeq: number,
  limit: number,
): Promise<SourceRecipient[]> {
  const rows = (await ('audience' in source
    ? em.query(
        sqlFor(
          em,
          `SELECT seq, address, attributes FROM planner_audience_member
           WHERE audience = (SELECT storage_key FROM planner_audience WHERE name = ?) AND seq > ? ORDER BY seq LIMIT ?`,
        ),
        [source.audience, afterSeq, limit],
      )
    : em.query(
        sqlFor(
          em,
          'SELECT seq, address, attributes FROM planner_inline_recipient WHERE delivery_id = ? AND seq > ? ORDER BY seq LIMIT ?',
        ),
        [source.deliveryId, afterSeq, limit],
      ))) as { seq: number | string; address: string | null; attributes: string }[];
  return rows.map((row) => ({
    seq: Number(row.seq),
    address: row.address,
    attributes: JSON.parse(row.attributes) as Attributes,
    rawAttributes: row.attributes,
  }));
}

/** Quarantine, denylist and unsubscriptions of these addresses, global or for this audience. */
export async function blockedReasons(
  em: EntityManager,
  addresses: readonly string[],
  audience: string | undefined,
): Promise<Map<string, FailureReason>> {
  const blocked = new Map<string, FailureReason>();
  await inChunks(
    addresses,
    async (chunk, marks) => {
      const rows = (await em.query(
        sqlFor(em, `SELECT address, scope, reason FROM planner_address_status WHERE address IN (${marks})`),
        chunk,
      )) as AddressStatusRow[];
      addStatuses(blocked, rows, audience);
    },
    1000,
  );
  return blocked;
}

/**
 * Messages each address got since `since` from other deliveries under pressure management (their
 * typology has a pressure rule: Campaign counts the deliveries the rule applies to).
 */
export async function recentMessages(
  em: EntityManager,
  addresses: readonly string[],
  since: string,
  deliveryId: string,
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  await inChunks(
    addresses,
    async (chunk, marks) => {
      const rows = (await em.query(
        sqlFor(
          em,
          `SELECT address, COUNT(*) AS n FROM planner_contact
         WHERE address IN (${marks}) AND delivery_id <> ? AND at >= ?
         GROUP BY address`,
        ),
        [...chunk, deliveryId, since],
      )) as { address: string; n: number | string }[];
      for (const row of rows) counts.set(row.address, Number(row.n));
    },
    1000,
  );
  return counts;
}

/** How many address status rows there are: small tables are read whole instead of per chunk. */
export async function addressStatusCount(em: EntityManager): Promise<number> {
  const [row] = (await em.query('SELECT COUNT(*) AS n FROM planner_address_status')) as {
    n: number | string;
  }[];
  return Number(row?.n ?? 0);
}

/** Every address status row, for an analysis that keeps them in memory. */
export async function allAddressStatuses(em: EntityManager): Promise<AddressStatusRow[]> {
  return (await em.query('SELECT address, scope, reason FROM planner_address_status')) as {
    address: string;
    scope: string;
    reason: FailureReason;
  }[];
}

/** Messages of other deliveries of a typology starting within [from, to) (capacity rules). */
export async function typologyVolume(
  em: EntityManager,
  typology: string,
  from: string,
  to: string,
  deliveryId: string,
): Promise<number> {
  const [row] = (await em.query(
    sqlFor(
      em,
      `SELECT COALESCE(SUM(message_count), 0) AS n FROM planner_delivery
       WHERE typology = ? AND delivery_id <> ? AND start_at >= ? AND start_at < ?
         AND status IN ('StartPending', 'Pending', 'InProgress', 'Paused', 'Finished')`,
    ),
    [typology, deliveryId, from, to],
  )) as { n: number | string }[];
  return Number(row?.n ?? 0);
}

/** A stored typology, or the built-in default by its name; null for an unknown name. */
export async function loadTypologyDefinition(em: EntityManager, name: string): Promise<Typology | null> {
  const [row] = (await em.query(sqlFor(em, 'SELECT definition FROM planner_typology WHERE name = ?'), [
    name,
  ])) as { definition: string }[];
  if (row) return parseOrThrow(Typology, JSON.parse(row.definition), 'typology');
  return name === DEFAULT_TYPOLOGY.name ? DEFAULT_TYPOLOGY : null;
}

/** A typology ready to apply; null when there is none of that name or it no longer compiles. */
export async function loadCompiledTypology(
  em: EntityManager,
  name: string,
): Promise<CompiledTypology | null> {
  const definition = await loadTypologyDefinition(em, name);
  const compiled = definition ? compileTypology(definition) : null;
  return compiled?.ok ? compiled.compiled : null;
}
