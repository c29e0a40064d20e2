import { Module } from '@nestjs/common';
import { PlannerCommands } from './planner-commands';
import { PlannerConsumer } from './planner.consumer';
import { AddressController, PlannerController } from './planner.controller';

@Module({
  controllers: [PlannerController, AddressController, PlannerConsumer],
  providers: [PlannerCommands],
  exports: [PlannerCommands],
})
export class PlanningModule {}
