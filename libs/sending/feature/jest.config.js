module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'sending-feature',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  testPathIgnorePatterns: ['\\.int\\.spec\\.ts$'],
};
