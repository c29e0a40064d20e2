import { env } from '@postwave/platform/config';
import type { ServiceSpec } from '@postwave/platform/runtime';
import { mtaOptionsFrom, sendingEntities, SendingModule, withMtaEnv } from '@postwave/sending/feature';
import { z } from 'zod';

export const mtaEnvSchema = withMtaEnv({
  HTTP_PORT: env.port(8082),
  HTTP_HOST: z.string().min(1).default('0.0.0.0'),
});

/** Takes planned messages into its spool and delivers them over SMTP, reporting every outcome. */
export const mtaService: ServiceSpec<typeof mtaEnvSchema> = {
  name: 'sending-mta',
  envSchema: mtaEnvSchema,
  entities: [sendingEntities],
  modules: (platform, config) => [SendingModule.register(mtaOptionsFrom(config, platform.instance))],
};
