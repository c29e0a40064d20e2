export * from './lib/render-content';
