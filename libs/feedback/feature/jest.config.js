module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'feedback-feature',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  testPathIgnorePatterns: ['\\.int\\.spec\\.ts$'],
};
