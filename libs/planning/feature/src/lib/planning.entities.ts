import { EntitySchema } from 'typeorm';

/**
 * The planner's own state: its deliveries (decider state as JSON plus the columns its jobs query),
 * command outcomes (commands are idempotent by id), audiences and their members, each delivery's
 * analysed recipients, typologies, and its view of address status fed by address events so the
 * analysis never calls another service.
 */
export const planningEntities = () => [
  new EntitySchema({
    name: 'PlannerDelivery',
    tableName: 'planner_delivery',
    columns: {
      deliveryId: { name: 'delivery_id', type: 'text', primary: true },
      status: { type: 'text' },
      state: { type: 'text' },
      /** When the scheduler must look at it again (contact date, start, validity end). */
      dueAt: { name: 'due_at', type: 'text', nullable: true },
      typology: { type: 'text', default: 'default' },
      startAt: { name: 'start_at', type: 'text', nullable: true },
      messageCount: { name: 'message_count', type: 'integer', nullable: true },
      /** Emission progress: the last recipient seq handed over and how many were. */
      emitCursor: { name: 'emit_cursor', type: 'integer', default: -1 },
      emitted: { type: 'integer', default: 0 },
      jobOwner: { name: 'job_owner', type: 'text', nullable: true },
      jobUntil: { name: 'job_until', type: 'text', nullable: true },
    },
    indices: [{ name: 'planner_delivery_status', columns: ['status'] }],
  }),
  new EntitySchema({
    name: 'PlannerCommand',
    tableName: 'planner_command',
    columns: {
      commandId: { name: 'command_id', type: 'text', primary: true },
      outcome: { type: 'text' },
    },
  }),
  new EntitySchema({
    name: 'PlannerAddressStatus',
    tableName: 'planner_address_status',
    columns: {
      address: { type: 'text', primary: true },
      /** '' for every audience, else the audience the status applies to. */
      scope: { type: 'text', primary: true, default: '' },
      reason: { type: 'text' },
    },
  }),
  new EntitySchema({
    name: 'PlannerAudience',
    tableName: 'planner_audience',
    columns: {
      name: { type: 'text', primary: true },
      /** Members are stored under this key; an import fills a fresh key and switches to it on commit. */
      storageKey: { name: 'storage_key', type: 'text' },
      members: { type: 'integer' },
      columns: { type: 'text' },
      nextSeq: { name: 'next_seq', type: 'integer' },
      createdAt: { name: 'created_at', type: 'text' },
      updatedAt: { name: 'updated_at', type: 'text' },
    },
  }),
  new EntitySchema({
    name: 'PlannerAudienceMember',
    tableName: 'planner_audience_member',
    columns: {
      audience: { type: 'text', primary: true },
      address: { type: 'text', primary: true },
      domain: { type: 'text' },
      attributes: { type: 'text' },
      seq: { type: 'integer' },
    },
    indices: [{ name: 'planner_audience_member_seq', columns: ['audience', 'seq'] }],
  }),
  new EntitySchema({
    name: 'PlannerInlineRecipient',
    tableName: 'planner_inline_recipient',
    columns: {
      deliveryId: { name: 'delivery_id', type: 'text', primary: true },
      seq: { type: 'integer', primary: true },
      address: { type: 'text', nullable: true },
      attributes: { type: 'text' },
    },
  }),
  new EntitySchema({
    name: 'PlannerRecipient',
    tableName: 'planner_recipient',
    columns: {
      deliveryId: { name: 'delivery_id', type: 'text', primary: true },
      seq: { type: 'integer', primary: true },
      messageId: { name: 'message_id', type: 'text' },
      address: { type: 'text' },
      domain: { type: 'text' },
      attributes: { type: 'text' },
      /** Null for a recipient kept in the target, else the exclusion reason. */
      reason: { type: 'text', nullable: true },
      rule: { type: 'text', nullable: true },
      detail: { type: 'text', nullable: true },
      /** A stable pseudo-random rank: limit and control group pick by it. */
      rank: { type: 'integer' },
    },
  }),
  new EntitySchema({
    name: 'PlannerContact',
    tableName: 'planner_contact',
    columns: {
      /** Messages handed to the MTA by deliveries whose typology has a pressure rule: what pressure counts. */
      address: { type: 'text', primary: true },
      deliveryId: { name: 'delivery_id', type: 'text', primary: true },
      at: { type: 'text' },
    },
  }),
  new EntitySchema({
    name: 'PlannerTypology',
    tableName: 'planner_typology',
    columns: {
      name: { type: 'text', primary: true },
      definition: { type: 'text' },
      updatedAt: { name: 'updated_at', type: 'text' },
    },
  }),
];
