/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/{apps,packages}/*/test/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  transform: { '^.+\\.(t|j|mj)sx?$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }] },
  // ESM-only dependencies must be transformed to CommonJS for Jest.
  transformIgnorePatterns: ['/node_modules/(?!(cookie|@huggingface|set-cookie-parser|content-disposition)/)'],
  testTimeout: 60000,
  globalSetup: '<rootDir>/test/global-setup.js',
};
