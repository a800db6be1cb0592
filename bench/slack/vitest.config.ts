import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/**
 * The Slack benchmarks run through vitest so that they can use the TypeScript test helpers
 * (the local Slack stand-in, the sshd harness):
 *
 *   npx vitest run --config bench/slack/vitest.config.ts
 *
 * Each prints its numbers and writes them to `$TMPDIR/diagbot-bench-slack-*.json`.
 */
export default defineConfig({
  test: {
    root: fileURLToPath(new URL("../..", import.meta.url)),
    include: ["bench/slack/*.bench.ts"],
    globalSetup: ["test/global-setup.ts"],
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 120_000,
  },
});
