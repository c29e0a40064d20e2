module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'content:int',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.int.spec.ts'],
  testTimeout: 120000,
};
