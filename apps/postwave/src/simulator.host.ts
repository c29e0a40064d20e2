import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InboundListener } from '@postwave/bounce/feature';
import { MailboxSimulator } from '@postwave/mail-simulator';
import { LOGGER } from '@postwave/platform/eventing';
import type { Logger } from '@postwave/platform/observability';

const SIMULATOR_OPTIONS = Symbol('SimulatorOptions');

interface SimulatorHostOptions {
  readonly host: string;
  readonly port: number;
  readonly inboxDir?: string;
}

/** Runs the mailbox simulator beside the services; its reports go to the bounce listener. */
@Injectable()
class SimulatorHost implements OnApplicationBootstrap, OnApplicationShutdown {
  simulator: MailboxSimulator | null = null;

  constructor(
    @Inject(SIMULATOR_OPTIONS) private readonly options: SimulatorHostOptions,
    @Inject(InboundListener) private readonly bounces: InboundListener,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.simulator = await MailboxSimulator.start({
      host: this.options.host,
      port: this.options.port,
      hostname: 'simulator.postwave.test',
      ...(this.options.inboxDir ? { inboxDir: this.options.inboxDir } : {}),
      ...(this.bounces.port !== null ? { dsnReturn: { host: '127.0.0.1', port: this.bounces.port } } : {}),
    });
    this.logger.info({ port: this.simulator.port }, 'mailbox simulator ready');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.simulator?.stop();
  }
}

@Module({})
export class SimulatorHostModule {
  static register(options: SimulatorHostOptions): DynamicModule {
    return {
      module: SimulatorHostModule,
      providers: [{ provide: SIMULATOR_OPTIONS, useValue: options }, SimulatorHost],
    };
  }
}
