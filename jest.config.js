/**
 * Unit, integration and security tests. Integration tests start a real server on a random port and
 * use PostgreSQL when TEST_DATABASE_URL is set (a fresh database per test file), else in-memory PGlite.
 * ESM-only packages (jose, ...) are compiled by @swc/jest, hence no transformIgnorePatterns.
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j|mj|cj)s$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }] },
  transformIgnorePatterns: [],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  testTimeout: 60_000,
  maxWorkers: 2,
  // Migrate and seed once per run; each test file starts from a copy (test/testkit/global-setup.ts).
  globalSetup: '<rootDir>/test/testkit/global-setup.ts',
  globalTeardown: '<rootDir>/test/testkit/global-teardown.ts',
};
