import 'reflect-metadata';
import { runMain } from '@postwave/platform/runtime';
import { rebuildMain } from './rebuild';
import { projectorService } from './projector.service';

if (process.argv.includes('rebuild')) rebuildMain();
else runMain(projectorService);
