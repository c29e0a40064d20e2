module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'postwave',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  testPathIgnorePatterns: ['\\.int\\.spec\\.ts$'],
  // End-to-end specs run the whole embedded app over real SMTP: seconds, not milliseconds.
  testTimeout: 60000,
};
