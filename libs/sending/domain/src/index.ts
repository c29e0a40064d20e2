export * from './lib/attempt-outcome';
export * from './lib/retry-policy';
export * from './lib/routing';
export * from './lib/default-mx-rules';
export * from './lib/mx-rule.schema';
export * from './lib/path-shaping';
export * from './lib/throttle-replies';
export * from './lib/source-ips';
