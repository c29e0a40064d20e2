import { appEnvSchema, env } from '@postwave/platform/config';
import { openApiModule, type ServiceSpec } from '@postwave/platform/runtime';
import { PLANNER_OPERATIONS, planningEntities, PlanningModule } from '@postwave/planning/feature';
import { z } from 'zod';

export const plannerEnvSchema = appEnvSchema({
  HTTP_PORT: env.port(8081),
  HTTP_HOST: z.string().min(1).default('0.0.0.0'),
  /** How long a replica holds an analysis or handover job; a dead replica's job moves on after it. */
  PLANNER_JOB_LEASE_MS: env.int(60_000, 1000),
});

/** Delivery commands in (HTTP and the command topic); analysis, confirmation and messages out. */
export const plannerService: ServiceSpec<typeof plannerEnvSchema> = {
  name: 'delivery-planner',
  envSchema: plannerEnvSchema,
  entities: [planningEntities],
  modules: (_platform, config) => [
    PlanningModule.register({ leaseMs: config.PLANNER_JOB_LEASE_MS }),
    openApiModule({ title: 'Postwave delivery planner', version: '1' }, PLANNER_OPERATIONS),
  ],
};
