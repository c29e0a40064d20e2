export * from './lib/dkim-keyring';
export * from './lib/message-builder';
export * from './lib/mta-options';
export * from './lib/mta.consumer';
export * from './lib/sending.entities';
export * from './lib/sending.module';
export * from './lib/mta-config';
export * from './lib/sending.openapi';
