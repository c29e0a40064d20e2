module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'sending-mta',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  testPathIgnorePatterns: ['\\.int\\.spec\\.ts$'],
};
