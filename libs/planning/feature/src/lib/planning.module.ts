import { Module } from '@nestjs/common';
import { Audiences } from './audiences';
import { PlannerCommands } from './planner-commands';
import { PlannerJobs } from './planner-jobs';
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
export class PlanningModule {}
