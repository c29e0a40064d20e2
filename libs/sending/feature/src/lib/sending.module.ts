import { Module, type DynamicModule } from '@nestjs/common';
import { MtaConsumer } from './mta.consumer';
import { MtaController, MtaMetricsController } from './mta.controller';
import { MTA_OPTIONS, type MtaOptions } from './mta-options';
import { SpoolWorker } from './spool-worker';

@Module({})
export class SendingModule {
  static register(options: MtaOptions): DynamicModule {
    return {
      module: SendingModule,
      controllers: [MtaConsumer, MtaController, MtaMetricsController],
      providers: [{ provide: MTA_OPTIONS, useValue: options }, SpoolWorker],
    };
  }
}
