module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'bounce-domain:int',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.int.spec.ts'],
  testTimeout: 120000,
};
