export * from './lib/planner-commands';
export * from './lib/planner.consumer';
export * from './lib/planning.entities';
export * from './lib/planning.module';
export * from './lib/audiences';
export * from './lib/planner-jobs';
export * from './lib/planner-store';
export * from './lib/planner.openapi';
