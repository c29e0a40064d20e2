module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'postwave',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  testPathIgnorePatterns: ['\\.int\\.spec\\.ts$'],
};
