import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['runtime/**/*.test.ts', 'codegen/**/*.test.ts', 'designer/**/*.test.{ts,tsx}', 'examples/**/*.test.ts'],
        },
      },
      {
        // Real Kafka, real processes, real Chromium: the broker starts once for the whole project.
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts'],
          // Generated services and browsers are heavy on a small machine: one file at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
