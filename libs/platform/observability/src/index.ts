export * from './lib/logger';
export * from './lib/telemetry';
export * from './lib/tracing';
export * from './lib/prometheus';
