import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { coverageMarkdown, ruleKinds, testsOf } from "../../src/runbooks/coverage.js";
import { lintRunbooks } from "../../src/runbooks/load.js";
import { runCli } from "../helpers/cli.js";
import { fixturePath } from "../helpers/fixtures.js";

describe("runbooks/COVERAGE.md", () => {
  const runbooks = lintRunbooks(fixturePath("../../runbooks")).runbooks;

  it("is the generator's output (diagbot runbooks coverage --check)", async () => {
    const r = await runCli(["runbooks", "coverage", "--check"]);
    expect(r.stdout).toContain("is up to date");
    expect(r.code).toBe(0);
  });

  it("a COVERAGE.md it cannot write is exit 2 naming the file, not a crash", async () => {
    const dir = mkdtempSync(join(tmpdir(), "diagbot-coverage-"));
    try {
      cpSync(fixturePath("../../runbooks"), join(dir, "runbooks"), { recursive: true });
      rmSync(join(dir, "runbooks", "COVERAGE.md"));
      mkdirSync(join(dir, "runbooks", "COVERAGE.md"));
      const r = await runCli([
        "runbooks",
        "coverage",
        "--dir",
        join(dir, "runbooks"),
        "--tests",
        fixturePath("../../test"),
      ]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(
        `cannot write ${join(dir, "runbooks", "COVERAGE.md")}: a directory`,
      );
      expect(r.stderr).not.toMatch(/unexpected error| {4}at /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads a rule's kinds of evidence from the collectors of its condition's facts", () => {
    const byId = (id: string) => runbooks.find((r) => r.id === id);
    expect([...ruleKinds(byId("hung-task") as never)]).toEqual(["kernel messages"]);
    expect(ruleKinds(byId("fd-limit-low") as never).has("limits and tunables")).toBe(true);
  });

  it("counts a test that names a rule, not the example replay", () => {
    const tests = [
      { path: "test/runbooks/scenarios.test.ts", text: 'expect(h.rule).toBe("x-rule")' },
      { path: "test/runbooks/a.test.ts", text: 'expect(h.rule).toBe("x-rule")' },
      { path: "test/runbooks/b.test.ts", text: 'const kind = "x-rule";' },
    ];
    expect(testsOf("x-rule", tests)).toEqual(["test/runbooks/a.test.ts"]);
    expect(coverageMarkdown(runbooks, [])).toContain("(no test)");
    expect(readFileSync(fixturePath("../../runbooks/COVERAGE.md"), "utf8")).toContain(
      "| kernel-bug |",
    );
  });
});
