import { Controller, Get, Inject } from '@nestjs/common';
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
