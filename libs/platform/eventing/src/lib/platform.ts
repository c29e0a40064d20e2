import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { PlatformMode } from '@postwave/platform/config';
import type { Logger } from '@postwave/platform/observability';
import { Database } from '@postwave/platform/persistence';
import type { EntitySchema } from 'typeorm';
import { EmbeddedEventLog } from './embedded-event-log';
import { eventingEntities } from './entities';
import type { EventLog } from './event-log.port';
import { KafkaEventLog } from './kafka-event-log';

export const DATABASE = Symbol('Database');
export const EVENT_LOG = Symbol('EventLog');
export const LOGGER = Symbol('Logger');
export const INSTANCE = Symbol('Instance');

export interface Platform {
  readonly db: Database;
  readonly eventLog: EventLog;
  readonly logger: Logger;
  readonly instance: string;
  close(): Promise<void>;
}

export type EntitiesFor = (kind: 'sqlite' | 'postgres') => readonly EntitySchema[];

export interface PlatformOptions {
  readonly mode: PlatformMode;
  readonly clientId: string;
  readonly instance: string;
  readonly logger: Logger;
  /** The tables of every feature this process runs. */
  readonly entities: readonly EntitiesFor[];
}

/** Opens the database and the event log the configuration selects. */
export async function openPlatform(options: PlatformOptions): Promise<Platform> {
  const kind = options.mode.kind === 'embedded' ? 'sqlite' : 'postgres';
  const db = await Database.open({
    kind,
    location: options.mode.kind === 'embedded' ? options.mode.sqlitePath : options.mode.databaseUrl,
    entities: [...eventingEntities(kind), ...options.entities.flatMap((entitiesFor) => entitiesFor(kind))],
  });
  const eventLog =
    options.mode.kind === 'embedded'
      ? new EmbeddedEventLog(db, options.logger)
      : new KafkaEventLog(
          db,
          {
            brokers: options.mode.brokers,
            clientId: options.clientId,
            partitions: options.mode.partitions,
            replicationFactor: options.mode.replicationFactor,
            topicNamespace: options.mode.topicNamespace,
            inboxRetentionMs: options.mode.inboxRetentionHours * 3_600_000,
          },
          options.logger,
        );
  await eventLog.start();
  return {
    db,
    eventLog,
    logger: options.logger,
    instance: options.instance,
    close: async () => {
      await eventLog.stop();
      await db.close();
    },
  };
}

/** Makes the platform's handles injectable in every feature module. */
@Global()
@Module({})
export class PlatformModule {
  static forPlatform(platform: Platform): DynamicModule {
    return {
      module: PlatformModule,
      providers: [
        { provide: DATABASE, useValue: platform.db },
        { provide: EVENT_LOG, useValue: platform.eventLog },
        { provide: LOGGER, useValue: platform.logger },
        { provide: INSTANCE, useValue: platform.instance },
      ],
      exports: [DATABASE, EVENT_LOG, LOGGER, INSTANCE],
    };
  }
}
