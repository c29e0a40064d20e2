module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'planning-feature:int',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.int.spec.ts'],
  testTimeout: 120000,
};
