import {
  BOUNCE_OPERATIONS,
  bounceEntities,
  bounceEnvShape,
  BounceModule,
  bounceOptionsFrom,
} from '@postwave/bounce/feature';
import { FEEDBACK_OPERATIONS, feedbackEntities, FeedbackModule } from '@postwave/feedback/feature';
import { env } from '@postwave/platform/config';
import { openApiModule, type ServiceSpec } from '@postwave/platform/runtime';
import { PLANNER_OPERATIONS, planningEntities, PlanningModule } from '@postwave/planning/feature';
import {
  mtaOptionsFrom,
  SENDING_OPERATIONS,
  sendingEntities,
  SendingModule,
  withMtaEnv,
} from '@postwave/sending/feature';
import { z } from 'zod';
import { SimulatorHostModule } from './simulator.host';

export const embeddedEnvSchema = withMtaEnv({
  HTTP_PORT: env.port(8080),
  HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  ...bounceEnvShape,
  MTA_DKIM_GENERATE: env.bool(true),
  BOUNCE_SMTP_HOST: z.string().min(1).default('127.0.0.1'),
  SIMULATOR_ENABLED: env.bool(true),
  SIMULATOR_HOST: z.string().min(1).default('127.0.0.1'),
  SIMULATOR_PORT: env.port(2525),
  SIMULATOR_INBOX_DIR: z.string().min(1).optional(),
});

export type EmbeddedConfig = z.infer<typeof embeddedEnvSchema>;

/** The embedded default: the four services and the mailbox simulator in one process, on SQLite. */
const API_DESCRIPTION =
  'Delivery commands (idempotent by Idempotency-Key), audiences, typologies, consent, the delivery log and KPIs, MTA paths and unsubscribe.';

export const embeddedService: ServiceSpec<typeof embeddedEnvSchema> = {
  name: 'postwave',
  envSchema: embeddedEnvSchema,
  entities: [planningEntities, sendingEntities, bounceEntities, feedbackEntities],
  modules: (platform, config) => [
    PlanningModule,
    SendingModule.register(mtaOptionsFrom(config, platform.instance)),
    BounceModule.register(bounceOptionsFrom(config)),
    FeedbackModule,
    openApiModule({ title: 'Postwave', version: '1', description: API_DESCRIPTION }, [
      ...PLANNER_OPERATIONS,
      ...SENDING_OPERATIONS,
      ...BOUNCE_OPERATIONS,
      ...FEEDBACK_OPERATIONS,
    ]),
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
