module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'bounce-domain',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  testPathIgnorePatterns: ['\\.int\\.spec\\.ts$'],
};
