export * from './lib/database';
export * from './lib/insert-many';
export * from './lib/sqlite-checkpointer';
