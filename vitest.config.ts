import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { defineConfig } from "vitest/config";

/**
 * Three projects:
 * - `unit` runs in parallel (parsers, runbooks, replay, queue, Slack in-process) and imports the
 *   sources directly: no build, so one parser test file runs in about a second;
 * - `binary` runs the built `diagbot` binary (bin/diagbot.js → dist/): its global setup builds
 *   dist/ first, so those tests run the code under test, not a stale build; a file belongs to it
 *   when it names test/helpers/cli.js or bin/diagbot.js;
 * - `faults` injects live faults into this host and runs serially, after everything else.
 * `npx vitest run` runs them all; `--project unit` skips the build.
 *
 * Two files run at once whatever the cores: most tests wait on sshd, Redis and child processes
 * rather than compute, and vitest's own default (one fewer than the cores) runs one file at a
 * time on a 2-core machine, which doubles the suite's time there.
 */
const BINARY = runsTheBinary("test");

/**
 * Test files that run `bin/diagbot.js` (directly, or through test/helpers/cli.ts), found by
 * reading them, so a new one can never run against a stale dist/. test/faults/ has its own project.
 */
function runsTheBinary(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".test.ts") && !f.startsWith("faults/"))
    .map((f) => join(dir, f))
    .filter((f) => /helpers\/cli\.js|bin\/diagbot\.js/.test(readFileSync(f, "utf8")));
}

export default defineConfig({
  test: {
    maxWorkers: 2,
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
