module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'feedback-projector',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  testPathIgnorePatterns: ['\\.int\\.spec\\.ts$'],
};
