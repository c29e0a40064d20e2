module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'platform-e2e:int',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.int.spec.ts'],
  testTimeout: 120000,
};
