import { hostname } from 'node:os';
import { z } from 'zod';
import { env, whenParsed } from './load-config';

/**
 * The variables every Postwave process understands. Mode is chosen by configuration alone:
 * KAFKA_BROKERS + DATABASE_URL select the distributed mode; neither selects the embedded mode
 * (SQLite file + in-process event log). Mixing them is refused, because the embedded log lives in
 * the SQLite database and an outbox in PostgreSQL needs a broker to relay to.
 */
export const platformEnvShape = {
  DATABASE_URL: env.postgresUrl(),
  SQLITE_PATH: z.string().min(1).default('./data/postwave.sqlite'),
  KAFKA_BROKERS: env.list(),
  KAFKA_CLIENT_ID: z.string().min(1).optional(),
  KAFKA_PARTITIONS: env.int(6, 1, 1024),
  KAFKA_REPLICATION_FACTOR: env.int(1, 1, 16),
  /** How long consumers remember the events they handled, to drop redeliveries (distributed mode). */
  INBOX_RETENTION_HOURS: env.int(168, 1, 24 * 365),
  LOG_LEVEL: env.logLevel(),
  POSTWAVE_INSTANCE: z.string().min(1).default(hostname()),
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'console', 'none']).default('none'),
  /** Prefix of the physical Kafka topic names, to run several isolated installations on one cluster. */
  KAFKA_TOPIC_NAMESPACE: z
    .string()
    .regex(/^[a-z0-9._-]*$/i, 'letters, digits, dot, underscore and dash only')
    .default(''),
};

type PlatformFields = z.infer<z.ZodObject<typeof platformEnvShape>>;

/** The mode rule, shared by every app schema that extends the platform shape. */
export function refinePlatform(value: PlatformFields, ctx: z.RefinementCtx): void {
  const hasKafka = value.KAFKA_BROKERS.length > 0;
  const hasPg = value.DATABASE_URL !== undefined;
  if (hasKafka !== hasPg) {
    ctx.addIssue({
      code: 'custom',
      path: [hasKafka ? 'DATABASE_URL' : 'KAFKA_BROKERS'],
      message: 'distributed mode needs both KAFKA_BROKERS and DATABASE_URL; set both or neither',
    });
  }
}

/** An app's environment schema: the platform variables plus the app's own. */
export function appEnvSchema<T extends z.ZodRawShape>(shape: T) {
  return z
    .object({ ...platformEnvShape, ...shape })
    .superRefine(
      (value, ctx) => refinePlatform(value as unknown as PlatformFields, ctx),
      whenParsed('DATABASE_URL', 'KAFKA_BROKERS'),
    );
}

export const platformEnvSchema = appEnvSchema({});

export type PlatformEnv = PlatformFields;

export type PlatformMode =
  | { readonly kind: 'embedded'; readonly sqlitePath: string }
  | {
      readonly kind: 'distributed';
      readonly databaseUrl: string;
      readonly brokers: readonly string[];
      readonly partitions: number;
      readonly replicationFactor: number;
      readonly topicNamespace: string;
      readonly inboxRetentionHours: number;
    };

export function platformMode(config: PlatformEnv): PlatformMode {
  if (config.DATABASE_URL && config.KAFKA_BROKERS.length > 0) {
    return {
      kind: 'distributed',
      databaseUrl: config.DATABASE_URL,
      brokers: config.KAFKA_BROKERS,
      partitions: config.KAFKA_PARTITIONS,
      replicationFactor: config.KAFKA_REPLICATION_FACTOR,
      topicNamespace: config.KAFKA_TOPIC_NAMESPACE,
      inboxRetentionHours: config.INBOX_RETENTION_HOURS,
    };
  }
  return { kind: 'embedded', sqlitePath: config.SQLITE_PATH };
}
