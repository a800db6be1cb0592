import { defineConfig } from "vitest/config";

/**
 * Three projects:
 * - `unit` runs in parallel (parsers, runbooks, replay, queue, Slack in-process) and imports the
 *   sources directly: no build, so one parser test file runs in about a second;
 * - `binary` runs the built `diagbot` binary (bin/diagbot.js → dist/): its global setup builds
 *   dist/ first, so those tests run the code under test, not a stale build;
 * - `faults` injects live faults into this host and runs serially, after everything else.
 * `npx vitest run` runs them all; `--project unit` skips the build.
 */
const BINARY = [
  "test/cli/parse.test.ts",
  "test/cli/save.test.ts",
  "test/cli/scope.test.ts",
  "test/e2e/**/*.test.ts",
  "test/slack/cli.test.ts",
  "test/slack/e2e.test.ts",
];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/**/*.test.ts", "src/**/*.test.ts"],
          exclude: ["test/faults/**", ...BINARY],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "binary",
          include: BINARY,
          globalSetup: ["test/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "faults",
          include: ["test/faults/**/*.test.ts"],
          globalSetup: ["test/global-setup.ts"],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
          testTimeout: 180_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
