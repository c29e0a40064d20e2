import { availableParallelism, hostname } from 'node:os';
import { appEnvSchema, env, whenParsed } from '@postwave/platform/config';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  parseRouteTable,
  parseSourceIps,
  RouteConfigError,
  validateMxRules,
  validateWarmupPlans,
  TLS_POLICIES,
} from '@postwave/sending/domain';
import { z } from 'zod';
import { defaultClaimBatch, type MtaOptions } from './mta-options';

/** The MTA's environment variables; every app that runs the MTA spreads this into its schema. */
export const mtaEnvShape = {
  MTA_HELO_NAME: z.string().min(1).default(hostname()),
  MTA_ROUTES: z.string().optional(),
  MTA_RELAY: z.string().optional(),
  MTA_DNS_SERVERS: env.list(),
  MTA_DKIM_SELECTOR: z
    .string()
    .regex(/^[a-z0-9-]+$/i, 'letters, digits and dashes only')
    .default('pw1'),
  MTA_DKIM_KEYS_DIR: z.string().min(1).default('./data/dkim'),
  MTA_DKIM_GENERATE: env.bool(false),
  MTA_VERP_DOMAIN: z
    .string()
    .regex(/^[a-z0-9.-]+$/i, 'must be a domain name')
    .optional(),
  MTA_VERP_SECRET: z.string().min(16, 'must be at least 16 characters'),
  MTA_UNSUBSCRIBE_URL: z.url({ protocol: /^https?$/ }).optional(),
  MTA_RETRY_FIRST_MS: env.int(300_000, 1),
  MTA_RETRY_FACTOR: z.coerce.number().min(1).max(10).default(2),
  MTA_RETRY_MAX_MS: env.int(4 * 3_600_000, 1),
  MTA_RETRY_JITTER: z.coerce.number().min(0).max(1).default(0.5),
  MTA_MAX_CONNECTIONS: env.int(20, 1, 1000),
  MTA_MESSAGES_PER_CONNECTION: env.int(100, 1, 10_000),
  MTA_CONNECT_TIMEOUT_MS: env.int(30_000, 100),
  MTA_GREETING_TIMEOUT_MS: env.int(60_000, 100),
  MTA_SOCKET_TIMEOUT_MS: env.int(120_000, 100),
  MTA_LEASE_MS: env.int(300_000, 1000),
  /**
   * Messages one claim takes from the shared spool; smaller spreads work across replicas sooner.
   * By default enough to keep MTA_MAX_CONNECTIONS sessions busy (see defaultClaimBatch).
   */
  MTA_CLAIM_BATCH: z.coerce.number().int().min(1).max(10_000).optional(),
  /** Message build threads: by default one fewer than the cores (at most 4), so the event loop keeps one. */
  MTA_BUILD_THREADS: env.int(Math.min(4, Math.max(0, availableParallelism() - 1)), 0, 64),
  MTA_TLS: z.enum(TLS_POLICIES).default('opportunistic'),
  /** Extra certificate authorities (PEM) trusted besides the system's, for `verify`: private MXs. */
  MTA_TLS_CA_FILE: z.string().min(1).optional(),
  MTA_MX_RULES_FILE: z.string().min(1).optional(),
  MTA_SOURCE_IPS: z.string().optional(),
  MTA_WARMUP_FILE: z.string().min(1).optional(),
};

type MtaEnv = z.infer<z.ZodObject<typeof mtaEnvShape>>;

/** Cross-field checks: routes must parse; reported against the variable that holds them. */
export function refineMta(value: MtaEnv, ctx: z.RefinementCtx): void {
  try {
    parseSourceIps(value.MTA_SOURCE_IPS);
  } catch (error) {
    ctx.addIssue({ code: 'custom', path: ['MTA_SOURCE_IPS'], message: (error as Error).message });
  }
  if (value.MTA_WARMUP_FILE) {
    try {
      validateWarmupPlans(JSON.parse(readFileSync(value.MTA_WARMUP_FILE, 'utf8')));
    } catch (error) {
      ctx.addIssue({ code: 'custom', path: ['MTA_WARMUP_FILE'], message: (error as Error).message });
    }
  }
  if (value.MTA_TLS_CA_FILE) {
    try {
      caCertificates(value.MTA_TLS_CA_FILE);
    } catch (error) {
      ctx.addIssue({ code: 'custom', path: ['MTA_TLS_CA_FILE'], message: (error as Error).message });
    }
  }
  if (value.MTA_MX_RULES_FILE) {
    try {
      validateMxRules(JSON.parse(readFileSync(value.MTA_MX_RULES_FILE, 'utf8')));
    } catch (error) {
      ctx.addIssue({ code: 'custom', path: ['MTA_MX_RULES_FILE'], message: (error as Error).message });
    }
  }
  try {
    parseRouteTable(value.MTA_ROUTES, value.MTA_RELAY);
  } catch (error) {
    if (!(error instanceof RouteConfigError)) throw error;
    ctx.addIssue({
      code: 'custom',
      path: [error.message.startsWith('MTA_RELAY') ? 'MTA_RELAY' : 'MTA_ROUTES'],
      message: error.message,
    });
  }
}

export function mtaOptionsFrom(config: MtaEnv, instance: string): MtaOptions {
  return {
    instance,
    heloName: config.MTA_HELO_NAME,
    routes: parseRouteTable(config.MTA_ROUTES, config.MTA_RELAY),
    dnsServers: config.MTA_DNS_SERVERS,
    dkim: {
      selector: config.MTA_DKIM_SELECTOR,
      keysDir: config.MTA_DKIM_KEYS_DIR,
      generateMissing: config.MTA_DKIM_GENERATE,
    },
    verp: { domain: config.MTA_VERP_DOMAIN ?? null, secret: config.MTA_VERP_SECRET },
    unsubscribeUrl: config.MTA_UNSUBSCRIBE_URL ?? null,
    retry: {
      firstDelayMs: config.MTA_RETRY_FIRST_MS,
      factor: config.MTA_RETRY_FACTOR,
      maxDelayMs: config.MTA_RETRY_MAX_MS,
      jitter: config.MTA_RETRY_JITTER,
    },
    maxConnections: config.MTA_MAX_CONNECTIONS,
    messagesPerConnection: config.MTA_MESSAGES_PER_CONNECTION,
    timeouts: {
      connectMs: config.MTA_CONNECT_TIMEOUT_MS,
      greetingMs: config.MTA_GREETING_TIMEOUT_MS,
      socketMs: config.MTA_SOCKET_TIMEOUT_MS,
    },
    leaseMs: config.MTA_LEASE_MS,
    claimBatch:
      config.MTA_CLAIM_BATCH ??
      defaultClaimBatch(config.MTA_MAX_CONNECTIONS, config.MTA_MESSAGES_PER_CONNECTION),
    buildThreads: config.MTA_BUILD_THREADS,
    tls: config.MTA_TLS,
    tlsCa: config.MTA_TLS_CA_FILE ? caCertificates(config.MTA_TLS_CA_FILE) : null,
    mxRulesFile: config.MTA_MX_RULES_FILE ?? null,
    sourceIps: parseSourceIps(config.MTA_SOURCE_IPS),
    warmup: config.MTA_WARMUP_FILE
      ? validateWarmupPlans(JSON.parse(readFileSync(config.MTA_WARMUP_FILE, 'utf8')))
      : [],
  };
}

/** An app's environment schema with the MTA's variables and their cross-field checks. */
export function withMtaEnv<T extends z.ZodRawShape>(shape: T) {
  // The app's own entries come last: the embedded app overrides some MTA defaults.
  return appEnvSchema({ ...mtaEnvShape, ...shape }).superRefine(
    (value, ctx) => refineMta(value as unknown as MtaEnv, ctx),
    whenParsed(
      'MTA_ROUTES',
      'MTA_RELAY',
      'MTA_MX_RULES_FILE',
      'MTA_SOURCE_IPS',
      'MTA_WARMUP_FILE',
      'MTA_TLS_CA_FILE',
    ),
  );
}

/** The PEM certificates of a CA file, or an error naming what is wrong with it. */
function caCertificates(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as Error).message}`);
  }
  const pems = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (pems.length === 0) throw new Error(`${file} holds no PEM certificate`);
  for (const [i, pem] of pems.entries()) {
    try {
      new X509Certificate(pem);
    } catch (error) {
      throw new Error(`certificate ${i + 1} of ${file} is not valid: ${(error as Error).message}`);
    }
  }
  return pems.join('\n');
}
