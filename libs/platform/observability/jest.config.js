module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'platform-observability',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  testPathIgnorePatterns: ['\\.int\\.spec\\.ts$'],
};
