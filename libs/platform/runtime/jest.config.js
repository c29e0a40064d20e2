module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'platform-runtime',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  testPathIgnorePatterns: ['\\.int\\.spec\\.ts$'],
};
