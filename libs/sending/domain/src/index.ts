export * from './lib/attempt-outcome';
export * from './lib/retry-policy';
export * from './lib/routing';
