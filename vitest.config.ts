// The test suite runs real processes (embedded PostgreSQL, redis-server, the S3
// endpoint, the four services). Files run one at a time: the machine has two cores
// and each deployment takes a set of ports. Tests spawn the compiled entry points, so
// build first: `npx tsc -p . && npx vitest run`.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'reference/**/*.test.ts',
      'harness/**/*.test.ts',
      'scenarios/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    exclude: ['**/dist/**', '**/node_modules/**'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
