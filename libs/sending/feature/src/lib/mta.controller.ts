import { Controller, Get, Header, Inject } from '@nestjs/common';
import { DATABASE } from '@postwave/platform/eventing';
import { formatPrometheus } from '@postwave/platform/observability';
import type { Database } from '@postwave/platform/persistence';
import { SpoolWorker } from './spool-worker';

/** What the MTA learned: each path's live limits against its rule, suspensions and their causes, hourly history. */
@Controller('v1/mta')
export class MtaController {
  constructor(@Inject(SpoolWorker) private readonly worker: SpoolWorker) {}

  @Get('paths')
  paths() {
    return this.worker.shaping.report();
  }
}

/** Prometheus scrape endpoint: learned limits, suspensions, attempts and the spool by state. */
@Controller()
export class MtaMetricsController {
  constructor(
    @Inject(SpoolWorker) private readonly worker: SpoolWorker,
    @Inject(DATABASE) private readonly db: Database,
  ) {}

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  async metrics(): Promise<string> {
    const spool = (await this.db.read((em) =>
      em.query('SELECT state, COUNT(*) AS n FROM mta_spool GROUP BY state'),
    )) as { state: string; n: number | string }[];
    return formatPrometheus([
      ...this.worker.shaping.metrics(),
      ...this.worker.buildMetrics(),
      {
        name: 'postwave_mta_spool_messages',
        help: 'Messages in the durable spool, by state (queued, done, canceled).',
        type: 'gauge',
        samples: spool.map((row) => ({ labels: { state: row.state }, value: Number(row.n) })),
      },
    ]);
  }
}
