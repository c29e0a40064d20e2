import { bounceEntities, bounceEnvShape, BounceModule, bounceOptionsFrom } from '@postwave/bounce/feature';
import { appEnvSchema, env } from '@postwave/platform/config';
import type { ServiceSpec } from '@postwave/platform/runtime';
import { z } from 'zod';

export const bounceEnvSchema = appEnvSchema({
  HTTP_PORT: env.port(8083),
  HTTP_HOST: z.string().min(1).default('0.0.0.0'),
  ...bounceEnvShape,
});

/** Qualifies bounces, complaints and auto-replies that come back by mail, and feeds the quarantine. */
export const bounceService: ServiceSpec<typeof bounceEnvSchema> = {
  name: 'bounce-qualifier',
  envSchema: bounceEnvSchema,
  entities: [bounceEntities],
  modules: (_platform, config) => [BounceModule.register(bounceOptionsFrom(config))],
};
