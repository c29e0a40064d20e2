export * from './lib/bounce-options';
export * from './lib/bounce.consumer';
export * from './lib/bounce.entities';
export * from './lib/bounce.module';
export * from './lib/inbound-listener';
export * from './lib/bounce-config';
export * from './lib/unsubscribes';
export * from './lib/bounce.openapi';
