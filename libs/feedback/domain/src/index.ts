export * from './lib/delivery-kpis';
export * from './lib/message-log.projection';
export * from './lib/status-precedence';
