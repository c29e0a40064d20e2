import { bounceEntities, bounceEnvShape, BounceModule, bounceOptionsFrom } from '@postwave/bounce/feature';
import { feedbackEntities, FeedbackModule } from '@postwave/feedback/feature';
import { appEnvSchema, env, whenParsed } from '@postwave/platform/config';
import type { ServiceSpec } from '@postwave/platform/runtime';
import { planningEntities, PlanningModule } from '@postwave/planning/feature';
import {
  mtaEnvShape,
  mtaOptionsFrom,
  refineMta,
  sendingEntities,
  SendingModule,
} from '@postwave/sending/feature';
import { z } from 'zod';
import { SimulatorHostModule } from './simulator.host';

export const embeddedEnvSchema = appEnvSchema({
  HTTP_PORT: env.port(8080),
  HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  ...mtaEnvShape,
  ...bounceEnvShape,
  MTA_DKIM_GENERATE: env.bool(true),
  BOUNCE_SMTP_HOST: z.string().min(1).default('127.0.0.1'),
  SIMULATOR_ENABLED: env.bool(true),
  SIMULATOR_HOST: z.string().min(1).default('127.0.0.1'),
  SIMULATOR_PORT: env.port(2525),
  SIMULATOR_INBOX_DIR: z.string().min(1).optional(),
}).superRefine(
  refineMta,
  whenParsed('MTA_ROUTES', 'MTA_RELAY', 'MTA_MX_RULES_FILE', 'MTA_SOURCE_IPS', 'MTA_WARMUP_FILE'),
);

export type EmbeddedConfig = z.infer<typeof embeddedEnvSchema>;

/** The embedded default: the four services and the mailbox simulator in one process, on SQLite. */
export const embeddedService: ServiceSpec<typeof embeddedEnvSchema> = {
  name: 'postwave',
  envSchema: embeddedEnvSchema,
  entities: [planningEntities, sendingEntities, bounceEntities, feedbackEntities],
  modules: (platform, config) => [
    PlanningModule,
    SendingModule.register(mtaOptionsFrom(config, platform.instance)),
    BounceModule.register(bounceOptionsFrom(config)),
    FeedbackModule,
    ...(config.SIMULATOR_ENABLED
      ? [
          SimulatorHostModule.register({
            host: config.SIMULATOR_HOST,
            port: config.SIMULATOR_PORT,
            ...(config.SIMULATOR_INBOX_DIR ? { inboxDir: config.SIMULATOR_INBOX_DIR } : {}),
          }),
        ]
      : []),
  ],
};
