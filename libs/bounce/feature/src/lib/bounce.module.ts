import { Module, type DynamicModule } from '@nestjs/common';
import { BOUNCE_OPTIONS, type BounceOptions } from './bounce-options';
import { BounceConsumer } from './bounce.consumer';
import { InboundListener } from './inbound-listener';
import { UnsubscribeController } from './unsubscribe.controller';
import { Unsubscribes } from './unsubscribes';

@Module({})
export class BounceModule {
  static register(options: BounceOptions): DynamicModule {
    return {
      module: BounceModule,
      // Global so the embedded app's simulator can find the listener it sends its reports to.
      global: true,
      controllers: [BounceConsumer, UnsubscribeController],
      providers: [{ provide: BOUNCE_OPTIONS, useValue: options }, InboundListener, Unsubscribes],
      exports: [InboundListener],
    };
  }
}
