import { execFileSync } from "node:child_process";

/**
 * Builds dist/ once before the tests, so the tests that run the `diagbot` binary run the code
 * under test, not a stale build.
 */
export default function setup(): void {
  execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
}
