export * from './lib/load-config';
export * from './lib/platform-config';
