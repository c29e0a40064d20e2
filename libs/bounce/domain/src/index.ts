export * from './lib/delivery-status';
export * from './lib/qualify-inbound';
export * from './lib/quarantine';
export * from './lib/mime-part';
export * from './lib/soft-errors';
