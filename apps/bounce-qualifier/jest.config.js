module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'bounce-qualifier',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  testPathIgnorePatterns: ['\\.int\\.spec\\.ts$'],
};
