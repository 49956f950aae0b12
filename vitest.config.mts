import { defineConfig } from 'vitest/config';

// Two projects: `unit` needs nothing running (npm run test:unit, seconds); `stack` runs against the real
// local stack that `npm test` brings up first. `npm test` runs both.
export default defineConfig({
  test: {
    // The JSON report lets .ci/run print a plain 'N passed, N failed' closing line.
    reporters: ['default', 'json'],
    outputFile: { json: '.stack/test-results.json' },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'dockerfile-scanner/test/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'stack',
          include: ['test/stack/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts'],
          // The operator settings the suite needs, visibly: its fake source APIs and webhook receivers are
          // real servers on 127.0.0.1, which the deny list refuses by default (docs/SECURITY.md), and its
          // tests start runs with inline definitions. Workers started by the tests inherit these; a test
          // of a refusal starts a worker without them.
          env: {
            INGEST_ALLOW_DESTINATIONS: '127.0.0.0/8,::1',
            INGEST_ALLOW_INLINE_DEFINITIONS: 'true',
            WEBHOOK_ALLOW_DESTINATIONS: '127.0.0.0/8,::1',
            WEBHOOK_ALLOW_HTTP: 'true',
          },
          // Tests share one real stack; some restart PostgreSQL or kill workers, so files run one at a time.
          fileParallelism: false,
          pool: 'forks',
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
