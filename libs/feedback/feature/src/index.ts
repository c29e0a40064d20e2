export * from './lib/feedback-projection';
export * from './lib/feedback.entities';
export * from './lib/feedback.module';
export * from './lib/feedback.openapi';
export * from './lib/feedback.controller';
