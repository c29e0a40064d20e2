module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'bounce-feature',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  testPathIgnorePatterns: ['\\.int\\.spec\\.ts$'],
};
