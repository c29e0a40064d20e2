import { EntitySchema } from 'typeorm';

/**
 * The planner's own state: one row per delivery (its decider state as JSON), the outcome of every
 * command id it has handled (commands are idempotent by id), and its view of address status fed
 * by address events so the analysis never calls another service.
 */
export const planningEntities = () => [
  new EntitySchema({
    name: 'PlannerDelivery',
    tableName: 'planner_delivery',
    columns: {
      deliveryId: { name: 'delivery_id', type: 'text', primary: true },
      status: { type: 'text' },
      state: { type: 'text' },
    },
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
      reason: { type: 'text' },
    },
  }),
];
