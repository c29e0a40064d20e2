export * from './lib/database';
export * from './lib/insert-many';
