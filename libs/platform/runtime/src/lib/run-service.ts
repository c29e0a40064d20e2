import { Module, type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { loadConfig, platformMode, type PlatformEnv } from '@postwave/platform/config';
import {
  EventLogTransport,
  openPlatform,
  PlatformModule,
  type EntitiesFor,
  type Platform,
} from '@postwave/platform/eventing';
import { createLogger, NestPinoLogger, startTelemetry } from '@postwave/platform/observability';
import type { z } from 'zod';
import { HealthController } from './health.controller';
import { HttpErrorsFilter } from './http-errors.filter';

export interface ServiceSpec<S extends z.ZodType<PlatformEnv & { HTTP_PORT: number; HTTP_HOST: string }>> {
  /** Service name: logger `service`, Kafka client id, OTel service name. */
  readonly name: string;
  readonly envSchema: S;
  readonly entities: readonly EntitiesFor[];
  /** The feature modules this process runs, given the platform and the parsed configuration. */
  readonly modules: (platform: Platform, config: z.infer<S>) => Array<Type | DynamicModule>;
  /** Work to do after the platform is open and before Nest starts (e.g. start an SMTP listener). */
  readonly beforeStart?: (platform: Platform, config: z.infer<S>) => Promise<() => Promise<void>>;
}

export interface RunningService<C> {
  readonly app: INestApplication;
  readonly platform: Platform;
  readonly config: C;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The composition root every app shares: validated configuration, telemetry, JSON logs, the
 * database and event log the configuration selects, the Nest HTTP app, and the event transport
 * that feeds `@OnEvent` handlers. Shutdown stops consumers first, then HTTP, then the platform.
 */
export async function runService<S extends z.ZodType<PlatformEnv & { HTTP_PORT: number; HTTP_HOST: string }>>(
  spec: ServiceSpec<S>,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<RunningService<z.infer<S>>> {
  const config = loadConfig(spec.envSchema, env) as z.infer<S>;
  startTelemetry({ serviceName: spec.name, traces: config.OTEL_TRACES_EXPORTER });
  const { logger, platform } = await openFor(spec.name, spec.entities, config);
  let stopExtra: () => Promise<void> = async () => undefined;
  let app: INestApplication | null = null;
  try {
    stopExtra = (await spec.beforeStart?.(platform, config)) ?? stopExtra;

    @Module({
      imports: [PlatformModule.forPlatform(platform), ...spec.modules(platform, config)],
      controllers: [HealthController],
    })
    class ServiceModule {}

    const express = await NestFactory.create<NestExpressApplication>(ServiceModule, {
      bodyParser: false,
      logger: new NestPinoLogger(logger),
      abortOnError: false,
    });
    app = express;
    // Inline deliveries may carry up to 100,000 recipients: allow bodies that large.
    express.useBodyParser('json', { limit: '64mb' });
    app.useGlobalFilters(new HttpErrorsFilter(logger));
    app.connectMicroservice(
      { strategy: new EventLogTransport(platform.eventLog, logger) },
      { inheritAppConfig: true },
    );
    await app.startAllMicroservices();
    await app.listen(config.HTTP_PORT, config.HTTP_HOST);
    const address = app.getHttpServer().address() as { port: number };
    const url = `http://${config.HTTP_HOST === '0.0.0.0' ? '127.0.0.1' : config.HTTP_HOST}:${address.port}`;
    logger.info({ url, mode: platform.eventLog.kind }, `${spec.name} started`);
    const started = app;
    return {
      app: started,
      platform,
      config,
      url,
      close: async () => {
        await started.close();
        await stopExtra();
        await platform.close();
        logger.info(`${spec.name} stopped`);
        logger.flush();
      },
    };
  } catch (error) {
    // Modules may already have started work (spool worker, SMTP listeners): stop it before the platform.
    await app?.close().catch(() => undefined);
    await stopExtra();
    await platform.close();
    throw error;
  }
}

/** For main.ts: run until SIGINT/SIGTERM; exit non-zero with a clear message on bad configuration. */
export function runMain<S extends z.ZodType<PlatformEnv & { HTTP_PORT: number; HTTP_HOST: string }>>(
  spec: ServiceSpec<S>,
): void {
  runService(spec).then(
    (service) => {
      const stop = () => {
        service.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (error: Error) => {
      process.stderr.write(`${spec.name}: ${error.message}\n`);
      process.exit(1);
    },
  );
}

/**
 * A one-shot job on the same platform as a service (e.g. the read-model rebuild): configuration,
 * logger, database and event log, no HTTP and no consumers; the platform is closed afterwards.
 */
export async function runTask<S extends z.ZodType<PlatformEnv>, T>(
  spec: Pick<
    ServiceSpec<z.ZodType<PlatformEnv & { HTTP_PORT: number; HTTP_HOST: string }>>,
    'name' | 'entities'
  > & { envSchema: S },
  env: Readonly<Record<string, string | undefined>>,
  task: (platform: Platform) => Promise<T>,
): Promise<T> {
  const config = loadConfig(spec.envSchema, env) as PlatformEnv;
  const { logger, platform } = await openFor(spec.name, spec.entities, config);
  try {
    return await task(platform);
  } finally {
    await platform.close();
    logger.flush();
  }
}

/** The logger and the platform (database + event log) a service or task runs on. */
async function openFor(name: string, entities: readonly EntitiesFor[], config: PlatformEnv) {
  const logger = createLogger({ service: name, level: config.LOG_LEVEL, instance: config.POSTWAVE_INSTANCE });
  const platform = await openPlatform({
    mode: platformMode(config),
    clientId: config.KAFKA_CLIENT_ID ?? name,
    instance: config.POSTWAVE_INSTANCE,
    logger,
    entities,
  });
  return { logger, platform };
}
