import { appEnvSchema, env, whenParsed } from '@postwave/platform/config';
import type { ServiceSpec } from '@postwave/platform/runtime';
import {
  mtaEnvShape,
  mtaOptionsFrom,
  refineMta,
  sendingEntities,
  SendingModule,
} from '@postwave/sending/feature';
import { z } from 'zod';

export const mtaEnvSchema = appEnvSchema({
  HTTP_PORT: env.port(8082),
  HTTP_HOST: z.string().min(1).default('0.0.0.0'),
  ...mtaEnvShape,
}).superRefine(refineMta, whenParsed('MTA_ROUTES', 'MTA_RELAY', 'MTA_MX_RULES_FILE', 'MTA_SOURCE_IPS', 'MTA_WARMUP_FILE'));

/** Takes planned messages into its spool and delivers them over SMTP, reporting every outcome. */
export const mtaService: ServiceSpec<typeof mtaEnvSchema> = {
  name: 'sending-mta',
  envSchema: mtaEnvSchema,
  entities: [sendingEntities],
  modules: (platform, config) => [SendingModule.register(mtaOptionsFrom(config, platform.instance))],
};
