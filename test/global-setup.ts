import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

/**
 * Builds dist/ once before the tests, as `npm run build` does (tsc, then the packaged runbooks
 * checked into dist/runbooks.compiled.json), so the tests that run the `diagbot` binary run the code
 * under test, not a stale build. Type errors do not stop the build (tsc still emits; `npm run
 * lint` is where they fail); a build that emits nothing does.
 */
export default function setup(): void {
  try {
    execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { stdio: "pipe" });
  } catch (err) {
    if (!existsSync("dist/main/cli.js")) throw err;
    const out = String((err as { stdout?: Buffer }).stdout ?? "");
    process.stderr.write(
      `warning: tsc reported type errors (dist/ was still built):\n${out.slice(0, 2000)}\n`,
    );
  }
  execFileSync(process.execPath, ["scripts/compile-runbooks.js"], { stdio: "pipe" });
}
