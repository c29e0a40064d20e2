import { feedbackEntities, FeedbackModule } from '@postwave/feedback/feature';
import { appEnvSchema, env } from '@postwave/platform/config';
import type { ServiceSpec } from '@postwave/platform/runtime';
import { z } from 'zod';

export const projectorEnvSchema = appEnvSchema({
  HTTP_PORT: env.port(8084),
  HTTP_HOST: z.string().min(1).default('0.0.0.0'),
});

/** Builds the delivery log and KPI read model from the event stream and serves it. */
export const projectorService: ServiceSpec<typeof projectorEnvSchema> = {
  name: 'feedback-projector',
  envSchema: projectorEnvSchema,
  entities: [feedbackEntities],
  modules: () => [FeedbackModule],
};
