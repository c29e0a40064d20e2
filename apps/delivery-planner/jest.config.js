module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'delivery-planner',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  testPathIgnorePatterns: ['\\.int\\.spec\\.ts$'],
};
