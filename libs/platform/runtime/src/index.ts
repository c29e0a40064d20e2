export * from './lib/health.controller';
export * from './lib/http-errors.filter';
export * from './lib/run-service';
export * from './lib/openapi';
