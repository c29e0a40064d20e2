module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'planning-domain',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  testPathIgnorePatterns: ['\\.int\\.spec\\.ts$'],
};
