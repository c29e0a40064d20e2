export * from './lib/skeleton-scenario';
export * from './lib/wait';
