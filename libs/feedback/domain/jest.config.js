module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'feedback-domain',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  testPathIgnorePatterns: ['\\.int\\.spec\\.ts$'],
};
