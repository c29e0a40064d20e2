export * from './lib/analyze-delivery';
export * from './lib/delivery-state';
export * from './lib/delivery.decider';
export * from './lib/message-id';
