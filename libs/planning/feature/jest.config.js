module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'planning-feature',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  testPathIgnorePatterns: ['\\.int\\.spec\\.ts$'],
};
