import { Module, type DynamicModule } from '@nestjs/common';
import { Audiences } from './audiences';
import { PlannerCommands } from './planner-commands';
import { PLANNER_JOB_OPTIONS, PlannerJobs, type PlannerJobOptions } from './planner-jobs';
import { PlannerConsumer } from './planner.consumer';
import {
  AddressController,
  AudienceController,
  PlannerController,
  TypologyController,
} from './planner.controller';

@Module({
  controllers: [
    PlannerController,
    AudienceController,
    TypologyController,
    AddressController,
    PlannerConsumer,
  ],
  providers: [PlannerCommands, PlannerJobs, Audiences],
  exports: [PlannerCommands, PlannerJobs, Audiences],
})
export class PlanningModule {
  /** The planner with its job settings (the bare module uses the defaults). */
  static register(options: PlannerJobOptions): DynamicModule {
    return { module: PlanningModule, providers: [{ provide: PLANNER_JOB_OPTIONS, useValue: options }] };
  }
}
