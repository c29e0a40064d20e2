import { hostname } from 'node:os';
import { DEFAULT_SOFT_ERROR_SETTINGS } from '@postwave/bounce/domain';
import { env } from '@postwave/platform/config';
import { z } from 'zod';
import type { BounceOptions } from './bounce-options';

export const bounceEnvShape = {
  BOUNCE_SMTP_HOST: z.string().min(1).default('0.0.0.0'),
  BOUNCE_SMTP_PORT: z.union([z.literal('off'), z.coerce.number().int().min(0).max(65535)]).default(2526),
  BOUNCE_HOSTNAME: z.string().min(1).default(hostname()),
  BOUNCE_MAX_SIZE: env.int(10 * 1024 * 1024, 1024),
  /** Significant soft errors before an address is quarantined (Campaign NmsNPAI_EmailMaxError). */
  BOUNCE_SOFT_MAX_ERRORS: env.int(5, 1, 100),
  /** Soft errors closer together than this count once (Campaign: 1 day). */
  BOUNCE_SOFT_ERROR_PERIOD_HOURS: env.int(24, 0, 24 * 30),
  MTA_VERP_SECRET: z.string().min(16, 'must be at least 16 characters'),
};

type BounceEnv = z.infer<z.ZodObject<typeof bounceEnvShape>>;

export function bounceOptionsFrom(config: BounceEnv): BounceOptions {
  return {
    smtpHost: config.BOUNCE_SMTP_HOST,
    smtpPort: config.BOUNCE_SMTP_PORT === 'off' ? null : config.BOUNCE_SMTP_PORT,
    verpSecret: config.MTA_VERP_SECRET,
    hostname: config.BOUNCE_HOSTNAME,
    maxSize: config.BOUNCE_MAX_SIZE,
    softErrors: {
      ...DEFAULT_SOFT_ERROR_SETTINGS,
      maxErrors: config.BOUNCE_SOFT_MAX_ERRORS,
      periodMs: config.BOUNCE_SOFT_ERROR_PERIOD_HOURS * 3_600_000,
    },
  };
}
