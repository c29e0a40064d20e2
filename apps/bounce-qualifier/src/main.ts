import 'reflect-metadata';
import { runMain } from '@postwave/platform/runtime';
import { bounceService } from './bounce.service';

runMain(bounceService);
