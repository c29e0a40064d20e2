module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'bounce-rules',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  testPathIgnorePatterns: ['\\.int\\.spec\\.ts$'],
};
