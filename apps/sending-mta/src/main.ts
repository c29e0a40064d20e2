import 'reflect-metadata';
import { runMain } from '@postwave/platform/runtime';
import { mtaService } from './mta.service';

runMain(mtaService);
