module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'sending-domain',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  testPathIgnorePatterns: ['\\.int\\.spec\\.ts$'],
};
