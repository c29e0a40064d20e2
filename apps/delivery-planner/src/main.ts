import 'reflect-metadata';
import { runMain } from '@postwave/platform/runtime';
import { plannerService } from './planner.service';

runMain(plannerService);
